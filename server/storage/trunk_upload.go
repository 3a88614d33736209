package storage

import (
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// trunkWanted says whether an upload goes into a trunk slot, as C decides:
// use_trunk_file is on, it is a plain UPLOAD_FILE (never an appender or a
// slave), and header plus content fit slot_max_size. Bodies the storage
// streams to a file writer (larger than its small-body buffer) are stored
// as plain files for now.
func (s *Server) trunkWanted(op *pendingOp) bool {
	if op.cmd != codec.CmdUploadFile {
		return false
	}
	t := &s.trunk
	if !t.on.Load() {
		return false
	}
	t.mu.Lock()
	slotMax := int64(t.slotMax)
	t.mu.Unlock()
	if slotMax <= 0 {
		slotMax = 8 << 20 // C's default, trunk_file_size / 8
	}
	return op.size+codec.TrunkSlotHeaderSize <= slotMax && op.size <= int64(s.smallBody)
}

// uploadToTrunk stores op.content in a trunk slot (worker thread), in C's
// order: allocate at the trunk server, write header and content at the
// slot, confirm, log `C`, answer. A failed write gives the slot back
// (confirm with the error). An upload killed before its confirm leaves a
// held slot that the trunk server's restart frees; one killed after it has
// its binlog line and reply still to come: the client sees an error and
// the file stays, as with a plain upload killed after its rename.
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

// trunkOnLoop stores a whole trunk-sized body straight from gnet's buffer
// (no copy, no worker hand-off) when this storage is its group's trunk
// server: allocation, slot write, confirm and binlog line are all local
// and cost what a plain upload on the loop costs. pktLen is the request's
// length in the buffer.
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

// storeInTrunk does the work of uploadToTrunk; on success the reply is in
// cs.out. onLoop (the event loop's thread) refuses with EAGAIN rather than
// call a remote trunk server: the loop must not block on the network.
func (s *Server) storeInTrunk(cs *connState, onLoop bool) codec.Errno {
	op := &cs.op
	content := op.content
	st, err := s.trunkStore()
	if err != nil {
		return codec.EIO
	}
	// one trunk server for the whole upload: alloc and confirm go to the same
	addr, err := s.trunkServerAddr()
	if err != nil {
		s.log.Warn("trunk alloc", "size", len(content), "err", err)
		return codec.EAGAIN
	}
	if onLoop && addr != "" {
		return codec.EAGAIN
	}
	need := int32(len(content)) + codec.TrunkSlotHeaderSize
	info, errno := s.allocTrunk(st, addr, op.path.index, need)
	if errno != codec.OK {
		return errno
	}
	mtime := s.fileTime(s.now())
	var ext7buf [codec.Ext7Len]byte
	ext7, err := makeExt7(ext7buf[:0], op.ext)
	if err != nil {
		s.confirmTrunk(st, addr, info, codec.EINVAL)
		return codec.EINVAL
	}
	f := codec.NameFields{Source: s.source(cs.local), Timestamp: uint32(mtime.Unix()),
		SizeField: codec.TrunkSizeField(int64(len(content)), random23()), CRC32: crc32.ChecksumIEEE(content)}
	slot := codec.TrunkSlot{ID: info.FileID, Offset: info.Offset, Size: info.SlotSize}
	hdr := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, f, slot, ext7)
	var hdrBuf [codec.TrunkSlotHeaderSize]byte
	if err := st.WriteSlot(info, hdr.Append(hdrBuf[:0]), content); err != nil {
		s.log.Error("trunk upload: write slot", "peer", cs.peer, "slot", trunk.String(info), "err", err)
		s.confirmTrunk(st, addr, info, errnoOf(err))
		return errnoOf(err)
	}
	if errno := s.confirmTrunk(st, addr, info, codec.OK); errno != codec.OK {
		return errno
	}
	const hex = "0123456789ABCDEF"
	logic := append(op.nameBuf[:0], 'M', hex[op.path.index>>4&0xF], hex[op.path.index&0xF], '/',
		hex[info.SubPathHigh>>4], hex[info.SubPathHigh&0xF], '/', hex[info.SubPathLow>>4], hex[info.SubPathLow&0xF], '/')
	logic = f.AppendB64(logic)
	logic = slot.AppendB64(logic)
	logic = append(logic, ext7...)
	op.nameBuf = logic
	if errno := s.logOp(cs, codec.BinlogCreate, mtime.Unix(), logic, nil, 0, 0); errno != codec.OK {
		return errno
	}
	s.setUploadReply(cs, logic)
	return codec.OK
}

// allocTrunk takes a slot from the trunk server: ourselves, or the one the
// trackers named.
// addr "" is ourselves.
func (s *Server) allocTrunk(st *trunk.Store, addr string, path int, need int32) (codec.TrunkInfo, codec.Errno) {
	if addr == "" {
		info, err := st.Alloc(path, need)
		if err != nil {
			s.log.Error("trunk alloc", "size", need, "err", err)
			if errors.Is(err, trunk.ErrNoTrunkSpace) {
				return info, codec.EINVAL
			}
			return info, errnoOf(err)
		}
		return info, codec.OK
	}
	req := codec.TrunkAllocRequest{Group: s.group, FileSize: need, StorePathIndex: byte(path)}
	body, err := s.trunkExchange(addr, codec.CmdTrunkAllocSpace, 0, req.Append(nil), codec.TrunkInfoSize)
	var info codec.TrunkInfo
	if err == nil {
		err = info.Decode(body)
	}
	if err == nil && (int(info.StorePathIndex) != path || info.SlotSize < need) {
		err = fmt.Errorf("trunk server %s allocated %s for %d bytes on path %d", addr, trunk.String(info), need, path)
	}
	if err != nil {
		s.log.Error("TRUNK_ALLOC_SPACE", "trunk_server", addr, "size", need, "err", err)
		var e codec.Errno
		if errors.As(err, &e) {
			return info, e
		}
		return info, codec.EIO
	}
	return info, codec.OK
}

// confirmTrunk ends the hold on a slot: status 0 keeps it, anything else
// gives it back.
// addr is the trunk server the slot came from ("" is ourselves).
func (s *Server) confirmTrunk(st *trunk.Store, addr string, info codec.TrunkInfo, status codec.Errno) codec.Errno {
	var err error
	if addr == "" {
		err = st.Confirm(info, status)
	} else {
		req := codec.TrunkSpaceRequest{Group: s.group, Trunk: info}
		err = s.trunkCall(addr, codec.CmdTrunkAllocConfirm, byte(status), req.Append(nil), 0)
	}
	if err != nil {
		s.log.Error("TRUNK_ALLOC_CONFIRM", "trunk_server", addr, "slot", trunk.String(info), "status", status, "err", err)
		return codec.EIO
	}
	return codec.OK
}
