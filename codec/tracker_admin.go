package codec

import "strconv"

// Administration and cluster-wide statistics answered by the tracker
// (client.md §4.7–§4.13, cluster.md §1.11, §1.12): fdfs_monitor's delete and
// set_trunk_server, and the V6.15.5+/V6.16 stat tools. None of these is hot;
// they still decode without allocating when given slices with capacity.

// DeleteStorageRequest is the body of SERVER_DELETE_STORAGE (93): group
// str[16] and the storage id, 1 to 15 bytes, no NUL: 16 < len < 32. The reply
// is header only. (The C tracker cuts the id at a place derived from its
// send buffer, a bug; we take the bytes after the group up to any NUL.)
type DeleteStorageRequest struct {
	GroupName []byte
	StorageID []byte
}

func (r *DeleteStorageRequest) Size() int { return GroupNameSize + trackerIDLen(r.StorageID) }

func (r *DeleteStorageRequest) Append(dst []byte) []byte {
	return appendTrackerGroupID(dst, r.GroupName, r.StorageID)
}

func (r *DeleteStorageRequest) Decode(body []byte) error {
	if len(body) <= GroupNameSize || len(body) >= GroupNameSize+StorageIDSize {
		return badLength("DeleteStorageRequest", len(body), "17 to 31")
	}
	r.GroupName, r.StorageID = splitTrackerGroupID(body)
	if len(r.StorageID) == 0 {
		return invalid("DeleteStorageRequest", "empty storage id")
	}
	return nil
}

// SetTrunkServerRequest is the body of SERVER_SET_TRUNK_SERVER (94): group
// str[16] and optionally the id of the storage to make trunk server:
// 16 ≤ len < 32. Without an id the leader keeps or elects one.
type SetTrunkServerRequest struct {
	GroupName []byte
	StorageID []byte
}

func (r *SetTrunkServerRequest) Size() int { return GroupNameSize + trackerIDLen(r.StorageID) }

func (r *SetTrunkServerRequest) Append(dst []byte) []byte {
	return appendTrackerGroupID(dst, r.GroupName, r.StorageID)
}

func (r *SetTrunkServerRequest) Decode(body []byte) error {
	if len(body) < GroupNameSize || len(body) >= GroupNameSize+StorageIDSize {
		return badLength("SetTrunkServerRequest", len(body), "16 to 31")
	}
	r.GroupName, r.StorageID = splitTrackerGroupID(body)
	return nil
}

// SetTrunkServerReply answers SET_TRUNK_SERVER: the id of the trunk server
// followed by one NUL (strlen(id)+1 bytes).
type SetTrunkServerReply struct {
	StorageID []byte
}

func (r *SetTrunkServerReply) Size() int { return trackerIDLen(r.StorageID) + 1 }

func (r *SetTrunkServerReply) Append(dst []byte) []byte {
	dst = append(dst, r.StorageID[:trackerIDLen(r.StorageID)]...)
	return append(dst, 0)
}

// Decode accepts 1 to 16 bytes and reads the id up to the NUL (or the end:
// the NUL may be missing), 1 to 15 bytes.
func (r *SetTrunkServerReply) Decode(body []byte) error {
	if len(body) == 0 || len(body) > StorageIDSize {
		return badLength("SetTrunkServerReply", len(body), "1 to 16")
	}
	r.StorageID = FixedBytes(body)
	if len(r.StorageID) == 0 || len(r.StorageID) >= StorageIDSize {
		return invalid("SetTrunkServerReply", "storage id of "+strconv.Itoa(len(r.StorageID))+" bytes")
	}
	return nil
}

// maxLeaderAddrSize is the longest "[ipv6]:port" text: 45 + 2 + 1 + 5.
const maxLeaderAddrSize = IPv6AddrSize - 1 + 2 + 1 + 5

// LeaderReply answers SERVER_GET_LEADER (95, V6.15.5+; the request is
// empty): the leader tracker as "ip:port" text, "[ipv6]:port" for IPv6, no
// NUL, at most 53 bytes.
type LeaderReply struct {
	Addr []byte
}

func (r *LeaderReply) Size() int { return len(r.Addr) }

func (r *LeaderReply) Append(dst []byte) []byte { return append(dst, r.Addr...) }

func (r *LeaderReply) Decode(body []byte) error {
	if len(body) == 0 || len(body) > maxLeaderAddrSize {
		return badLength("LeaderReply", len(body), "1 to 53")
	}
	r.Addr = body
	return nil
}

// Filter bits of TrackerClusterStatRequest.FilterBy.
const (
	TrackerStatFilterActive byte = 1 // only trackers whose is_active equals IsActive
	TrackerStatFilterLeader byte = 2 // only trackers whose is_leader equals IsLeader
)

