package placement

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
	"unsafe"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// MaxNameTries is how many names C tries before answering EEXIST (V6.12+).
const MaxNameTries = 10

// randomDigit is the digit source of EXT7.
func randomDigit() byte { return '0' + byte(rand.IntN(10)) }

// Random23 is the random part of a size field.
func Random23() uint32 { return rand.Uint32() & 0x7FFFFF }

// Ext7 returns a new EXT7 for ext (random digits each call).
func Ext7(dst, ext []byte) ([]byte, error) {
	return codec.AppendExt7(dst[:0], ext, randomDigit)
}

// SourceIP is the address new names carry without storage ids: fixed by
// option, else "my IP" learned from the trackers with GET_MY_IP (nil while
// none answered), else the address the client reached us on.
func SourceIP(fixed netip.Addr, learned *netip.Addr, local netip.Addr) netip.Addr {
	switch {
	case fixed.IsValid():
		return fixed
	case learned != nil:
		return *learned
	}
	return local
}

// Source is the value in bytes 0-3 of new names: the storage id when ids
// are in use, else the IPv4 address ip (C's 0xFFFFFFFF for one it cannot
// parse).
func Source(useStorageID bool, storageID string, ip netip.Addr) uint32 {
	if useStorageID {
		id, _ := strconv.ParseUint(storageID, 10, 32) // checked when the config is loaded
		return uint32(id)
	}
	if ip.Is4() || ip.Is4In6() {
		return codec.SourceFromIPv4(ip.Unmap().As4())
	}
	return 0xFFFFFFFF
}

// Name is a freshly generated name for a file.
type Name struct {
	Logic []byte // "Mxx/HH/HH/NAME"
	Ref   diskio.FileRef
}

// Spec is what a new normal or appender name is made of, as C makes it:
// source, timestamp (the file's mtime after the write), size field with a
// random part, CRC32, and EXT7. High/Low < 0 asks the distributor.
type Spec struct {
	StorePath int
	High, Low int
	Source    uint32
	MTime     time.Time
	Size      int64
	CRC32     uint32
	Appender  bool
	Ext7      []byte
}

// NameView builds the name of sp into dst without allocating: the ref's
// Name is a view of the logic name in dst's storage, not a copy. It is
// valid until dst is written again, i.e. for the current request of a
// connection (the name buffer is per connection), and must not be kept
// past it.
func NameView(dst []byte, sp *Spec, d *Distributor) Name {
	r := Random23()
	fn := codec.FileName{StorePath: sp.StorePath}
	fn.Fields = codec.NameFields{Source: sp.Source, Timestamp: uint32(sp.MTime.Unix()), CRC32: sp.CRC32}
	if sp.Appender {
		fn.Fields.SizeField = codec.AppenderSizeField(r)
	} else {
		fn.Fields.SizeField = codec.NormalSizeField(sp.Size, r)
	}
	copy(fn.Ext7[:], sp.Ext7)
	high, low := sp.High, sp.Low
	if high < 0 {
		var b64 [codec.B64PartLen]byte
		high, low = d.Next(fn.Fields.AppendB64(b64[:0]))
	}
	fn.High, fn.Low = byte(high), byte(low)
	logic := fn.Append(dst[:0])
	base := logic[codec.LogicPathLen:]
	ref := diskio.FileRef{High: high, Low: low, Name: unsafe.String(unsafe.SliceData(base), len(base))}
	return Name{Logic: logic, Ref: ref}
}

// CheckRoom is the reserved-space check of a new file of need bytes on a
// store path (root, one of paths) whose space is sp.
//
// Like C, the check is made on the free space left after the file (C
// subtracts whole MB, we subtract bytes), so a file that cannot fit is
// refused before a byte is preallocated.
func CheckRoom(sp diskio.Space, need int64, r diskio.Reserve, paths int, root string) error {
	sp.FreeBytes -= min(sp.FreeBytes, uint64(max(need, 0)))
	if !r.PathHasRoom(sp, paths) {
		return &diskio.NoSpaceError{Path: root, FreeMB: sp.FreeMB(), TotalMB: sp.TotalMB(),
			NeedMB: r.MB / int64(paths), Ratio: r.Ratio}
	}
	return nil
}

// ReservedMB is reserved_storage_space of a store (or the sum of its
// paths) of totalMB as the tracker applies it: a ratio of the total, or a
// fixed size.
func ReservedMB(r diskio.Reserve, totalMB int64) int64 {
	if r.Ratio > 0 {
		return int64(float64(totalMB) * r.Ratio)
	}
	return r.MB
}

// FileTime is a written file's mtime on a member's clock reading now:
// names and binlog lines take the time from the file (as C does), and the
// kernel stamps it with the host clock, so a skewed member clock
// (storage.WithClock) shifts it by the same offset.
func FileTime(mtime, now time.Time) time.Time {
	// rounded: with the real clock the two reads differ by nanoseconds,
	// which must not move a name across a second
	return mtime.Add(now.Sub(time.Now()).Round(time.Millisecond))
}
