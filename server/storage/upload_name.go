package storage

import (
	"time"
	"unsafe"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// makeNameView is makeName without its one allocation: the ref's Name is
// a view of the logic name in dst's storage, not a copy. It is valid until
// dst is written again, i.e. for the current request of a connection (the
// name buffer is per connection), and must not be kept past it.
func (s *Server) makeNameView(dst []byte, p *storePath, high, low int, src uint32, mtime time.Time,
	size int64, crc uint32, appender bool, ext7 []byte) newName {
	r := random23()
	fn := codec.FileName{StorePath: p.index}
	fn.Fields = codec.NameFields{Source: src, Timestamp: uint32(mtime.Unix()), CRC32: crc}
	if appender {
		fn.Fields.SizeField = codec.AppenderSizeField(r)
	} else {
		fn.Fields.SizeField = codec.NormalSizeField(size, r)
	}
	copy(fn.Ext7[:], ext7)
	if high < 0 {
		var b64 [codec.B64PartLen]byte
		high, low = s.dist.next(fn.Fields.AppendB64(b64[:0]))
	}
	fn.High, fn.Low = byte(high), byte(low)
	logic := fn.Append(dst[:0])
	base := logic[codec.LogicPathLen:]
	ref := diskio.FileRef{High: high, Low: low, Name: unsafe.String(unsafe.SliceData(base), len(base))}
	return newName{logic: logic, ref: ref}
}

// tempDir is the directory an upload's temp file is opened in: the one the
// path's last new file went to, which under the default rotating
// distribution is where this one goes too (and elsewhere a directory near
// it), so the inode is allocated in that directory's block group
// (diskio.StorePath.CreateTempIn).
func (p *storePath) tempDir() diskio.FileRef {
	d := p.lastDir.Load()
	return diskio.FileRef{High: int(d >> 8), Low: int(d & 0xFF)}
}

// noteDir records the directory a new file was committed into.
func (p *storePath) noteDir(ref diskio.FileRef) {
	p.lastDir.Store(uint32(ref.High)<<8 | uint32(ref.Low&0xFF))
}