// TrackerClusterStatRequest is the 3-byte body of
// SERVER_TRACKER_CLUSTER_STAT (96, V6.15.5+; only the leader answers).
type TrackerClusterStatRequest struct {
	FilterBy byte
	IsActive bool
	IsLeader bool
}

const trackerClusterStatRequestSize = 3

func (r *TrackerClusterStatRequest) Size() int { return trackerClusterStatRequestSize }

func (r *TrackerClusterStatRequest) Append(dst []byte) []byte {
	return append(dst, r.FilterBy, trackerFlag(r.IsActive), trackerFlag(r.IsLeader))
}

func (r *TrackerClusterStatRequest) Decode(body []byte) error {
	if len(body) != trackerClusterStatRequestSize {
		return badLength("TrackerClusterStatRequest", len(body), "3")
	}
	r.FilterBy, r.IsActive, r.IsLeader = body[0], body[1] != 0, body[2] != 0
	return nil
}

// TrackerStatSize is the size of one TrackerStat record.
const TrackerStatSize = IPPortSize + 2 + 12 + VersionSize + 16

// TrackerStat is one tracker of the TRACKER_CLUSTER_STAT reply (90 bytes).
// A peer is active when its last heartbeat is at most 3 s old; the leader
// always is.
type TrackerStat struct {
	Host              []byte // "ip:port" or "[ipv6]:port", str[52]
	IsLeader          bool
	IsActive          bool
	Connection        ConnectionStat
	Version           []byte // str[8]
	UpTime            int64
	LastHeartbeatTime int64
}

func (s *TrackerStat) Size() int { return TrackerStatSize }

func (s *TrackerStat) Append(dst []byte) []byte {
	dst = AppendFixedBytes(dst, s.Host, IPPortSize)
	dst = append(dst, trackerFlag(s.IsLeader), trackerFlag(s.IsActive))
	dst = s.Connection.append(dst)
	dst = AppendFixedBytes(dst, s.Version, VersionSize)
	dst = AppendInt64(dst, s.UpTime)
	return AppendInt64(dst, s.LastHeartbeatTime)
}

func (s *TrackerStat) Decode(body []byte) error {
	if len(body) != TrackerStatSize {
		return badLength("TrackerStat", len(body), "90")
	}
	s.decode(body)
	return nil
}

func (s *TrackerStat) decode(b []byte) {
	s.Host = FixedBytes(b[:IPPortSize])
	s.IsLeader, s.IsActive = b[52] != 0, b[53] != 0
	s.Connection.decode(b[54:])
	s.Version = FixedBytes(b[66 : 66+VersionSize])
	s.UpTime = Int64(b[74:])
	s.LastHeartbeatTime = Int64(b[82:])
}

// TrackerClusterStatReply answers TRACKER_CLUSTER_STAT: u8 count, then
// count TrackerStat records.
type TrackerClusterStatReply struct {
	Trackers []TrackerStat // at most 255; Decode reuses its capacity
}

func (r *TrackerClusterStatReply) Size() int { return 1 + len(r.Trackers)*TrackerStatSize }

// Append writes at most 255 records: the count is one byte.
func (r *TrackerClusterStatReply) Append(dst []byte) []byte {
	t := r.Trackers[:min(len(r.Trackers), 255)]
	dst = append(dst, byte(len(t)))
	for i := range t {
		dst = t[i].Append(dst)
	}
	return dst
}

func (r *TrackerClusterStatReply) Decode(body []byte) error {
	if len(body) < 1 || len(body) != 1+int(body[0])*TrackerStatSize {
		return badLength("TrackerClusterStatReply", len(body), "1 + count*90")
	}
	r.Trackers = r.Trackers[:0]
	for p := body[1:]; len(p) > 0; p = p[TrackerStatSize:] {
		r.Trackers = append(r.Trackers, TrackerStat{})
		r.Trackers[len(r.Trackers)-1].decode(p[:TrackerStatSize])
	}
	return nil
}

// Filter bits of StorageClusterStatRequest.FilterBy, and its operators.
const (
	StorageStatFilterTrunk  byte = 1 // only storages whose trunk-server flag equals IsTrunkServer
	StorageStatFilterStatus byte = 2 // only storages whose status compares by OpType with Status
	StorageStatOpEqual      byte = '='
	StorageStatOpNotEqual   byte = '!'
)

// StorageClusterStatRequest is the 4-byte body of
// SERVER_STORAGE_CLUSTER_STAT (97, V6.16.0+).
type StorageClusterStatRequest struct {
	FilterBy      byte
	OpType        byte // StorageStatOpEqual or StorageStatOpNotEqual
	Status        byte
	IsTrunkServer bool
}

const storageClusterStatRequestSize = 4

