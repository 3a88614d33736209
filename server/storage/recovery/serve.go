package recovery

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// FETCH_ONE_PATH_BINLOG (26), the source side of a peer's disk recovery
// (cluster.md §7.5): the peer lost store path N and asks for the list of
// files that path should hold.
//
// Request body: group[16] + 1 byte store path index (signed, as C reads
// it). A wrong length, group or index is answered EINVAL and the
// connection closed (the core checks these on its event loop).
//
// Reply: a header whose length is INFINITE_FILE_SIZE (2^58), then binlog
// lines, then an 8-byte big-endian count of the line bytes, then the
// server closes the connection; the receiver (libfastcommon's tcprecvfile
// with the infinite size) reads to EOF and checks the trailer against what
// it got. The lines are every create, link and rename record of the
// binlog, from binlog.000 on, whose name is on that path and whose file
// still exists, re-typed as C does:
//   - a rename (R/r) becomes a create (C/c) of the new name;
//   - a create whose file is now a symlink becomes a link (L/l), and a
//     link whose file is now a regular file becomes a create;
//   - a link line carries its target as "Mxx/HH/HH/name", xx being the
//     requested path (C's quirk: it assumes the target is on that path);
//     a link whose target is gone is left out;
//   - trunk names are not stat'ed (their slot lives inside a trunk file)
//     and their links become creates.

// InfiniteFileSize is libfastcommon's INFINITE_FILE_SIZE: "read until the
// peer closes".
const InfiniteFileSize = int64(1) << 58

// FetchPathBinlogBodyLen is the request body: group + path index.
const FetchPathBinlogBodyLen = codec.GroupNameSize + 1

// Source is the storage a peer recovers from, as FETCH_ONE_PATH_BINLOG
// reads it.
type Source struct {
	Binlog *replica.Binlog
	Paths  []*diskio.StorePath // the store paths, by index
	Log    *slog.Logger
	// Timeout is each write's limit (network_timeout).
	Timeout time.Duration
	// Stopped reports whether the storage is stopping: the stream ends.
	Stopped func() bool
}

// CheckFetchRequest reads a FETCH_ONE_PATH_BINLOG body: the store path
// index, or why the request is refused (another group than group, no such
// store path among paths).
func CheckFetchRequest(body, group []byte, paths int) (int, error) {
	if len(body) != FetchPathBinlogBodyLen {
		return 0, fmt.Errorf("bad body length %d", len(body))
	}
	if g := codec.FixedBytes(body[:codec.GroupNameSize]); !bytes.Equal(g, group) {
		return 0, fmt.Errorf("request for another group %q", g)
	}
	idx := int(int8(body[codec.GroupNameSize]))
	if idx < 0 || idx >= paths {
		return 0, fmt.Errorf("no such store path: index %d", idx)
	}
	return idx, nil
}

// ServeDup streams the reply for path idx on fd, a dup of the event loop's
// socket the caller lets go of, from a goroutine of its own that closes it
// when done; the outcome is logged with peer.
func (s *Source) ServeDup(fd int, peer string, idx int) error {
	f := os.NewFile(uintptr(fd), "fetch-binlog")
	nc, err := net.FileConn(f) // its own dup, in Go's poller
	_ = f.Close()
	if err != nil {
		return err
	}
	s.Log.Info("peer fetches the binlog of a store path", "peer", peer, "store_path_index", idx)
	go func() {
		defer nc.Close()
		lines, err := s.Stream(nc, idx)
		if err != nil {
			s.Log.Warn("FETCH_ONE_PATH_BINLOG aborted", "peer", peer, "store_path_index", idx, "err", err)
			return
		}
		s.Log.Info("binlog of a store path sent", "peer", peer, "store_path_index", idx, "lines", lines)
	}()
	return nil
}

