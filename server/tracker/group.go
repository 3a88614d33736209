package tracker

import (
	"slices"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// group is one group of storages. Every field is guarded by the registry's
// mutex.
type group struct {
	name      string
	nameBytes []byte

	port           int // -1: members differ (storage ids with id-type file names)
	storePathCount int
	subdirCount    int

	// storages is insertion order: the order of storage_servers_new.dat and
	// of the sync timestamp matrix. byID is sorted by id (strcmp), the order
	// of LIST_STORAGE and of change-notice member lists.
	storages []*storage
	byID     []*storage

	// readable and writable are the ACTIVE members with read / write
	// permission, sorted by id; storeServer is the group's "store server"
	// (cluster.md §5.2). Rebuilt by refresh on every status change.
	readable    []*storage
	writable    []*storage
	storeServer *storage

	currentWriteServer int
	currentReadServer  int

	totalMB     int64
	freeMB      int64
	trunkFreeMB int64

	currentTrunkFileID int64
	trunkServer        string
	lastTrunkServer    string
	// trunkChanges counts trunk-server assignments of the group; a storage
	// whose trunkNoticed differs gets the trunk server in its next change
	// notice (flag 0x02).
	trunkChanges int64

	// changes counts membership and status changes; a storage whose
	// noticed differs gets the member list in its next change notice.
	changes int64

	// storeServerPolicy is store_server, which decides the store server.
	storeServerPolicy int
}

func newGroup(name string, storeServerPolicy int) *group {
	return &group{name: name, nameBytes: []byte(name), changes: 1, storeServerPolicy: storeServerPolicy}
}

func (g *group) find(id string) *storage {
	i, ok := slices.BinarySearchFunc(g.byID, id, func(s *storage, id string) int { return strings.Compare(s.id, id) })
	if !ok {
		return nil
	}
	return g.byID[i]
}

func (g *group) add(s *storage) {
	g.storages = append(g.storages, s)
	i, _ := slices.BinarySearchFunc(g.byID, s.id, func(s *storage, id string) int { return strings.Compare(s.id, id) })
	g.byID = slices.Insert(g.byID, i, s)
	g.refresh()
}

// refresh rebuilds the readable and writable lists and the store server
// after a status change, and counts the change so every member hears of it.
func (g *group) refresh() {
	g.readable, g.writable = g.readable[:0], g.writable[:0]
	for _, s := range g.byID {
		if s.status != StatusActive {
			continue
		}
		if s.canRead() {
			g.readable = append(g.readable, s)
		}
		if s.canWrite() {
			g.writable = append(g.writable, s)
		}
	}
	g.storeServer = nil
	for _, s := range g.writable {
		if g.storeServer == nil || g.storeServerPolicy == conf.StoreServerFirstByPri && s.uploadPriority < g.storeServer.uploadPriority {
			g.storeServer = s
		}
	}
	if g.currentWriteServer >= len(g.writable) {
		g.currentWriteServer = 0
	}
	if g.currentReadServer >= len(g.readable) {
		g.currentReadServer = 0
	}
	g.changes++
}

// setStatus changes a member's status and refreshes the lists; it reports
// whether anything changed.
func (g *group) setStatus(s *storage, status byte) bool {
	if s.status == status {
		return false
	}
	s.status = status
	g.refresh()
	return true
}

// updateSpace recomputes the group's space from its members: the values of
// the member with the least free space among those that reported any.
func (g *group) updateSpace() {
	var best *storage
	for _, s := range g.storages {
		if s.status == StatusDeleted || s.status == StatusIPChanged || s.totalMB <= 0 {
			continue
		}
		if best == nil || s.freeMB < best.freeMB {
			best = s
		}
	}
	if best == nil {
		g.totalMB, g.freeMB = 0, 0
		return
	}
	g.totalMB, g.freeMB = best.totalMB, best.freeMB
}

// reservedMB is the group's reserved space as LIST_GROUPS reports it.
func reservedMB(rs conf.ReservedSpace, totalMB int64) int64 {
	if rs.IsRatio() {
		return int64(float64(totalMB) * rs.Ratio)
	}
	return rs.MB
}

// hasSpace is the group's reserved-space check (cluster.md §5.1).
func (g *group) hasSpace(rs conf.ReservedSpace) bool {
	if rs.IsRatio() {
		return g.totalMB > 0 && float64(g.freeMB)/float64(g.totalMB) > rs.Ratio
	}
	return g.freeMB > rs.MB
}

// pathHasSpace is the per-path check of cluster.md §5.3.
func pathHasSpace(rs conf.ReservedSpace, p codec.PathUsage, pathCount int) bool {
	if rs.IsRatio() {
		return p.TotalMB > 0 && float64(p.FreeMB)/float64(p.TotalMB) > rs.Ratio
	}
	if pathCount <= 0 {
		pathCount = 1
	}
	return p.FreeMB > rs.MB/int64(pathCount)
}

// activeCount is the number of ACTIVE members (old list dialects).
func (g *group) activeCount() int {
	n := 0
	for _, s := range g.storages {
		if s.status == StatusActive {
			n++
		}
	}
	return n
}
