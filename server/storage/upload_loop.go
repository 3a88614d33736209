package storage

import (
	"hash/crc32"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/placement"
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
	if op.cmd == codec.CmdUploadFile {
		return s.createOnLoop(cs, c, body, pktLen)
	}
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

// createOnLoop is writeOnLoop for a plain UPLOAD_FILE: the body is whole in
// memory, so its size and CRC32, and with them its name, are known before
// the file exists, and the file is created under that name at once
// (diskio WriteNew: no unnamed inode to link in; about 10 us less CPU per
// 4 KiB upload on ext4, BENCHMARKS.md). The name's timestamp is the clock
// at the write (a normal file's name otherwise takes its mtime, which the
// kernel sets from the same clock a moment later, as trunk names take the
// request's time). A kill -9 mid-write leaves no file whose bytes differ
// from its name after the restart (WriteNew, CheckCreating).
func (s *Server) createOnLoop(cs *connState, c gnet.Conn, body []byte, pktLen int) step {
	op := &cs.op
	crc := crc32.ChecksumIEEE(body)
	mtime := s.now()
	var ext7 [codec.Ext7Len]byte
	errno := codec.EEXIST
	var name placement.Name
	high, low := -1, -1
	for range placement.MaxNameTries {
		e7, err := placement.Ext7(ext7[:0], op.ext)
		if err != nil {
			errno = codec.EINVAL
			break
		}
		name = placement.NameView(op.nameBuf, &placement.Spec{StorePath: op.path.index, High: high, Low: low,
			Source: s.source(cs.local), MTime: mtime, Size: int64(len(body)), CRC32: crc, Ext7: e7}, s.dist)
		op.nameBuf = name.Logic
		high, low = name.Ref.High, name.Ref.Low
		err = op.path.disk.WriteNew(name.Ref, body, crc)
		if err == nil {
			op.path.room.NoteDir(name.Ref)
			errno = codec.OK
			break
		}
		if !errExists(err) {
			s.logOpError(cs, err)
			errno = errnoOf(err)
			break
		}
	}
	_, _ = c.Discard(pktLen) // body was gnet's buffer: not used past here
	if errno == codec.EEXIST {
		s.log.Warn("no unique file name", "store_path", op.path.disk.Root(), "tries", placement.MaxNameTries)
	}
	if errno == codec.OK {
		errno = s.logOp(cs, codec.BinlogCreate, mtime.Unix(), name.Logic, nil, 0, 0)
		if errno != codec.OK {
			_ = op.path.disk.Remove(name.Ref)
		}
	}
	if errno == codec.OK {
		s.setUploadReply(cs, name.Logic)
		s.counters.loopWrites.Add(1)
	} else {
		cs.setReply(errno, 0)
	}
	_, _ = c.Write(cs.out)
	if errno == codec.EINVAL {
		return stepClose // as C
	}
	return stepNext
}
