package codec

import "strconv"

// Tracker <-> tracker (cluster.md §2): running status, leader election,
// follower pings and the state-file transfer. GET_SYS_FILES_START (61),
// GET_SYS_FILES_END (62) and NOTIFY_RESELECT_LEADER (68) are header-only
// both ways (DecodeEmptyRequest).

// ---- 64 TRACKER_GET_STATUS -------------------------------------------------

// TrackerStatusSize is the GET_STATUS reply size.
const TrackerStatusSize = 1 + 8 + 8

// TrackerStatus is the TRACKER_GET_STATUS (64) reply: whether the tracker is
// leader, how long it has been running and how long it was down before,
// both rounded down to multiples of 300 s. (The C header comment lists
// another field order; the code's is this one.)
type TrackerStatus struct {
	IsLeader        bool
	RunningTime     int64
	RestartInterval int64
}

// Size is the body length.
func (r *TrackerStatus) Size() int { return TrackerStatusSize }

// Append appends the body.
func (r *TrackerStatus) Append(dst []byte) []byte {
	var leader byte
	if r.IsLeader {
		leader = 1
	}
	return AppendInt64(AppendInt64(append(dst, leader), r.RunningTime), r.RestartInterval)
}

// Decode reads the 17-byte body.
func (r *TrackerStatus) Decode(body []byte) error {
	if len(body) != TrackerStatusSize {
		return badLength("TrackerStatus", len(body), "17")
	}
	r.IsLeader = body[0] != 0
	r.RunningTime = Int64(body[1:])
	r.RestartInterval = Int64(body[9:])
	return nil
}

// ---- 66 NOTIFY_NEXT_LEADER, 67 COMMIT_NEXT_LEADER ------------------------

// LeaderAnnounce is the body of NOTIFY_NEXT_LEADER (66) and
// COMMIT_NEXT_LEADER (67): the new leader's "ip:port". Since V6.15 it is
// text without NUL; before, a fixed NUL-padded field of 22 or 52 bytes,
// which HEAD still accepts (up to 52 bytes, text read up to the first NUL).
type LeaderAnnounce struct {
	Leader []byte
	// Width is 0 for the HEAD text form, else the size of the old fixed
	// field (22 with 16-byte IPs, 52 with 46-byte ones). Decode sets it when
	// the body holds a NUL.
	Width int
}

// Size is the body length.
func (r *LeaderAnnounce) Size() int {
	if r.Width > 0 {
		return r.Width
	}
	return len(r.Leader)
}

// Append appends the text, or the NUL-padded field with Width.
func (r *LeaderAnnounce) Append(dst []byte) []byte {
	if r.Width > 0 {
		return AppendFixedBytes(dst, r.Leader, r.Width)
	}
	return append(dst, r.Leader...)
}

// Decode reads 1..52 bytes, text up to the first NUL, which must not be empty.
func (r *LeaderAnnounce) Decode(body []byte) error {
	if len(body) == 0 || len(body) > IPPortSize {
		return badLength("LeaderAnnounce", len(body), "1..52")
	}
	r.Leader = FixedBytes(body)
	r.Width = 0
	if len(r.Leader) < len(body) {
		r.Width = len(body)
	}
	if len(r.Leader) == 0 {
		return invalid("LeaderAnnounce", "empty leader address")
	}
	return nil
}

// ---- 58 TRACKER_JOIN_LEADER ------------------------------------------------

// TrackerJoinLeaderSize is the JOIN_LEADER body size.
const TrackerJoinLeaderSize = 8 + VersionSize + 8

// TrackerJoinLeader is the TRACKER_JOIN_LEADER (58) body a follower sends
// on (re)connecting to the leader (V6.15.5+).
type TrackerJoinLeader struct {
	UpTime     int64  // the follower's process start time
	Version    []byte // 8-byte field, "6.16.1"
	ServerPort int64  // the follower's listen port
}

// Size is the body length.
func (r *TrackerJoinLeader) Size() int { return TrackerJoinLeaderSize }

// Append appends the body.
func (r *TrackerJoinLeader) Append(dst []byte) []byte {
	dst = AppendInt64(dst, r.UpTime)
	dst = AppendFixedBytes(dst, r.Version, VersionSize)
	return AppendInt64(dst, r.ServerPort)
}

// Decode reads the 24-byte body.
func (r *TrackerJoinLeader) Decode(body []byte) error {
	if len(body) != TrackerJoinLeaderSize {
		return badLength("TrackerJoinLeader", len(body), "24")
	}
	r.UpTime = Int64(body)
	r.Version = FixedBytes(body[8 : 8+VersionSize])
	r.ServerPort = Int64(body[8+VersionSize:])
	return nil
}

// ---- 65 TRACKER_PING_LEADER ------------------------------------------------

// PingLeaderRequestSize is the PING_LEADER body size (V6.15.5+; empty before).
const PingLeaderRequestSize = 12

// PingLeaderRequest is the TRACKER_PING_LEADER (65) body: the follower's
// connection counters.
type PingLeaderRequest struct {
	Connection ConnectionStat
}

// Size is the body length.
func (r *PingLeaderRequest) Size() int { return PingLeaderRequestSize }

// Append appends the body.
func (r *PingLeaderRequest) Append(dst []byte) []byte { return r.Connection.append(dst) }

