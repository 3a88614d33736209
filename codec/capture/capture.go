// Package capture reads the byte captures of the C FastDFS servers kept in
// shared/protocol/vectors (the NAME.payload.txt dumps) and turns them into
// whole messages paired as request and reply, per TCP connection. Golden
// tests of the codec and replaying test peers of the client are built on it.
package capture

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Message is one whole packet: header fields and body.
type Message struct {
	Time    string // epoch seconds of the segment that started it, as printed
	From    string // ip:port
	To      string // ip:port
	BodyLen int64
	Cmd     byte
	Status  byte
	Body    []byte // whole body; nil if the capture ended inside it
	Partial bool   // the capture ended before the whole body was seen
}

// Raw returns header and body as they were on the wire.
func (m *Message) Raw() []byte {
	b := make([]byte, 10, 10+len(m.Body))
	binary.BigEndian.PutUint64(b, uint64(m.BodyLen))
	b[8], b[9] = m.Cmd, m.Status
	return append(b, m.Body...)
}

// Exchange is one request and the reply to it on the same connection (Reply
// is nil for QUIT, or when the capture holds no reply).
type Exchange struct {
	File    string // capture file base name
	Request *Message
	Reply   *Message
}

func (e *Exchange) String() string {
	s := fmt.Sprintf("%s %s %s > %s cmd=%d len=%d", e.File, e.Request.Time,
		e.Request.From, e.Request.To, e.Request.Cmd, e.Request.BodyLen)
	if e.Reply != nil {
		s += fmt.Sprintf(" -> status=%d len=%d", e.Reply.Status, e.Reply.BodyLen)
	}
	return s
}

type segment struct {
	time, from, to string
	hdr            bool
	data           []byte
}

