package storage

import (
	"errors"
	"net/netip"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/placement"
)

// source is the value in bytes 0-3 of new names (placement.Source): the
// storage id, or the IPv4 address of this storage (fixed by option, else
// "my IP" learned from the trackers with GET_MY_IP, else the address the
// client reached us on).
func (s *Server) source(local netip.Addr) uint32 {
	p := s.prm()
	ip := s.sourceIP
	if !ip.IsValid() {
		if my := s.myIP.Load(); my != nil {
			ip = *my // learned from the trackers (GET_MY_IP)
		} else {
			ip = local
		}
	}
	return placement.Source(p.UseStorageID, p.StorageID, ip)
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

// checkRoom is the reserved-space check (placement.CheckRoom) of a new
// file of need bytes on p.
func (s *Server) checkRoom(p *storePath, now time.Time, need int64) error {
	sp, err := p.cachedSpace(now)
	if err != nil {
		return err
	}
	return placement.CheckRoom(sp, need, s.prm().Reserve, len(s.paths), p.disk.Root())
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