// Decode reads the 12-byte body.
func (r *PingLeaderRequest) Decode(body []byte) error {
	if len(body) != PingLeaderRequestSize {
		return badLength("PingLeaderRequest", len(body), "12")
	}
	r.Connection.decode(body)
	return nil
}

// GroupTrunk is one PING_LEADER reply record: a group and its trunk
// server's id (empty if none).
type GroupTrunk struct {
	Group         []byte
	TrunkServerID []byte
}

const groupTrunkSize = GroupNameSize + StorageIDSize

// MaxGroups is FDFS_MAX_GROUPS.
const MaxGroups = 512

// PingLeaderReply is the PING_LEADER reply: empty, or, when the trunk
// servers changed since the last reply on this connection (always on the
// first), one GroupTrunk per group sorted by name.
type PingLeaderReply struct {
	Records []byte // raw 32-byte records; use Count, Group, Add
}

// Count is the number of records.
func (r *PingLeaderReply) Count() int { return len(r.Records) / groupTrunkSize }

// Group returns record i.
func (r *PingLeaderReply) Group(i int) GroupTrunk {
	rec := r.Records[i*groupTrunkSize : (i+1)*groupTrunkSize]
	return GroupTrunk{Group: FixedBytes(rec[:GroupNameSize]), TrunkServerID: FixedBytes(rec[GroupNameSize:])}
}

// Add appends a record.
func (r *PingLeaderReply) Add(g GroupTrunk) {
	r.Records = AppendFixedBytes(AppendFixedBytes(r.Records, g.Group, GroupNameSize), g.TrunkServerID, StorageIDSize)
}

// Size is the body length.
func (r *PingLeaderReply) Size() int { return len(r.Records) }

// Append appends the body.
func (r *PingLeaderReply) Append(dst []byte) []byte { return append(dst, r.Records...) }

// Decode reads 0..512 records of 32 bytes.
func (r *PingLeaderReply) Decode(body []byte) error {
	if len(body)%groupTrunkSize != 0 || len(body) > MaxGroups*groupTrunkSize {
		return badLength("PingLeaderReply", len(body), "32 x n, n <= 512")
	}
	r.Records = body
	return nil
}

// ---- 63 TRACKER_GET_ONE_SYS_FILE -------------------------------------------

// The tracker state files, by the index GET_ONE_SYS_FILE asks for.
const (
	SysFileGroups        = 0 // storage_groups_new.dat
	SysFileServers       = 1 // storage_servers_new.dat
	SysFileSyncTimestamp = 2 // storage_sync_timestamp.dat
	SysFileChangelog     = 3 // storage_changelog.dat
	SysFileCount         = 4
)

// SysFileName is the data/ file name of state file index i, "" if unknown.
func SysFileName(i int) string {
	switch i {
	case SysFileGroups:
		return "storage_groups_new.dat"
	case SysFileServers:
		return "storage_servers_new.dat"
	case SysFileSyncTimestamp:
		return "storage_sync_timestamp.dat"
	case SysFileChangelog:
		return "storage_changelog.dat"
	}
	return ""
}

// SysFileMaxChunk is the most content bytes one GET_ONE_SYS_FILE reply
// carries: 8192 - 8 (file size) - 10 (header) - 1.
const SysFileMaxChunk = 8192 - 8 - HeaderSize - 1

// SysFileRequestSize is the GET_ONE_SYS_FILE request size.
const SysFileRequestSize = 1 + 8

// SysFileRequest is the TRACKER_GET_ONE_SYS_FILE (63) body: which state file
// and from which offset (the bytes received so far).
type SysFileRequest struct {
	Index  byte
	Offset int64
}

// Size is the body length.
func (r *SysFileRequest) Size() int { return SysFileRequestSize }

// Append appends the body.
func (r *SysFileRequest) Append(dst []byte) []byte {
	return AppendInt64(append(dst, r.Index), r.Offset)
}

// Decode reads the 9-byte body; an index beyond 3 or a negative offset is
// EINVAL.
func (r *SysFileRequest) Decode(body []byte) error {
	if len(body) != SysFileRequestSize {
		return badLength("SysFileRequest", len(body), "9")
	}
	r.Index = body[0]
	r.Offset = Int64(body[1:])
	if r.Index >= SysFileCount {
		return invalid("SysFileRequest", "file index "+strconv.Itoa(int(r.Index))+", want 0..3")
	}
	if r.Offset < 0 {
		return invalid("SysFileRequest", "negative offset")
	}
	return nil
}

// SysFileReply is the GET_ONE_SYS_FILE reply: the whole file's current size,
// then up to SysFileMaxChunk bytes of it from the requested offset.
type SysFileReply struct {
	FileSize int64
	Content  []byte
}

// Size is the body length.
func (r *SysFileReply) Size() int { return 8 + len(r.Content) }

// Append appends the body.
func (r *SysFileReply) Append(dst []byte) []byte {
	return append(AppendInt64(dst, r.FileSize), r.Content...)
}

// Decode reads the file size and the content after it; the content cannot
// be longer than the file.
func (r *SysFileReply) Decode(body []byte) error {
	if len(body) < 8 {
		return badLength("SysFileReply", len(body), ">= 8")
	}
	r.FileSize = Int64(body)
	r.Content = body[8:]
	if r.FileSize < 0 || int64(len(r.Content)) > r.FileSize {
		return invalid("SysFileReply", "file size "+strconv.FormatInt(r.FileSize, 10)+
			" with "+strconv.Itoa(len(r.Content))+" content bytes")
	}
	return nil
}
