package storage

import (
	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
)

// writesOnLoop says whether a whole body of size bytes is written on the
// event loop itself: at most loop_write_max_size (ours, 16 KiB by default),
// and not one that fsync_after_written_bytes would make wait for the disk.
// A few KiB go to the page cache in one pwrite that does not wait for the
// disk, and handing them to a worker cost more than the write: two eventfd
// wake-ups, a thread switch each way and a copy of the body. Larger bodies
// still go to a worker, so dirty-page throttling or a slow disk can stall a
// worker but not the loop; operators on slow or network disks set the key
// to 0 and every body goes to a worker.
func (s *Server) writesOnLoop(size int64) bool {
	every := s.cfg.FsyncAfterWrittenBytes
	return size <= s.cfg.LoopWriteMax && (every <= 0 || size < every)
}

// writeOnLoop writes a body of at most loop_write_max_size bytes that is whole
// in gnet's buffer straight from it (no copy), commits it and answers,
// without leaving the loop. pktLen is the request's length in the buffer.
func (s *Server) writeOnLoop(cs *connState, c gnet.Conn, body []byte, pktLen int) step {
	op := &cs.op
	op.content = body
	w, err := s.openWriter(op)
	if err == nil {
		if _, err = w.Write(body); err != nil {
			_ = w.Abort()
		}
	}
	op.content = nil // gnet's buffer: not to be kept past Discard
	_, _ = c.Discard(pktLen)
	errno := codec.OK
	if err != nil {
		s.logOpError(cs, err)
		errno = errnoOf(err)
	} else {
		errno = s.commitBody(cs, w)
	}
	if errno != codec.OK {
		cs.setReply(errno, 0)
	} else {
		s.counters.loopWrites.Add(1)
	}
	_, _ = c.Write(cs.out)
	if errno == codec.EINVAL {
		return stepClose // as C
	}
	return stepNext
}
