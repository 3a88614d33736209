package storage

import (
	"errors"
	"os"

	"github.com/gofdfs/gofdfs/codec"
)

// doSetMetadata serves SET_METADATA (worker thread). The data file must
// exist. 'O' replaces the "-m" file with the canonical records (empty
// metadata deletes it); 'M' merges into it (empty metadata changes
// nothing). The binlog gets `C` when the "-m" file is created, `U` when it
// is rewritten and `D` when it is deleted, as C logs them.
func (s *Server) doSetMetadata(cs *connState) {
	op := &cs.op
	disk := op.path.disk
	if _, err := s.statFile(op); err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	metaRef := op.ref.Meta()
	old, err := disk.ReadSmallFile(metaRef, s.maxRequest)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	op.logicBuf = append(append(op.logicBuf[:0], op.rf.Logic...), codec.MetaFileSuffix...)
	now := s.now().Unix()
	var data []byte
	switch {
	case len(op.meta) == 0 && op.metaOp == codec.MetaMerge:
		cs.setReply(codec.OK, 0)
		cs.finish(false)
		return
	case len(op.meta) == 0: // 'O' with nothing: delete
		if exists {
			if err := disk.Remove(metaRef); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.logOpError(cs, err)
				cs.finishError(errnoOf(err))
				return
			}
			if errno := s.logOp(cs, codec.BinlogDelete, now, op.logicBuf, nil, 0, 0); errno != codec.OK {
				cs.finishError(errno)
				return
			}
		}
		cs.setReply(codec.OK, 0)
		cs.finish(false)
		return
	case op.metaOp == codec.MetaMerge && exists:
		data = codec.MergeMetadata(op.auxBuf[:0], old, op.meta)
	default:
		data = codec.NormalizeMetadata(op.auxBuf[:0], op.meta)
	}
	op.auxBuf = data
	if err := disk.WriteFileAtomic(metaRef, data, false); err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	letter := codec.BinlogCreate
	if exists {
		letter = codec.BinlogUpdate
	}
	if errno := s.logOp(cs, letter, now, op.logicBuf, nil, 0, 0); errno != codec.OK {
		cs.finishError(errno)
		return
	}
	cs.setReply(codec.OK, 0)
	cs.finish(false)
}

// doGetMetadata serves GET_METADATA (worker thread): the "-m" file's bytes;
// ENOENT when the data file or the metadata file is missing.
func (s *Server) doGetMetadata(cs *connState) {
	op := &cs.op
	disk := op.path.disk
	if _, err := s.statFile(op); err != nil {
		s.logOpError(cs, err)
		cs.finishError(errnoOf(err))
		return
	}
	data, err := disk.ReadSmallFile(op.ref.Meta(), s.maxRequest)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.logOpError(cs, err)
		}
		cs.finishError(readErrno(err))
		return
	}
	cs.setReply(codec.OK, len(data))
	cs.out = append(cs.out, data...)
	cs.finish(false)
}

func decodeSetMetadata(op *pendingOp, _ codec.Header, body []byte) (group, name []byte, err error) {
	var r codec.SetMetadataRequest
	err = r.Decode(body)
	op.metaOp, op.meta = r.Op, r.Metadata
	return r.Group, r.Name, err
}

func decodeGetMetadata(_ *pendingOp, _ codec.Header, body []byte) (group, name []byte, err error) {
	var r codec.GetMetadataRequest
	err = r.Decode(body)
	return r.Group, r.Name, err
}
