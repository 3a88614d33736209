package storage

import (
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
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
		Files:      localFiles{s},
		Counters:   &s.stats,
		Trunk:      trunkHost{s},
	})
}

// trunkHost is the trunk allocator for the trunk binlog pushers.
type trunkHost struct{ s *Server }

func (t trunkHost) Store() (*trunk.Store, error)  { return t.s.trunkStore() }
func (t trunkHost) IsTrunkServer() bool           { return t.s.trunk.On() && t.s.isTrunkServer() }
func (t trunkHost) IsMe(ip string, port int) bool { return t.s.isMyIP(ip) && port == t.s.cfg.Port }

// localFiles resolves our logic names for the pushers: store path files,
// symlinks (sent as links to their target) and trunk-resident files.
type localFiles struct{ s *Server }

func (l localFiles) ref(logic []byte) (*codec.RemoteFilename, *storePath, diskio.FileRef, error) {
	rf, err := codec.ParseRemoteFilename(logic, len(l.s.paths))
	if err != nil {
		return nil, nil, diskio.FileRef{}, err
	}
	return &rf, l.s.paths[rf.StorePath], diskio.FileRef{High: int(rf.High), Low: int(rf.Low), Name: string(rf.Name)}, nil
}

func (l localFiles) Exists(logic []byte) bool {
	_, sp, ref, err := l.ref(logic)
	if err != nil {
		return false
	}
	_, err = sp.disk.Lstat(ref)
	return err == nil
}

func (l localFiles) Open(logic []byte) (replica.LocalFile, error) {
	rf, sp, ref, err := l.ref(logic)
	if err != nil {
		return replica.LocalFile{}, err
	}
	if len(ref.Name) == codec.B64PartLen+codec.TrunkPartLen+codec.Ext7Len && isTrunkName(rf) {
		f, off, n, _, err := l.s.OpenTrunkRead(logic)
		if err != nil {
			return replica.LocalFile{}, err
		}
		return replica.LocalFile{File: f, Offset: off, Size: n}, nil
	}
	lst, err := sp.disk.Lstat(ref)
	if err != nil {
		return replica.LocalFile{}, err
	}
	if lst.IsSymlink() {
		target, err := sp.disk.LinkTarget(ref)
		if err != nil {
			return replica.LocalFile{}, err
		}
		return replica.LocalFile{LinkTarget: appendLogic(nil, sp.index, target)}, nil
	}
	f, st, err := sp.disk.OpenRead(ref)
	if err != nil {
		return replica.LocalFile{}, err
	}
	return replica.LocalFile{File: f, Size: st.Size}, nil
}

// isTrunkName: a name whose size field carries the trunk flag.
func isTrunkName(rf *codec.RemoteFilename) bool {
	f, err := rf.Fields()
	return err == nil && rf.Kind(f) == codec.KindTrunk
}
