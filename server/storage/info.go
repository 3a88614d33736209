package storage

import (
	"github.com/gofdfs/gofdfs/codec"
)

// doFileInfo serves QUERY_FILE_INFO (worker thread): size and mtime from
// the disk (a slave link reports its own mtime), the CRC32 from the name
// for normal files and computed over the content for appender and slave
// files (0 with the no-CRC flag), and the source IP decoded from the name.
// A storage id cannot be turned into an address without the id table, so
// it is answered with an empty IP, as C does for an unknown id.
func (s *Server) doFileInfo(cs *connState) {
	op := &cs.op
	disk := op.path.disk
	st, err := s.statFile(op)
	if err != nil {
		if op.flags&codec.QueryFlagSilent == 0 {
			s.logOpError(cs, err)
		}
		cs.finishError(errnoOf(err))
		return
	}
	if !st.IsRegular() {
		cs.finishError(codec.ENOENT)
		return
	}
	if len(op.rf.Logic) < codec.MinQueryNameLen {
		cs.finishError(codec.EINVAL) // C checks the length only after finding the file
		return
	}
	fields, err := op.rf.Fields()
	if err != nil {
		cs.finishError(codec.EINVAL)
		return
	}
	mtime := st.ModTime
	crc := fields.CRC32
	switch op.rf.Kind(fields) {
	case codec.KindSlave:
		if lst, err := disk.Lstat(op.ref); err == nil && lst.IsSymlink() {
			mtime = lst.ModTime
		}
		fallthrough
	case codec.KindAppender:
		if op.flags&codec.QueryFlagNoCRC != 0 {
			crc = 0
		} else if crc, _, err = disk.CRC32(op.ref); err != nil {
			s.logOpError(cs, err)
			cs.finishError(errnoOf(err))
			return
		}
	}
	var ip []byte
	if !fields.SourceIsID() {
		ip = fields.AppendSource(op.auxBuf[:0])
		op.auxBuf = ip
	}
	r := codec.FileInfoReply{FileSize: st.Size, CreateTime: mtime.Unix(), CRC32: crc, SourceIP: ip,
		IPSize: s.prm().ResponseIPSize}
	cs.setReply(codec.OK, r.Size())
	cs.out = r.Append(cs.out)
	cs.finish(false)
}

// decodeQueryFileInfo: the header's status byte carries the flags.
func decodeQueryFileInfo(op *pendingOp, hdr codec.Header, body []byte) (group, name []byte, err error) {
	r := codec.QueryFileInfoRequest{Flags: hdr.Status}
	err = r.Decode(body)
	op.flags = r.Flags
	return r.Group, r.Name, err
}