func (r *StorageClusterStatRequest) Size() int { return storageClusterStatRequestSize }

func (r *StorageClusterStatRequest) Append(dst []byte) []byte {
	return append(dst, r.FilterBy, r.OpType, r.Status, trackerFlag(r.IsTrunkServer))
}

func (r *StorageClusterStatRequest) Decode(body []byte) error {
	if len(body) != storageClusterStatRequestSize {
		return badLength("StorageClusterStatRequest", len(body), "4")
	}
	r.FilterBy, r.OpType, r.Status, r.IsTrunkServer = body[0], body[1], body[2], body[3] != 0
	return nil
}

// StorageClusterStatSize is the size of one StorageClusterStat record.
const StorageClusterStatSize = StorageIDSize + IPPortSize + 2 + 12 + VersionSize + 16

// StorageClusterStat is one storage of the STORAGE_CLUSTER_STAT reply (106
// bytes).
type StorageClusterStat struct {
	ID                []byte // str[16]
	Host              []byte // "ip:port", str[52]
	IsTrunkServer     bool
	Status            byte
	Connection        ConnectionStat
	Version           []byte // str[8]
	UpTime            int64
	LastHeartbeatTime int64
}

func (s *StorageClusterStat) Size() int { return StorageClusterStatSize }

func (s *StorageClusterStat) Append(dst []byte) []byte {
	dst = AppendFixedBytes(dst, s.ID, StorageIDSize)
	dst = AppendFixedBytes(dst, s.Host, IPPortSize)
	dst = append(dst, trackerFlag(s.IsTrunkServer), s.Status)
	dst = s.Connection.append(dst)
	dst = AppendFixedBytes(dst, s.Version, VersionSize)
	dst = AppendInt64(dst, s.UpTime)
	return AppendInt64(dst, s.LastHeartbeatTime)
}

func (s *StorageClusterStat) Decode(body []byte) error {
	if len(body) != StorageClusterStatSize {
		return badLength("StorageClusterStat", len(body), "106")
	}
	s.decode(body)
	return nil
}

func (s *StorageClusterStat) decode(b []byte) {
	s.ID = FixedBytes(b[:StorageIDSize])
	s.Host = FixedBytes(b[16 : 16+IPPortSize])
	s.IsTrunkServer, s.Status = b[68] != 0, b[69]
	s.Connection.decode(b[70:])
	s.Version = FixedBytes(b[82 : 82+VersionSize])
	s.UpTime = Int64(b[90:])
	s.LastHeartbeatTime = Int64(b[98:])
}

// StorageClusterStatReply answers STORAGE_CLUSTER_STAT: u8 use_storage_id,
// u8 use_trunk_file, i32 count, then count records over all groups (groups
// by name, storages by id).
type StorageClusterStatReply struct {
	UseStorageID bool
	UseTrunkFile bool
	Storages     []StorageClusterStat // Decode reuses its capacity
}

const storageClusterStatHeadSize = 6

func (r *StorageClusterStatReply) Size() int {
	return storageClusterStatHeadSize + len(r.Storages)*StorageClusterStatSize
}

func (r *StorageClusterStatReply) Append(dst []byte) []byte {
	dst = append(dst, trackerFlag(r.UseStorageID), trackerFlag(r.UseTrunkFile))
	dst = AppendInt32(dst, int32(len(r.Storages)))
	for i := range r.Storages {
		dst = r.Storages[i].Append(dst)
	}
	return dst
}

func (r *StorageClusterStatReply) Decode(body []byte) error {
	if len(body) < storageClusterStatHeadSize {
		return badLength("StorageClusterStatReply", len(body), "6 + count*106")
	}
	count := int64(Int32(body[2:]))
	if int64(len(body)) != storageClusterStatHeadSize+count*StorageClusterStatSize {
		return badLength("StorageClusterStatReply", len(body), "6 + count*106 with count "+strconv.FormatInt(count, 10))
	}
	r.UseStorageID, r.UseTrunkFile = body[0] != 0, body[1] != 0
	r.Storages = r.Storages[:0]
	for p := body[storageClusterStatHeadSize:]; len(p) > 0; p = p[StorageClusterStatSize:] {
		r.Storages = append(r.Storages, StorageClusterStat{})
		r.Storages[len(r.Storages)-1].decode(p[:StorageClusterStatSize])
	}
	return nil
}

// Filter bits of VolumeStatRequest.FilterBy.
const (
	VolumeStatFilterDisk  byte = 1 // only groups whose disk availability equals IsDiskAvailable
	VolumeStatFilterTrunk byte = 2 // only groups whose trunk availability equals IsTrunkAvailable
	VolumeStatFilterSpace byte = 4 // only groups whose space availability equals IsSpaceAvailable
)

