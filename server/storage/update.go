package storage

import (
	"errors"
	"os"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/placement"
)

// doDelete serves DELETE_FILE (worker thread): the file (a regular file or
// a slave symlink, whose target goes too), then its "-m" companion, each
// with its own `D` binlog line, in the order C logs them.
func (s *Server) doDelete(cs *connState) {
	op := &cs.op
	if ref, isTrunk, err := trunkRefOf(op); isTrunk {
		if err != nil {
			cs.finishError(codec.EINVAL)
			return
		}
		s.deleteTrunkFile(cs, &ref)
		return
	}
	disk := op.path.disk
	st, err := disk.Lstat(op.ref)
	if err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	if !st.IsRegular() && !st.IsSymlink() {
		cs.finishError(codec.EINVAL)
		return
	}
	now := s.now().Unix()
	if st.IsSymlink() {
		if target, err := disk.LinkTarget(op.ref); err != nil {
			s.logOpError(cs, err)
		} else if err := disk.Remove(target); err == nil {
			op.auxBuf = target.AppendLogic(op.auxBuf[:0], op.path.index)
			s.logOp(cs, codec.BinlogDelete, now, op.auxBuf, nil, 0, 0)
		} else if !errors.Is(err, os.ErrNotExist) {
			s.logOpError(cs, err)
		}
	}
	if err := disk.Remove(op.ref); err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	if errno := s.logOp(cs, codec.BinlogDelete, now, op.rf.Logic, nil, 0, 0); errno != codec.OK {
		cs.finishError(errno)
		return
	}
	if err := disk.Remove(op.ref.Meta()); err == nil {
		op.auxBuf = append(append(op.auxBuf[:0], op.rf.Logic...), codec.MetaFileSuffix...)
		s.logOp(cs, codec.BinlogDelete, now, op.auxBuf, nil, 0, 0)
	} else if !errors.Is(err, os.ErrNotExist) {
		s.logOpError(cs, err)
	}
	cs.setReply(codec.OK, 0)
	cs.finish(false)
}

// doTruncate serves TRUNCATE_FILE on an appender file (worker thread).
// The same size is a success that changes nothing and logs nothing.
func (s *Server) doTruncate(cs *connState) {
	op := &cs.op
	st, err := op.path.disk.Stat(op.ref)
	if err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	if !st.IsRegular() {
		cs.finishError(codec.EINVAL)
		return
	}
	if st.Size != op.newSize {
		if err := op.path.disk.Truncate(op.ref, op.newSize); err != nil {
			s.logOpError(cs, err)
			cs.finishError(errnoOf(err))
			return
		}
		ts := s.now().Unix()
		if after, err := op.path.disk.Stat(op.ref); err == nil {
			ts = after.ModTime.Unix()
		}
		if errno := s.logOp(cs, codec.BinlogTruncate, ts, op.rf.Logic, nil, st.Size, op.newSize); errno != codec.OK {
			cs.finishError(errno)
			return
		}
	}
	cs.setReply(codec.OK, 0)
	cs.finish(false)
}

// doRegenerate serves REGENERATE_APPENDER_FILENAME (worker thread): the
// appender becomes a normal file named for its current content (size and
// CRC32 of the whole file), this storage, the current time, and the same
// Mxx/HH/HH and EXT7 as before; binlog `R <new> <old>`.
func (s *Server) doRegenerate(cs *connState) {
	op := &cs.op
	disk := op.path.disk
	st, err := disk.Stat(op.ref)
	if err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	if !st.IsRegular() {
		cs.finishError(codec.EINVAL)
		return
	}
	crc, size, err := disk.CRC32(op.ref)
	if err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	if len(op.rf.Name) < codec.B64PartLen+codec.Ext7Len {
		cs.finishError(codec.EINVAL)
		return
	}
	ext7 := op.rf.Name[len(op.rf.Name)-codec.Ext7Len:]
	now := s.now()
	var name placement.Name
	renamed := false
	for range placement.MaxNameTries {
		name = placement.NameView(op.nameBuf, &placement.Spec{StorePath: op.path.index, High: int(op.rf.High),
			Low: int(op.rf.Low), Source: s.source(cs.local), MTime: now, Size: size, CRC32: crc, Ext7: ext7}, s.dist)
		name.Ref.Name = strings.Clone(name.Ref.Name) // its own copy: op.nameBuf may be reused before the ref is
		op.nameBuf = name.Logic
		if err = disk.Rename(op.ref, name.Ref); err == nil {
			renamed = true
			break
		}
		if !errExists(err) {
			s.logOpError(cs, err)
			cs.finishError(errnoOf(err))
			return
		}
	}
	if !renamed {
		cs.finishError(codec.EEXIST)
		return
	}
	if errno := s.logOp(cs, codec.BinlogRename, now.Unix(), name.Logic, op.rf.Logic, 0, 0); errno != codec.OK {
		cs.finishError(errno)
		return
	}
	s.setUploadReply(cs, name.Logic)
	cs.finish(false)
}

func decodeDelete(_ *pendingOp, _ codec.Header, body []byte) (group, name []byte, err error) {
	var r codec.DeleteRequest
	err = r.Decode(body)
	return r.Group, r.Name, err
}

func decodeTruncate(op *pendingOp, _ codec.Header, body []byte) (group, name []byte, err error) {
	var r codec.TruncateRequest
	err = r.Decode(body)
	op.newSize = r.TruncatedSize
	return nil, r.Name, err
}

func decodeRegenerate(_ *pendingOp, _ codec.Header, body []byte) (group, name []byte, err error) {
	var r codec.RegenerateRequest
	err = r.Decode(body)
	return nil, r.Name, err
}