// Stream writes the reply of FETCH_ONE_PATH_BINLOG for path idx to w:
// header, lines, trailer. It reads the binlog files that exist when it
// starts (up to the one being written, whose end it reads as found), and
// returns the lines sent.
func (s *Source) Stream(w net.Conn, idx int) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var hdr [codec.HeaderSize]byte
	codec.Header{BodyLen: InfiniteFileSize, Cmd: codec.CmdResp}.Put(hdr[:])
	if _, err := bw.Write(hdr[:]); err != nil {
		return 0, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	var sent int64
	lines := 0
	err := s.lines(idx, func(line []byte) error {
		if s.Stopped != nil && s.Stopped() {
			return errors.New("storage stopping")
		}
		_ = w.SetWriteDeadline(time.Now().Add(timeout))
		n, err := bw.Write(line)
		sent += int64(n)
		lines++
		return err
	})
	if err != nil {
		return lines, err
	}
	var trailer [8]byte
	binary.BigEndian.PutUint64(trailer[:], uint64(sent))
	if _, err := bw.Write(trailer[:]); err != nil {
		return lines, err
	}
	return lines, bw.Flush()
}

// lines calls emit with each line FETCH_ONE_PATH_BINLOG sends for path
// idx ('\n' included; the slice is reused).
func (s *Source) lines(idx int, emit func([]byte) error) error {
	sp := s.Paths[idx]
	last := s.Binlog.WriteIndex()
	rd := replica.NewReader(s.Binlog.Dir(), 0, 0)
	defer rd.Close()
	var rec codec.BinlogRecord
	var line []byte
	for {
		_, err := rd.Next(&rec, last)
		if errors.Is(err, replica.ErrEnd) {
			if rd.Index() < last { // a file missing in the middle
				return fmt.Errorf("binlog %s missing", replica.BinlogFileName(rd.Index()))
			}
			return nil
		}
		if err != nil {
			var ce *codec.Error
			if errors.As(err, &ce) {
				continue // a malformed line: skipped, as the pushers do
			}
			return err
		}
		op := rec.Op.Source()
		if op != codec.BinlogOp('C') && op != codec.BinlogOp('L') && op != codec.BinlogOp('R') {
			continue
		}
		rf, err := codec.ParseRemoteFilename(rec.Filename, len(s.Paths))
		if err != nil || rf.StorePath != idx {
			continue
		}
		src := rec.Op.IsSource()
		kind := codec.BinlogOp('C')
		var target []byte
		if isTrunkName(&rf) {
			// the slot is inside a trunk file: nothing to stat
		} else {
			ref := diskio.FileRef{High: int(rf.High), Low: int(rf.Low), Name: string(rf.Name)}
			st, err := sp.Lstat(ref)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				return fmt.Errorf("lstat %s: %w", rec.Filename, err)
			}
			if st.IsSymlink() {
				if op == codec.BinlogOp('C') {
					s.Log.Warn("binlog says created, disk holds a symlink", "file", string(rec.Filename))
				}
				t, err := sp.LinkTarget(ref)
				if err != nil {
					s.Log.Warn("FETCH_ONE_PATH_BINLOG: unreadable link left out", "file", string(rec.Filename), "err", err)
					continue
				}
				if _, err := sp.Stat(t); err != nil {
					s.Log.Warn("FETCH_ONE_PATH_BINLOG: link to a missing file left out", "file", string(rec.Filename))
					continue
				}
				kind = 'L'
				target = t.AppendLogic(target[:0], idx)
			} else if op == codec.BinlogOp('L') {
				s.Log.Warn("binlog says linked, disk holds a regular file", "file", string(rec.Filename))
			}
		}
		if !src {
			kind = kind.Replica()
		}
		line = strconv.AppendInt(line[:0], rec.Timestamp, 10)
		line = append(line, ' ', byte(kind), ' ')
		line = append(line, rec.Filename...)
		if target != nil {
			line = append(line, ' ')
			line = append(line, target...)
		}
		line = append(line, '\n')
		if err := emit(line); err != nil {
			return err
		}
	}
}