// ParsePayload reads one payload dump.
func ParsePayload(r io.Reader) ([]segment, error) {
	var segs []segment
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	var cur *segment
	var want int
	for sc.Scan() {
		line++
		t := sc.Text()
		if t == "" {
			continue
		}
		if t[0] != ' ' {
			// EPOCH SRC > DST len=N  [hdr ...]
			f := strings.Fields(t)
			if len(f) < 5 || f[2] != ">" || !strings.HasPrefix(f[4], "len=") {
				return nil, fmt.Errorf("line %d: bad segment line %q", line, t)
			}
			n, err := strconv.Atoi(strings.TrimPrefix(f[4], "len="))
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", line, err)
			}
			segs = append(segs, segment{time: f[0], from: f[1], to: f[3],
				hdr: strings.Contains(t, "[hdr "), data: make([]byte, 0, n)})
			cur = &segs[len(segs)-1]
			want = n
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: hex before any segment", line)
		}
		// "  OOOO  hh hh ... (16 max)  ascii"; hex starts at column 8.
		left := want - len(cur.data)
		if left <= 0 || len(t) < 8 {
			return nil, fmt.Errorf("line %d: unexpected hex line", line)
		}
		n := min(left, 16)
		if len(t) < 8+n*3-1 {
			return nil, fmt.Errorf("line %d: short hex line", line)
		}
		for i := range n {
			b, err := hex.DecodeString(t[8+i*3 : 8+i*3+2])
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", line, err)
			}
			cur.data = append(cur.data, b[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for i := range segs {
		if len(segs[i].data) != cap(segs[i].data) {
			return nil, fmt.Errorf("segment %s %s>%s: %d of %d bytes", segs[i].time,
				segs[i].from, segs[i].to, len(segs[i].data), cap(segs[i].data))
		}
	}
	return segs, nil
}

// Messages splits the segments of one dump into whole messages, in the order
// their first bytes were captured. A direction's stream is cut at every
// segment the dump marks as starting a header, and between those by the
// header's body length.
func Messages(segs []segment) []*Message {
	type dir struct {
		cur  *Message
		need int64 // body bytes still expected by cur
		buf  []byte
	}
	dirs := map[string]*dir{}
	var out []*Message
	for _, s := range segs {
		key := s.from + ">" + s.to
		d := dirs[key]
		if d == nil {
			d = &dir{}
			dirs[key] = d
		}
		data := s.data
		if s.hdr && d.cur != nil && d.need > 0 {
			// a new message starts although the body was not complete: the
			// capture lost bytes; keep what we have, flagged.
			d.cur.Partial = true
			d.cur = nil
		}
		if d.cur == nil && !s.hdr && len(d.buf) == 0 {
			continue // mid-stream bytes from before the capture started
		}
		for len(data) > 0 {
			if d.cur != nil && d.need > 0 {
				n := int64(len(data))
				if n > d.need {
					n = d.need
				}
				d.cur.Body = append(d.cur.Body, data[:n]...)
				d.need -= n
				data = data[n:]
				if d.need == 0 {
					d.cur = nil
				}
				continue
			}
			d.buf = append(d.buf, data...)
			data = nil
			if len(d.buf) < 10 {
				break
			}
			m := &Message{Time: s.time, From: s.from, To: s.to,
				BodyLen: int64(binary.BigEndian.Uint64(d.buf)), Cmd: d.buf[8], Status: d.buf[9]}
			rest := d.buf[10:]
			d.buf = nil
			out = append(out, m)
			m.Body = []byte{}
			if m.BodyLen > 0 {
				d.cur, d.need = m, m.BodyLen
				data = rest
			} else if len(rest) > 0 {
				data = rest
			}
		}
	}
	for _, d := range dirs {
		if d.cur != nil && d.need > 0 {
			d.cur.Partial = true
		}
	}
	return out
}

// Pair turns messages into exchanges: a reply (cmd 100) answers the oldest
// unanswered request sent the other way on the same connection.
func Pair(file string, msgs []*Message) []*Exchange {
	pending := map[string][]*Exchange{} // key: requester>responder
	var out []*Exchange
	for _, m := range msgs {
		if m.Cmd == 100 {
			key := m.To + ">" + m.From
			q := pending[key]
			if len(q) == 0 {
				continue // reply to a request from before the capture
			}
			q[0].Reply = m
			pending[key] = q[1:]
			continue
		}
		e := &Exchange{File: file, Request: m}
		out = append(out, e)
		if m.Cmd != 82 { // QUIT has no reply
			pending[m.From+">"+m.To] = append(pending[m.From+">"+m.To], e)
		}
	}
	return out
}

// LoadFile reads one payload dump into exchanges.
func LoadFile(path string) ([]*Exchange, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	segs, err := ParsePayload(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Pair(filepath.Base(path), Messages(segs)), nil
}

// Dir finds shared/protocol/vectors: $GOFDFS_VECTORS if set, otherwise the
// ../shared/protocol/vectors next to the repository checkout.
func Dir() (string, error) {
	if d := os.Getenv("GOFDFS_VECTORS"); d != "" {
		return d, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("capture: cannot locate source file")
	}
	// file = <repo>/codec/capture/capture.go
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	d := filepath.Join(filepath.Dir(repo), "shared", "protocol", "vectors")
	if _, err := os.Stat(d); err != nil {
		return "", fmt.Errorf("capture: vectors not found at %s (set GOFDFS_VECTORS): %w", d, err)
	}
	return d, nil
}

// StorageFiles returns the contents of every file matching pattern (a glob
// inside one storage's data directory) that the C storages of the vectors
// left (cluster/sync_files*/storage*/), for seeding state-file fuzz
// targets; an error when none matches.
func StorageFiles(pattern string) ([][]byte, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, set := range []string{"sync_files", "sync_files_final"} {
		paths, err := filepath.Glob(filepath.Join(dir, "cluster", set, "storage*", pattern))
		if err != nil {
			return nil, err
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("capture: no C storage file matches %s under %s", pattern, dir)
	}
	return out, nil
}

// Files lists every payload dump under the vectors directory, sorted. The
// .s2s dumps repeat what the full dumps hold and are left out.
func Files(dir string) ([]string, error) {
	var out []string
	for _, sub := range []string{"client", "cluster"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*.payload.txt"))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			if !strings.HasSuffix(f, ".s2s.payload.txt") {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// LoadAll reads every payload dump under dir.
func LoadAll(dir string) ([]*Exchange, error) {
	files, err := Files(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("capture: no payload dumps under %s", dir)
	}
	var all []*Exchange
	for _, f := range files {
		ex, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, ex...)
	}
	return all, nil
}
