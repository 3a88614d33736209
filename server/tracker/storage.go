package tracker

import (
	"net/netip"
	"strconv"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Storage statuses (cluster.md §3.1). The values are on the wire (JOIN
// replies, briefs, LIST_STORAGE) and in storage_servers_new.dat.
const (
	StatusInit      byte = 0
	StatusWaitSync  byte = 1
	StatusSyncing   byte = 2
	StatusIPChanged byte = 3
	StatusDeleted   byte = 4
	StatusOffline   byte = 5
	StatusOnline    byte = 6
	StatusActive    byte = 7
	StatusRecovery  byte = 9
	StatusNone      byte = 99
)

// available is C's "available" set: OFFLINE, ONLINE, ACTIVE.
func available(status byte) bool {
	return status == StatusOffline || status == StatusOnline || status == StatusActive
}

// storage is one storage record of a group. Every field is guarded by the
// registry's mutex.
type storage struct {
	group *group

	id      string
	idBytes []byte // id, kept as bytes so replies are built without allocating
	ip      string
	ipBytes []byte
	port    int
	// dual is set for a storage with two addresses in storage_ids.conf:
	// inner first, outer second (cluster.md §5.6).
	dual *dualIP

	// sourceByID and sourceByIP are what bytes 0-3 of a file name hold when
	// this storage created the file (cluster.md §4.9): its numeric id, and
	// its IPv4 address as C reads it. Comparing them with a decoded name is
	// a plain integer test on the fetch path.
	sourceByID uint32
	sourceByIP uint32

	status byte
	rwMode byte // codec.RWMode*: from storage_ids.conf, read+write without ids

	version        string
	joinTime       int64
	upTime         int64
	storePathCount int
	subdirCount    int
	uploadPriority int64

	totalMB          int64
	freeMB           int64
	paths            []codec.PathUsage
	currentWritePath int

	syncSrcID       string
	syncUntil       int64
	changelogOffset int64

	// stat holds the counters of the last BEAT; LastSyncedTimestamp and
	// LastHeartBeatTime are ours (the storage sends 0 there).
	stat codec.StatBlock

	// syncedFrom is this storage's column of the sync timestamp matrix:
	// source id -> newest source timestamp this storage has applied.
	syncedFrom map[string]int64

	// noticed is the group change count last sent to this storage in a
	// change notice; 0 after it went offline, so it gets a full list.
	noticed int64
	// trunkNoticed is the group's trunk change count last sent to it.
	trunkNoticed int64
	// conn is the joined connection that reports for this storage, so a
	// stale connection closing after a re-join does not take it offline.
	conn *connState
	// beats counts stat-carrying beats; every 1000th rewrites the servers file.
	beats int
}

func newStorage(g *group, id, ip string, port int) *storage {
	s := &storage{group: g, rwMode: codec.RWModeBoth, syncedFrom: map[string]int64{}}
	s.setIdentity(id, ip, port)
	return s
}

func (s *storage) setIdentity(id, ip string, port int) {
	s.id, s.idBytes = id, []byte(id)
	s.ip, s.ipBytes = ip, []byte(ip)
	s.port = port
	s.sourceByID, s.sourceByIP = 0, 0
	if n, err := strconv.ParseUint(id, 10, 32); err == nil && n > 0 && n <= 0xFFFFFF {
		s.sourceByID = uint32(n)
	}
	if a, err := netip.ParseAddr(ip); err == nil && a.Unmap().Is4() {
		s.sourceByIP = codec.SourceFromIPv4(a.Unmap().As4())
	}
}

// isSource reports whether f names this storage as the file's creator.
func (s *storage) isSource(f codec.NameFields) bool {
	if f.SourceIsID() {
		return s.sourceByID == f.Source
	}
	return s.sourceByIP == f.Source
}

func (s *storage) canRead() bool  { return s.rwMode&codec.RWModeRead != 0 }
func (s *storage) canWrite() bool { return s.rwMode&codec.RWModeWrite != 0 }

// brief is the FDFSStorageBrief of this storage.
func (s *storage) brief(peer conf.IPClass) codec.StorageBrief {
	return codec.StorageBrief{Status: s.status, Port: int32(s.port), ID: s.idBytes, IP: s.ipFor(peer)}
}

// dualIP is a storage's two addresses with the outer one's class.
type dualIP struct {
	inner, outer []byte
	outerClass   conf.IPClass
}

// newDualIP takes the addresses of a storage_ids.conf entry (conf orders
// them inner first); nil unless there are two.
func newDualIP(addrs []string) *dualIP {
	if len(addrs) != 2 {
		return nil
	}
	return &dualIP{inner: []byte(addrs[0]), outer: []byte(addrs[1]), outerClass: conf.ClassifyIP(addrs[1])}
}

// ipFor is the address a peer of the given class is told: of two, the
// outer one when the classes match, else the inner one, as C does; of one,
// the address the storage joined from.
func (s *storage) ipFor(peer conf.IPClass) []byte {
	if s.dual == nil {
		return s.ipBytes
	}
	if s.dual.outerClass == peer {
		return s.dual.outer
	}
	return s.dual.inner
}

// clearStats drops what a deleted storage reported (C clears them on delete).
func (s *storage) clearStats() {
	s.stat = codec.StatBlock{}
	s.totalMB, s.freeMB = 0, 0
	s.paths = nil
	clear(s.syncedFrom)
}

// lastSynced is the storage's last_synced_timestamp (cluster.md §1.7).
func (s *storage) lastSynced() int64 { return s.stat.LastSyncedTimestamp }

// wireRWMode converts storage_ids.conf's rw option (conf bits: 1 read,
// 2 write) to the wire's rw_mode (R_OK 4, W_OK 2).
func wireRWMode(m conf.RWMode) byte {
	var b byte
	if m.CanRead() {
		b |= codec.RWModeRead
	}
	if m.CanWrite() {
		b |= codec.RWModeWrite
	}
	return b
}