// VolumeStatRequest is the 4-byte body of SERVER_STORAGE_VOLUMN_STAT (98,
// V6.16.0+; "volumn" is C's spelling).
type VolumeStatRequest struct {
	FilterBy         byte
	IsDiskAvailable  bool
	IsTrunkAvailable bool
	IsSpaceAvailable bool
}

const volumeStatRequestSize = 4

func (r *VolumeStatRequest) Size() int { return volumeStatRequestSize }

func (r *VolumeStatRequest) Append(dst []byte) []byte {
	return append(dst, r.FilterBy, trackerFlag(r.IsDiskAvailable), trackerFlag(r.IsTrunkAvailable),
		trackerFlag(r.IsSpaceAvailable))
}

func (r *VolumeStatRequest) Decode(body []byte) error {
	if len(body) != volumeStatRequestSize {
		return badLength("VolumeStatRequest", len(body), "4")
	}
	r.FilterBy = body[0]
	r.IsDiskAvailable, r.IsTrunkAvailable, r.IsSpaceAvailable = body[1] != 0, body[2] != 0, body[3] != 0
	return nil
}

// VolumeStatSize is the size of one VolumeStat record.
const VolumeStatSize = GroupNameStatSize + 5*8 + 2

// VolumeStat is one group of the STORAGE_VOLUMN_STAT reply (59 bytes).
type VolumeStat struct {
	GroupName        []byte // str[17]
	TotalMB          int64
	FreeMB           int64
	ReservedMB       int64
	AvailMB          int64 // free - reserved, ≥ 0; 0 when the disk is not available
	TrunkFreeMB      int64 // 0 when trunk is not available
	IsDiskAvailable  bool
	IsTrunkAvailable bool
}

func (s *VolumeStat) Size() int { return VolumeStatSize }

func (s *VolumeStat) Append(dst []byte) []byte {
	dst = appendListName(dst, s.GroupName, GroupNameStatSize)
	dst = AppendInt64(dst, s.TotalMB)
	dst = AppendInt64(dst, s.FreeMB)
	dst = AppendInt64(dst, s.ReservedMB)
	dst = AppendInt64(dst, s.AvailMB)
	dst = AppendInt64(dst, s.TrunkFreeMB)
	return append(dst, trackerFlag(s.IsDiskAvailable), trackerFlag(s.IsTrunkAvailable))
}

func (s *VolumeStat) Decode(body []byte) error {
	if len(body) != VolumeStatSize {
		return badLength("VolumeStat", len(body), "59")
	}
	s.decode(body)
	return nil
}

func (s *VolumeStat) decode(b []byte) {
	s.GroupName = decodeListName(b[:GroupNameStatSize])
	s.TotalMB = Int64(b[17:])
	s.FreeMB = Int64(b[25:])
	s.ReservedMB = Int64(b[33:])
	s.AvailMB = Int64(b[41:])
	s.TrunkFreeMB = Int64(b[49:])
	s.IsDiskAvailable, s.IsTrunkAvailable = b[57] != 0, b[58] != 0
}

// VolumeStatReply answers STORAGE_VOLUMN_STAT: u8 use_trunk_file, i32
// count, then count records.
type VolumeStatReply struct {
	UseTrunkFile bool
	Groups       []VolumeStat // Decode reuses its capacity
}

const volumeStatHeadSize = 5

func (r *VolumeStatReply) Size() int { return volumeStatHeadSize + len(r.Groups)*VolumeStatSize }

func (r *VolumeStatReply) Append(dst []byte) []byte {
	dst = append(dst, trackerFlag(r.UseTrunkFile))
	dst = AppendInt32(dst, int32(len(r.Groups)))
	for i := range r.Groups {
		dst = r.Groups[i].Append(dst)
	}
	return dst
}

func (r *VolumeStatReply) Decode(body []byte) error {
	if len(body) < volumeStatHeadSize {
		return badLength("VolumeStatReply", len(body), "5 + count*59")
	}
	count := int64(Int32(body[1:]))
	if int64(len(body)) != volumeStatHeadSize+count*VolumeStatSize {
		return badLength("VolumeStatReply", len(body), "5 + count*59 with count "+strconv.FormatInt(count, 10))
	}
	r.UseTrunkFile = body[0] != 0
	r.Groups = r.Groups[:0]
	for p := body[volumeStatHeadSize:]; len(p) > 0; p = p[VolumeStatSize:] {
		r.Groups = append(r.Groups, VolumeStat{})
		r.Groups[len(r.Groups)-1].decode(p[:VolumeStatSize])
	}
	return nil
}

// trackerFlag is a C flag byte: 1 or 0.
func trackerFlag(b bool) byte {
	if b {
		return 1
	}
	return 0
}
