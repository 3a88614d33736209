package storage

import (
	"hash/crc32"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/placement"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// trunkWanted: a plain UPLOAD_FILE (never appender or slave) that fits a
// slot, as C decides (24-byte header + content <= slot_max_size), whole
// in memory or streamed.
func (s *Server) trunkWanted(op *pendingOp) bool {
	return op.cmd == codec.CmdUploadFile && s.trunk.Fits(op.size)
}

// openTrunkWriter takes a slot for a streamed upload (worker thread) and
// writes the content at the slot's content offset through the container
// the trunk store keeps open (no open, close or cached read descriptor
// dropped per upload); commitTrunkUpload or cancelTrunkSlot ends the hold.
func (s *Server) openTrunkWriter(op *pendingOp, wo diskio.WriteOptions) (*diskio.FileWriter, error) {
	r, errno := s.trunk.Reserve(false, op.path.index, op.size)
	if errno != codec.OK {
		return nil, errno
	}
	f, err := r.File()
	var w *diskio.FileWriter
	if err == nil {
		w, err = op.path.disk.WriteRegion(f, r.ContentOffset(), wo)
	}
	if err != nil {
		r.Cancel(errnoOf(err))
		return nil, err
	}
	op.slot = r
	return w, nil
}

// cancelTrunkSlot gives back the slot of a streamed upload that failed.
func (s *Server) cancelTrunkSlot(op *pendingOp, err error) {
	op.slot.Cancel(errnoOf(err))
}

// commitTrunkUpload ends a streamed upload whose content is in its slot:
// header and confirm (Reservation.Finish), then the binlog and the reply,
// as storeInTrunk does for a whole body.
func (s *Server) commitTrunkUpload(cs *connState, w *diskio.FileWriter) codec.Errno {
	op := &cs.op
	size, crc := w.Written(), w.CRC32()
	if err := w.Finish(); err != nil {
		s.logOpError(cs, err)
		s.cancelTrunkSlot(op, err)
		return errnoOf(err)
	}
	mtime := s.fileTime(s.now())
	var ext7buf [codec.Ext7Len]byte
	ext7, err := placement.Ext7(ext7buf[:0], op.ext)
	if err != nil {
		s.cancelTrunkSlot(op, codec.EINVAL)
		return codec.EINVAL
	}
	f := codec.NameFields{Source: s.source(cs.local), Timestamp: uint32(mtime.Unix()),
		SizeField: codec.TrunkSizeField(size, placement.Random23()), CRC32: crc}
	info := op.slot.Info
	if errno := op.slot.Finish(f, ext7); errno != codec.OK {
		return errno
	}
	op.nameBuf = trunk.AppendLogic(op.nameBuf[:0], op.path.index, info, f, ext7)
	if errno := s.logOp(cs, codec.BinlogCreate, mtime.Unix(), op.nameBuf, nil, 0, 0); errno != codec.OK {
		return errno
	}
	s.setUploadReply(cs, op.nameBuf)
	return codec.OK
}

// uploadToTrunk stores op.content in a trunk slot (worker thread).
func (s *Server) uploadToTrunk(cs *connState) {
	errno := s.storeInTrunk(cs, false)
	// the body buffer goes back before finish: after it the loop owns cs
	cs.op.content = nil
	cs.releaseBody()
	if errno != codec.OK {
		cs.finishError(errno)
		return
	}
	cs.finish(false)
}

// trunkOnLoop stores a whole body straight from gnet's buffer when this
// storage is the trunk server (all local, as cheap as a plain upload on
// the loop). pktLen is the request's length in the buffer.
func (s *Server) trunkOnLoop(cs *connState, c gnet.Conn, body []byte, pktLen int) step {
	op := &cs.op
	op.content = body
	errno := s.storeInTrunk(cs, true)
	op.content = nil // gnet's buffer: not to be kept past Discard
	_, _ = c.Discard(pktLen)
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

// storeInTrunk puts op.content in a slot (trunk.Side.Put), then logs `C`
// and builds the reply in cs.out. One killed after the slot's confirm has
// its binlog line and reply still to come: the client sees an error and
// the file stays, as with a plain upload killed after its rename.
func (s *Server) storeInTrunk(cs *connState, onLoop bool) codec.Errno {
	op := &cs.op
	mtime := s.fileTime(s.now())
	var ext7buf [codec.Ext7Len]byte
	ext7, err := placement.Ext7(ext7buf[:0], op.ext)
	if err != nil {
		return codec.EINVAL
	}
	f := codec.NameFields{Source: s.source(cs.local), Timestamp: uint32(mtime.Unix()),
		SizeField: codec.TrunkSizeField(int64(len(op.content)), placement.Random23()), CRC32: crc32.ChecksumIEEE(op.content)}
	info, errno := s.trunk.Put(onLoop, op.path.index, f, ext7, op.content)
	if errno != codec.OK {
		return errno
	}
	op.nameBuf = trunk.AppendLogic(op.nameBuf[:0], op.path.index, info, f, ext7)
	if errno := s.logOp(cs, codec.BinlogCreate, mtime.Unix(), op.nameBuf, nil, 0, 0); errno != codec.OK {
		return errno
	}
	s.setUploadReply(cs, op.nameBuf)
	return codec.OK
}
