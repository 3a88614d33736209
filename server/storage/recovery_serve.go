package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/panjf2000/gnet/v2"

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
// connection closed.
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

// infiniteFileSize is libfastcommon's INFINITE_FILE_SIZE: "read until the
// peer closes".
const infiniteFileSize = int64(1) << 58

// fetchPathBinlogBodyLen is the request body: group + path index.
const fetchPathBinlogBodyLen = codec.GroupNameSize + 1

// handleFetchPathBinlog validates a FETCH_ONE_PATH_BINLOG request and hands
// the socket to a goroutine that streams the path's binlog and closes it;
// the event loop lets go of the connection at once.
func (s *Server) handleFetchPathBinlog(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	if hdr.BodyLen != fetchPathBinlogBodyLen {
		s.log.Warn("FETCH_ONE_PATH_BINLOG: bad body length", "peer", cs.peer, "len", hdr.BodyLen)
		return s.replyError(c, codec.EINVAL)
	}
	total := codec.HeaderSize + fetchPathBinlogBodyLen
	if n < total {
		return stepMore
	}
	pkt, _ := c.Peek(total)
	body := pkt[codec.HeaderSize:]
	idx := int(int8(body[codec.GroupNameSize]))
	if !s.ownGroup(body[:codec.GroupNameSize]) {
		s.log.Warn("FETCH_ONE_PATH_BINLOG for another group", "peer", cs.peer,
			"group", string(codec.FixedBytes(body[:codec.GroupNameSize])))
		return s.replyError(c, codec.EINVAL)
	}
	if idx < 0 || idx >= len(s.paths) {
		s.log.Warn("FETCH_ONE_PATH_BINLOG: no such store path", "peer", cs.peer, "index", idx)
		return s.replyError(c, codec.EINVAL)
	}
	_, _ = c.Discard(total)
	if c.OutboundBuffered() > 0 {
		_ = c.Flush()
	}
	fd, err := c.Dup()
	if err != nil {
		s.log.Error("FETCH_ONE_PATH_BINLOG: dup socket", "peer", cs.peer, "err", err)
		return s.replyError(c, codec.EIO)
	}
	f := os.NewFile(uintptr(fd), "fetch-binlog")
	nc, err := net.FileConn(f) // its own dup, in Go's poller
	_ = f.Close()
	if err != nil {
		s.log.Error("FETCH_ONE_PATH_BINLOG: socket", "peer", cs.peer, "err", err)
		return stepClose
	}
	s.log.Info("peer fetches the binlog of a store path", "peer", cs.peer, "store_path_index", idx)
	go func() {
		defer nc.Close()
		lines, err := s.streamPathBinlog(nc, idx)
		if err != nil {
			s.log.Warn("FETCH_ONE_PATH_BINLOG aborted", "peer", cs.peer, "store_path_index", idx, "err", err)
			return
		}
		s.log.Info("binlog of a store path sent", "peer", cs.peer, "store_path_index", idx, "lines", lines)
	}()
	return stepClose
}

// streamPathBinlog writes the reply of FETCH_ONE_PATH_BINLOG for path idx
// to w: header, lines, trailer. It reads the binlog files that exist when
// it starts (up to the one being written, whose end it reads as found).
func (s *Server) streamPathBinlog(w net.Conn, idx int) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	var hdr [codec.HeaderSize]byte
	codec.Header{BodyLen: infiniteFileSize, Cmd: codec.CmdResp}.Put(hdr[:])
	if _, err := bw.Write(hdr[:]); err != nil {
		return 0, err
	}
	timeout := s.cfg.NetworkTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	var sent int64
	lines := 0
	err := s.pathBinlogLines(idx, func(line []byte) error {
		if s.stopped() {
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

// stopped reports whether Serve has ended.
func (s *Server) stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// pathBinlogLines calls emit with each line FETCH_ONE_PATH_BINLOG sends
// for path idx ('\n' included; the slice is reused).
func (s *Server) pathBinlogLines(idx int, emit func([]byte) error) error {
	sp := s.paths[idx]
	dir := s.binlog.Dir()
	last := s.binlog.WriteIndex()
	rd := replica.NewReader(dir, 0, 0)
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
		rf, err := codec.ParseRemoteFilename(rec.Filename, len(s.paths))
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
			st, err := sp.disk.Lstat(ref)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				return fmt.Errorf("lstat %s: %w", rec.Filename, err)
			}
			if st.IsSymlink() {
				if op == codec.BinlogOp('C') {
					s.log.Warn("binlog says created, disk holds a symlink", "file", string(rec.Filename))
				}
				t, err := sp.disk.LinkTarget(ref)
				if err != nil {
					s.log.Warn("FETCH_ONE_PATH_BINLOG: unreadable link left out", "file", string(rec.Filename), "err", err)
					continue
				}
				if _, err := sp.disk.Stat(t); err != nil {
					s.log.Warn("FETCH_ONE_PATH_BINLOG: link to a missing file left out", "file", string(rec.Filename))
					continue
				}
				kind = 'L'
				target = appendLogic(target[:0], idx, t)
			} else if op == codec.BinlogOp('L') {
				s.log.Warn("binlog says linked, disk holds a regular file", "file", string(rec.Filename))
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

// isTrunkName: a name whose size field carries the trunk flag.
func isTrunkName(rf *codec.RemoteFilename) bool {
	f, err := rf.Fields()
	return err == nil && rf.Kind(f) == codec.KindTrunk
}
