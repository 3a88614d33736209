package storage

import (
	"os"

	"github.com/gofdfs/gofdfs/server/storage/replica"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// The outbound replication (the per-peer sync pushers) lives in package
// replica; this file is what it sees of the storage: the group view, the
// tracker links, the local files and the counters.

// startPushers starts the replica manager with the reporters (it needs
// their tracker links and our id).
func (s *Server) startPushers(r *reporters) *replica.Manager {
	return replica.Start(r.rep.Context(), &replica.Host{
		Conf:       s.cfg,
		UseIDs:     func() bool { p := s.prm(); return p.UseStorageID || p.ClusterIDs },
		Group:      s.group,
		Log:        s.log,
		Now:        s.now,
		Binlog:     s.binlog,
		StorePaths: len(s.paths),
		View:       &s.peers,
		Trackers:   r.rep,
		Files: &replica.Local{Paths: s.diskPaths(), OpenTrunk: func(logic []byte) (*os.File, int64, int64, error) {
			f, off, n, _, err := s.OpenTrunkRead(logic)
			return f, off, n, err
		}},
		Counters: &s.stats,
		Trunk:    trunkHost{s},
	})
}

// trunkHost is the trunk allocator for the trunk binlog pushers.
type trunkHost struct{ s *Server }

func (t trunkHost) Store() (*trunk.Store, error)  { return t.s.trunkStore() }
func (t trunkHost) IsTrunkServer() bool           { return t.s.trunk.On() && t.s.isTrunkServer() }
func (t trunkHost) IsMe(ip string, port int) bool { return t.s.isMyIP(ip) && port == t.s.cfg.Port }
