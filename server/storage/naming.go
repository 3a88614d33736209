package storage

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// maxNameTries is how many names C tries before answering EEXIST (V6.12+).
const maxNameTries = 10

// distributor picks the data/HH/HH directory of new files
// (file_distribute_path_mode, client.md §7.6).
type distributor struct {
	mode    int // 0 rotate, 1 hash
	rotate  int // file_distribute_rotate_count
	subdirs int // subdir_count_per_path

	mu        sync.Mutex
	high, low int
	count     int // files written into high/low so far
}

// next returns the directory for a new file whose 27-character base64 part
// is b64 (used by the hash mode only).
func (d *distributor) next(b64 []byte) (high, low int) {
	if d.mode == 1 {
		h := pjwHash(b64) % 65536
		return int(h>>8) % d.subdirs, int(h&0xFF) % d.subdirs
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	high, low = d.high, d.low
	d.count++
	if d.count >= d.rotate {
		d.count = 0
		d.low++
		if d.low >= d.subdirs {
			d.low = 0
			d.high++
			if d.high >= d.subdirs {
				d.high = 0
			}
		}
	}
	return high, low
}

// pjwHash is libfastcommon's PJWHash, the hash C uses for mode 1.
func pjwHash(b []byte) uint32 {
	var h uint32
	for _, c := range b {
		h = h<<4 + uint32(c)
		if g := h & 0xF0000000; g != 0 {
			h ^= g >> 24
			h ^= g
		}
	}
	return h
}

// randomDigit is the digit source of EXT7.
func randomDigit() byte { return '0' + byte(rand.IntN(10)) }

// random23 is the random part of a size field.
func random23() uint32 { return rand.Uint32() & 0x7FFFFF }

// source is the value in bytes 0-3 of new names: the storage id, or the
// IPv4 address of this storage (fixed by option, else "my IP" learned from
// the trackers with GET_MY_IP, else the address the client reached us on).
func (s *Server) source(local netip.Addr) uint32 {
	if p := s.prm(); p.UseStorageID {
		id, _ := strconv.ParseUint(p.StorageID, 10, 32) // checked by New and applyParams
		return uint32(id)
	}
	ip := s.sourceIP
	if !ip.IsValid() {
		if my := s.myIP.Load(); my != nil {
			ip = *my // learned from the trackers (GET_MY_IP)
		} else {
			ip = local
		}
	}
	if ip.Is4() || ip.Is4In6() {
		return codec.SourceFromIPv4(ip.Unmap().As4())
	}
	return 0xFFFFFFFF // C's value for an address it cannot parse
}

// newName is a freshly generated name for a file of path p.
type newName struct {
	logic []byte // "Mxx/HH/HH/NAME"
	ref   diskio.FileRef
}

// makeName builds a new normal or appender file name as C does: source,
// timestamp (the file's mtime after the write), size field with a random
// part, CRC32, and EXT7 from ext. high/low < 0 asks the distributor.
func (s *Server) makeName(dst []byte, p *storePath, high, low int, src uint32, mtime time.Time,
	size int64, crc uint32, appender bool, ext7 []byte) (newName, error) {
	n := s.makeNameView(dst, p, high, low, src, mtime, size, crc, appender, ext7)
	n.ref.Name = strings.Clone(n.ref.Name) // its own copy: dst may be reused before ref is
	return n, nil
}

// makeExt7 returns a new EXT7 for ext (random digits each call).
func makeExt7(dst, ext []byte) ([]byte, error) {
	return codec.AppendExt7(dst[:0], ext, randomDigit)
}

// choosePath picks the store path of an upload: the requested index unless
// it is read-only (C silently picks its own then), or for 0xFF the next
// path in round robin (store_path mode 0) or the one with most free space
// (mode 2) among those that are writable and stay above their reserve
// with size more bytes. ENOSPC when none does.
func (s *Server) choosePath(req int8, size int64) (*storePath, error) {
	now := s.now()
	if req >= 0 {
		p := s.paths[req]
		if !p.disk.ReadOnly() {
			return p, s.checkRoom(p, now, size)
		}
	}
	n := len(s.paths)
	var best *storePath
	var bestFree uint64
	start := int(s.nextPath.Add(1)-1) % n
	for i := range n {
		p := s.paths[(start+i)%n]
		if p.disk.ReadOnly() || s.checkRoom(p, now, size) != nil {
			continue
		}
		if s.prm().StorePathMode != 2 {
			return p, nil
		}
		sp, _ := p.cachedSpace(now)
		if best == nil || sp.FreeBytes > bestFree {
			best, bestFree = p, sp.FreeBytes
		}
	}
	if best == nil {
		return nil, codec.ENOSPC
	}
	return best, nil
}

// checkRoom is the reserved-space check of a new file on p.
//
// need is the size of the file to come: like C, the check is made on the
// free space left after it (C subtracts whole MB, we subtract bytes), so a
// file that cannot fit is refused before a byte is preallocated.
func (s *Server) checkRoom(p *storePath, now time.Time, need int64) error {
	sp, err := p.cachedSpace(now)
	if err != nil {
		return err
	}
	sp.FreeBytes -= min(sp.FreeBytes, uint64(max(need, 0)))
	if r := s.prm().Reserve; !r.PathHasRoom(sp, len(s.paths)) {
		return &diskio.NoSpaceError{Path: p.disk.Root(), FreeMB: sp.FreeMB(), TotalMB: sp.TotalMB(),
			NeedMB: r.MB / int64(len(s.paths)), Ratio: r.Ratio}
	}
	return nil
}

// errExists reports a name collision from Commit/Rename.
func errExists(err error) bool { return errors.Is(err, errEEXIST) }

// fileTime is a written file's mtime on this member's clock: names and
// binlog lines take the time from the file (as C does), and the kernel
// stamps it with the host clock, so a skewed s.now (WithClock) shifts it
// by the same offset.
func (s *Server) fileTime(mtime time.Time) time.Time {
	// rounded: with the real clock the two reads differ by nanoseconds,
	// which must not move a name across a second
	return mtime.Add(s.now().Sub(time.Now()).Round(time.Millisecond))
}
