package tracker

import (
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Cluster statistics for the V6.16 monitor tools (client.md §4.11-§4.13):
// TRACKER_CLUSTER_STAT (96), STORAGE_CLUSTER_STAT (97) and
// STORAGE_VOLUMN_STAT (98).

// followerActiveFor is how recent a follower's last ping must be for it to
// count as active.
const followerActiveFor = 3 * time.Second

// handleTrackerClusterStat (96): every tracker of the list as the leader
// sees it; only the leader has the followers' pings, so others refuse.
func handleTrackerClusterStat(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.TrackerClusterStatRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	now := s.now()
	start := s.startTime()
	var rep codec.TrackerClusterStatReply
	c := s.cl
	c.mu.Lock()
	if c.self < 0 || c.leader != c.self {
		c.mu.Unlock()
		return out, codec.EOPNOTSUPP
	}
	for i, a := range c.trackers {
		host := a.String()
		st := codec.TrackerStat{Host: []byte(host), IsLeader: i == c.leader}
		if i == c.self {
			st.IsActive = true
			st.Connection = s.connStat()
			st.Connection.AllocCount = s.connAlloc() // C's figure, as connStat reports once hooked
			st.Version = []byte(serverVersion)
			st.UpTime = start.Unix()
			st.LastHeartbeatTime = now.Unix()
		} else if f := c.followers[host]; f != nil {
			st.IsActive = now.Sub(f.lastPing) <= followerActiveFor
			st.Connection = f.conns
			st.Version = []byte(f.version)
			st.UpTime = f.upTime
			st.LastHeartbeatTime = f.lastPing.Unix()
		}
		if req.FilterBy&codec.TrackerStatFilterActive != 0 && st.IsActive != req.IsActive ||
			req.FilterBy&codec.TrackerStatFilterLeader != 0 && st.IsLeader != req.IsLeader {
			continue
		}
		rep.Trackers = append(rep.Trackers, st)
	}
	c.mu.Unlock()
	return rep.Append(out), codec.OK
}

// handleStorageClusterStat (97): every storage of every group (groups by
// name, storages by id), filtered by trunk-server flag and status.
func handleStorageClusterStat(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.StorageClusterStatRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	byStatus := req.FilterBy&codec.StorageStatFilterStatus != 0
	if byStatus && req.OpType != codec.StorageStatOpEqual && req.OpType != codec.StorageStatOpNotEqual {
		return out, codec.EINVAL
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := codec.StorageClusterStatReply{UseStorageID: s.cfg.UseStorageID, UseTrunkFile: s.cfg.UseTrunkFile}
	for _, g := range r.sorted {
		for _, m := range g.byID {
			trunk := g.trunkServer != "" && g.trunkServer == m.id
			if req.FilterBy&codec.StorageStatFilterTrunk != 0 && trunk != req.IsTrunkServer {
				continue
			}
			if byStatus && (m.status == req.Status) != (req.OpType == codec.StorageStatOpEqual) {
				continue
			}
			rep.Storages = append(rep.Storages, codec.StorageClusterStat{
				ID: m.idBytes, Host: []byte(hostPort(m.ip, m.port)), IsTrunkServer: trunk, Status: m.status,
				Connection: m.stat.Connection, Version: []byte(m.version), UpTime: m.upTime,
				LastHeartbeatTime: m.stat.LastHeartBeatTime,
			})
		}
	}
	if int64(rep.Size()) > s.maxBody {
		return out, codec.EINVAL // C: the answer must fit max_buff_size
	}
	return rep.Append(out), codec.OK
}

// handleVolumeStat (98): each group's space. A group's disk is available
// while its free space is above the reserve (the check uploads make), its
// trunk space while trunk files are on and the group has trunk free space;
// "space available" is either.
func handleVolumeStat(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.VolumeStatRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	rs := s.cfg.ReservedStorageSpace
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := codec.VolumeStatReply{UseTrunkFile: s.cfg.UseTrunkFile}
	for _, g := range r.sorted {
		v := codec.VolumeStat{GroupName: g.nameBytes, TotalMB: g.totalMB, FreeMB: g.freeMB,
			ReservedMB: reservedMB(rs, g.totalMB)}
		v.IsDiskAvailable = g.hasSpace(rs)
		v.IsTrunkAvailable = s.cfg.UseTrunkFile && g.trunkFreeMB > 0
		if v.IsDiskAvailable {
			v.AvailMB = max(v.FreeMB-v.ReservedMB, 0)
		}
		if v.IsTrunkAvailable {
			v.TrunkFreeMB = g.trunkFreeMB
		}
		space := v.IsDiskAvailable || v.IsTrunkAvailable
		if req.FilterBy&codec.VolumeStatFilterDisk != 0 && v.IsDiskAvailable != req.IsDiskAvailable ||
			req.FilterBy&codec.VolumeStatFilterTrunk != 0 && v.IsTrunkAvailable != req.IsTrunkAvailable ||
			req.FilterBy&codec.VolumeStatFilterSpace != 0 && space != req.IsSpaceAvailable {
			continue
		}
		rep.Groups = append(rep.Groups, v)
	}
	if int64(rep.Size()) > s.maxBody {
		return out, codec.EINVAL
	}
	return rep.Append(out), codec.OK
}
