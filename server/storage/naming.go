package storage

import (
	"errors"
	"net/netip"
	"time"

	"github.com/gofdfs/gofdfs/server/storage/placement"
)

// source is the value in bytes 0-3 of new names (placement.Source): the
// storage id, or the address of placement.SourceIP.
func (s *Server) source(local netip.Addr) uint32 {
	p := s.prm()
	return placement.Source(p.UseStorageID, p.StorageID, placement.SourceIP(s.sourceIP, s.myIP.Load(), local))
}

// choosePath picks the store path of an upload: the requested index unless
// it is read-only (C silently picks its own then), or for 0xFF the one
// placement.Choose picks (store_path mode 0 or 2) among those that are
// writable and stay above their reserve with size more bytes.
func (s *Server) choosePath(req int8, size int64) (*storePath, error) {
	now := s.now()
	if req >= 0 && !s.paths[req].disk.ReadOnly() {
		return s.paths[req], s.checkRoom(s.paths[req], now, size)
	}
	start := int(s.nextPath.Add(1)-1) % len(s.paths)
	i, err := placement.Choose(len(s.paths), start, s.prm().StorePathMode == 2, func(i int) (uint64, bool) {
		p := s.paths[i]
		if p.disk.ReadOnly() || s.checkRoom(p, now, size) != nil {
			return 0, false
		}
		sp, _ := p.room.Space(now, p.disk)
		return sp.FreeBytes, true
	})
	if err != nil {
		return nil, err
	}
	return s.paths[i], nil
}

// checkRoom is the reserved-space check (placement.CheckRoom) of a new
// file of need bytes on p.
func (s *Server) checkRoom(p *storePath, now time.Time, need int64) error {
	sp, err := p.room.Space(now, p.disk)
	if err != nil {
		return err
	}
	return placement.CheckRoom(sp, need, s.prm().Reserve, len(s.paths), p.disk.Root())
}

// errExists reports a name collision from Commit/Rename.
func errExists(err error) bool { return errors.Is(err, errEEXIST) }

// fileTime is a written file's mtime on this member's clock
// (placement.FileTime): names and binlog lines take the time from the file.
func (s *Server) fileTime(mtime time.Time) time.Time { return placement.FileTime(mtime, s.now()) }
