package codec

import (
	"bytes"
	"strconv"
)

// Storage -> tracker reports (cluster.md §1): beat, disk usage, status
// pushes, sync report, own-IP and id lookups, changelog, trunk ids and the
// sync-source bodies.

// MaxStorePaths is the most store paths a storage may have.
const MaxStorePaths = 256

// ---- 83 BEAT ------------------------------------------------------------

// StorageBeat is the BEAT (83) body: empty when no counter changed since the
// previous beat, else the 348-byte stat block. The reply is a ChangeNotice.
type StorageBeat struct {
	HasStats bool
	Stats    StatBlock
}

// Size is the body length.
func (r *StorageBeat) Size() int {
	if !r.HasStats {
		return 0
	}
	return StatBlockSize
}

// Append appends the body.
func (r *StorageBeat) Append(dst []byte) []byte {
	if !r.HasStats {
		return dst
	}
	return r.Stats.Append(dst)
}

// Decode reads an empty or 348-byte body (EINVAL otherwise, as the C
// tracker). An empty body leaves Stats as it was.
func (r *StorageBeat) Decode(body []byte) error {
	if len(body) == 0 {
		r.HasStats = false
		return nil
	}
	if len(body) != StatBlockSize {
		return badLength("StorageBeat", len(body), "0 or 348")
	}
	r.HasStats = true
	return r.Stats.Decode(body)
}

// ---- 84 REPORT_DISK_USAGE -------------------------------------------------

// PathUsage is one store path's space, in MB.
type PathUsage struct {
	TotalMB int64
	FreeMB  int64
}

const pathUsageSize = 16

// DiskUsageReport is the REPORT_DISK_USAGE (84) body: one PathUsage per
// store path, in path order.
type DiskUsageReport struct {
	Records []byte // raw 16-byte records; use Count, Path, Add
}

// Count is the number of store paths reported.
func (r *DiskUsageReport) Count() int { return len(r.Records) / pathUsageSize }

// Path returns the usage of store path i.
func (r *DiskUsageReport) Path(i int) PathUsage {
	rec := r.Records[i*pathUsageSize:]
	return PathUsage{TotalMB: Int64(rec), FreeMB: Int64(rec[8:])}
}

// Add appends the next store path's usage.
func (r *DiskUsageReport) Add(u PathUsage) {
	r.Records = AppendInt64(AppendInt64(r.Records, u.TotalMB), u.FreeMB)
}

// Size is the body length.
func (r *DiskUsageReport) Size() int { return len(r.Records) }

// Append appends the body.
func (r *DiskUsageReport) Append(dst []byte) []byte { return append(dst, r.Records...) }

// Decode reads 1..256 records. The C tracker wants exactly one per store
// path of the group: check that with CheckPathCount.
func (r *DiskUsageReport) Decode(body []byte) error {
	if len(body) == 0 || len(body)%pathUsageSize != 0 || len(body) > MaxStorePaths*pathUsageSize {
		return badLength("DiskUsageReport", len(body), "16 x store_path_count")
	}
	r.Records = body
	return nil
}

// CheckPathCount is the tracker's rule: one record per store path of the group.
func (r *DiskUsageReport) CheckPathCount(storePathCount int) error {
	if len(r.Records) != storePathCount*pathUsageSize {
		return badLength("DiskUsageReport", len(r.Records), strconv.Itoa(16*storePathCount)+" (16 x store_path_count)")
	}
	return nil
}

// ---- 85 REPLICA_CHG -----------------------------------------------------

// ReplicaChange is the REPLICA_CHG (85) body: 1..32 briefs of storages whose
// status the reporter knows better than the leader's list said.
type ReplicaChange struct {
	Records []byte // raw 67-byte briefs; use Count, Brief, Add
}

// Count is the number of briefs.
func (r *ReplicaChange) Count() int { return len(r.Records) / StorageBriefSize }

// Brief returns brief i.
func (r *ReplicaChange) Brief(i int) StorageBrief {
	var b StorageBrief
	b.decodeSized(r.Records[i*StorageBriefSize:(i+1)*StorageBriefSize], IPv6AddrSize)
	return b
}

// Add appends a brief.
func (r *ReplicaChange) Add(b *StorageBrief) { r.Records = b.Append(r.Records) }

// Size is the body length.
func (r *ReplicaChange) Size() int { return len(r.Records) }

// Append appends the body.
func (r *ReplicaChange) Append(dst []byte) []byte { return append(dst, r.Records...) }

// Decode reads 1..32 briefs (EINVAL otherwise, as the C tracker).
func (r *ReplicaChange) Decode(body []byte) error {
	if len(body) == 0 || len(body)%StorageBriefSize != 0 || len(body) > MaxGroupServers*StorageBriefSize {
		return badLength("ReplicaChange", len(body), "67 x 1..32")
	}
	r.Records = body
	return nil
}

// ---- 76 REPORT_STATUS ---------------------------------------------------

// ReportStatusRequest is the REPORT_STATUS (76) body: group[16] + one brief
// of another storage (C storages leave its port 0).
type ReportStatusRequest struct {
	Group   []byte
	Storage StorageBrief
}

// Size is the body length.
func (r *ReportStatusRequest) Size() int { return GroupNameSize + StorageBriefSize }

// Append appends the body.
func (r *ReportStatusRequest) Append(dst []byte) []byte {
	return r.Storage.Append(AppendFixedBytes(dst, r.Group, GroupNameSize))
}

// Decode reads the 83-byte body.
func (r *ReportStatusRequest) Decode(body []byte) error {
	if len(body) != GroupNameSize+StorageBriefSize {
		return badLength("ReportStatusRequest", len(body), "83")
	}
	r.Group = FixedBytes(body[:GroupNameSize])
	r.Storage.decodeSized(body[GroupNameSize:], IPv6AddrSize)
	return nil
}

// ---- 89 SYNC_REPORT -----------------------------------------------------

// SyncTimestamp is one SYNC_REPORT entry: the newest source timestamp of a
// sync operation received from storage ID (0 if none).
type SyncTimestamp struct {
	ID        []byte
	Timestamp int32
}

const syncTimestampSize = StorageIDSize + 4

// SyncReport is the SYNC_REPORT (89) body: one entry per storage the reporter
// knows in its group, itself included.
type SyncReport struct {
	Records []byte // raw 20-byte entries; use Count, Entry, Add
}

// Count is the number of entries.
func (r *SyncReport) Count() int { return len(r.Records) / syncTimestampSize }

// Entry returns entry i.
func (r *SyncReport) Entry(i int) SyncTimestamp {
	rec := r.Records[i*syncTimestampSize : (i+1)*syncTimestampSize]
	return SyncTimestamp{ID: FixedBytes(rec[:StorageIDSize]), Timestamp: Int32(rec[StorageIDSize:])}
}

// Add appends an entry.
func (r *SyncReport) Add(e SyncTimestamp) {
	r.Records = AppendInt32(AppendFixedBytes(r.Records, e.ID, StorageIDSize), e.Timestamp)
}

// Size is the body length.
func (r *SyncReport) Size() int { return len(r.Records) }

// Append appends the body.
func (r *SyncReport) Append(dst []byte) []byte { return append(dst, r.Records...) }

// Decode reads a non-zero multiple of 20 bytes.
func (r *SyncReport) Decode(body []byte) error {
	if len(body) == 0 || len(body)%syncTimestampSize != 0 {
		return badLength("SyncReport", len(body), "20 x n, n >= 1")
	}
	r.Records = body
	return nil
}

// ---- 59 CHANGE_STATUS ---------------------------------------------------

// ChangeStatusRequest is the CHANGE_STATUS (59) body: the status the leader
// lists for the storage, sent to a tracker that disagrees.
type ChangeStatusRequest struct {
	Status byte
}

// Size is the body length.
func (r *ChangeStatusRequest) Size() int { return 1 }

// Append appends the body.
func (r *ChangeStatusRequest) Append(dst []byte) []byte { return append(dst, r.Status) }

// Decode reads the 1-byte body.
func (r *ChangeStatusRequest) Decode(body []byte) error {
	if len(body) != 1 {
		return badLength("ChangeStatusRequest", len(body), "1")
	}
	r.Status = body[0]
	return nil
}

// ---- 60 GET_MY_IP -------------------------------------------------------

// GetMyIPRequestSize is the GET_MY_IP body: a 17-byte group field (not 16)
// and an int32 port.
const GetMyIPRequestSize = GroupNameStatSize + 4

// GetMyIPRequest is the GET_MY_IP (60) body a starting storage sends to
// every tracker.
type GetMyIPRequest struct {
	Group []byte
	Port  int32
}

// Size is the body length.
func (r *GetMyIPRequest) Size() int { return GetMyIPRequestSize }

// Append appends the body.
func (r *GetMyIPRequest) Append(dst []byte) []byte {
	return AppendInt32(AppendFixedBytes(dst, r.Group, GroupNameStatSize), r.Port)
}

// Decode reads the 21-byte body.
func (r *GetMyIPRequest) Decode(body []byte) error {
	if len(body) != GetMyIPRequestSize {
		return badLength("GetMyIPRequest", len(body), "21")
	}
	r.Group = FixedBytes(body[:GroupNameStatSize])
	r.Port = Int32(body[GroupNameStatSize:])
	return nil
}

// myIPReplyMax bounds the GET_MY_IP reply: "ip1,ip2" of two IPv6 texts.
const myIPReplyMax = 2*(IPv6AddrSize-1) + 1

// MyIPReply is the GET_MY_IP reply: the storage's address as the tracker
// sees it, or the configured "ip1,ip2" list with storage ids; no NUL.
type MyIPReply struct {
	IPs []byte
}

// Size is the body length.
func (r *MyIPReply) Size() int { return len(r.IPs) }

// Append appends the body.
func (r *MyIPReply) Append(dst []byte) []byte { return append(dst, r.IPs...) }

// Decode reads 1..91 bytes of text.
func (r *MyIPReply) Decode(body []byte) error {
	if len(body) == 0 || len(body) > myIPReplyMax {
		return badLength("MyIPReply", len(body), "1.."+strconv.Itoa(myIPReplyMax))
	}
	r.IPs = body
	return nil
}

// ---- 70 GET_SERVER_ID, 71 GET_STATUS --------------------------------------

// StorageLookupRequest is the GET_SERVER_ID (70) and GET_STATUS (71) body:
// group[16] + "ip:port" text (1..52 bytes, no NUL).
type StorageLookupRequest struct {
	Group []byte
	Addr  []byte
}

// Size is the body length.
func (r *StorageLookupRequest) Size() int { return GroupNameSize + len(r.Addr) }

// Append appends the body.
func (r *StorageLookupRequest) Append(dst []byte) []byte {
	return append(AppendFixedBytes(dst, r.Group, GroupNameSize), r.Addr...)
}

// Decode reads 17..68 bytes.
func (r *StorageLookupRequest) Decode(body []byte) error {
	if len(body) <= GroupNameSize || len(body) > GroupNameSize+IPPortSize {
		return badLength("StorageLookupRequest", len(body), "17..68")
	}
	r.Group = FixedBytes(body[:GroupNameSize])
	r.Addr = body[GroupNameSize:]
	return nil
}

// StorageIDReply is the GET_SERVER_ID (70) reply: the id text, no NUL.
type StorageIDReply struct {
	ID []byte
}

// Size is the body length.
func (r *StorageIDReply) Size() int { return len(r.ID) }

// Append appends the body.
func (r *StorageIDReply) Append(dst []byte) []byte { return append(dst, r.ID...) }

// Decode reads 1..15 bytes (the C storage refuses 0 or >= 16).
func (r *StorageIDReply) Decode(body []byte) error {
	if len(body) == 0 || len(body) >= StorageIDSize {
		return badLength("StorageIDReply", len(body), "1..15")
	}
	r.ID = body
	return nil
}

// The GET_STATUS (71) reply is one StorageBrief (67 bytes).

// ---- 109 GET_GROUP_NAME -------------------------------------------------

// GetGroupNameRequest is the GET_GROUP_NAME (109) body: an optional IP text
// (the peer address is used when absent) followed by an int32 port.
type GetGroupNameRequest struct {
	IP   []byte
	Port int32
}

// Size is the body length.
func (r *GetGroupNameRequest) Size() int { return len(r.IP) + 4 }

// Append appends the body.
func (r *GetGroupNameRequest) Append(dst []byte) []byte {
	return AppendInt32(append(dst, r.IP...), r.Port)
}

// Decode reads 4..49 bytes: an IP text of at most 45 bytes, then the port.
func (r *GetGroupNameRequest) Decode(body []byte) error {
	if len(body) < 4 || len(body) > 4+IPv6AddrSize-1 {
		return badLength("GetGroupNameRequest", len(body), "4..49")
	}
	r.IP = body[:len(body)-4]
	if len(r.IP) == 0 {
		r.IP = nil
	}
	r.Port = Int32(body[len(body)-4:])
	return nil
}

// GetGroupNameReply is the GET_GROUP_NAME reply: group[16], NUL-padded.
type GetGroupNameReply struct {
	Group []byte
}

// Size is the body length.
func (r *GetGroupNameReply) Size() int { return GroupNameSize }

// Append appends the body.
func (r *GetGroupNameReply) Append(dst []byte) []byte {
	return AppendFixedBytes(dst, r.Group, GroupNameSize)
}

// Decode reads the 16-byte body.
func (r *GetGroupNameReply) Decode(body []byte) error {
	if len(body) != GroupNameSize {
		return badLength("GetGroupNameReply", len(body), "16")
	}
	r.Group = FixedBytes(body)
	return nil
}

// ---- 77 CHANGELOG_REQ ---------------------------------------------------

// ChangelogRequest is the CHANGELOG_REQ (77) body: empty on a joined
// connection, otherwise group[16] + the storage's own id[16].
type ChangelogRequest struct {
	Group     []byte // nil: the empty (joined) form
	StorageID []byte
}

// Size is the body length.
func (r *ChangelogRequest) Size() int {
	if r.Group == nil && r.StorageID == nil {
		return 0
	}
	return GroupNameSize + StorageIDSize
}

// Append appends the body.
func (r *ChangelogRequest) Append(dst []byte) []byte {
	if r.Size() == 0 {
		return dst
	}
	return AppendFixedBytes(AppendFixedBytes(dst, r.Group, GroupNameSize), r.StorageID, StorageIDSize)
}

// Decode reads an empty or 32-byte body. The C tracker wants the empty form
// exactly when the connection has joined (EINVAL otherwise); that check is
// the server's.
func (r *ChangelogRequest) Decode(body []byte) error {
	switch len(body) {
	case 0:
		r.Group, r.StorageID = nil, nil
	case GroupNameSize + StorageIDSize:
		r.Group = FixedBytes(body[:GroupNameSize])
		// the tracker forces a NUL at the id field's last byte
		r.StorageID = FixedBytes(body[GroupNameSize : GroupNameSize+StorageIDSize-1])
	default:
		return badLength("ChangelogRequest", len(body), "0 or 32")
	}
	return nil
}

// ChangelogMaxChunk is the most changelog bytes one CHANGELOG_REQ reply
// carries (8192-10; C lets 8183..8202 through unchanged, see cluster.md §1.9).
const ChangelogMaxChunk = 8192 - HeaderSize

// ChangelogLine is one line of storage_changelog.dat, shipped raw in
// CHANGELOG_REQ replies: `<ts> <group> <storage_id> <status> <new_id>\n`.
// Status is 4 (DELETED, NewID empty so the line ends "4 \n") or 3
// (IP_CHANGED: StorageID is the old IP, NewID the new one).
type ChangelogLine struct {
	Timestamp int64
	Group     []byte
	StorageID []byte
	Status    byte
	NewID     []byte
}

// Size is the line length, '\n' included.
func (l *ChangelogLine) Size() int {
	return clusterDecimalLen(l.Timestamp) + 1 + len(l.Group) + 1 + len(l.StorageID) + 1 +
		clusterDecimalLen(int64(l.Status)) + 1 + len(l.NewID) + 1
}

// Append appends the line.
func (l *ChangelogLine) Append(dst []byte) []byte {
	dst = strconv.AppendInt(dst, l.Timestamp, 10)
	dst = append(dst, ' ')
	dst = append(dst, l.Group...)
	dst = append(dst, ' ')
	dst = append(dst, l.StorageID...)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(l.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, l.NewID...)
	return append(dst, '\n')
}

var (
	errChangelogFields = &Error{Errno: EINVAL, Layout: "ChangelogLine", Reason: "want 5 space-separated fields"}
	errChangelogValue  = &Error{Errno: EINVAL, Layout: "ChangelogLine", Reason: "bad timestamp, group, id or status"}
	// ErrChangelogPartial: no '\n' yet. A reply chunk may end inside a line;
	// keep the bytes and parse again with the next chunk.
	ErrChangelogPartial = &Error{Errno: EAGAIN, Layout: "ChangelogLine", Reason: "line not terminated"}
)

// Parse reads the line at the start of b and returns its length with the
// '\n'. A complete but malformed line returns its length and an EINVAL
// error, so a reader can skip it; an unterminated one returns 0 and
// ErrChangelogPartial. Fields alias b.
func (l *ChangelogLine) Parse(b []byte) (int, error) {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		return 0, ErrChangelogPartial
	}
	n := end + 1
	line := b[:end]
	var f [5][]byte
	for i := range 4 {
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return n, errChangelogFields
		}
		f[i], line = line[:sp], line[sp+1:]
	}
	if bytes.IndexByte(line, ' ') >= 0 {
		return n, errChangelogFields
	}
	f[4] = line
	ts, ok := clusterParseDecimal(f[0])
	status, okStatus := clusterParseDecimal(f[3])
	if !ok || !okStatus || status > 255 || !ValidGroupName(f[1]) ||
		len(f[2]) == 0 || len(f[2]) > IPv6AddrSize-1 || len(f[4]) > IPv6AddrSize-1 {
		return n, errChangelogValue
	}
	l.Timestamp, l.Group, l.StorageID, l.Status, l.NewID = ts, f[1], f[2], byte(status), f[4]
	return n, nil
}

// ---- 78 REPORT_IP_CHANGED -------------------------------------------------

// ReportIPChangedSize is the HEAD body: group[16] + old_ip[46] + new_ip[46]
// (48 bytes with the 16-byte IP fields before V6.11).
const ReportIPChangedSize = GroupNameSize + 2*IPv6AddrSize

// ReportIPChangedRequest is the REPORT_IP_CHANGED (78) body.
type ReportIPChangedRequest struct {
	Group []byte
	OldIP []byte
	NewIP []byte
}

// Size is the body length.
func (r *ReportIPChangedRequest) Size() int { return ReportIPChangedSize }

// Append appends the body.
func (r *ReportIPChangedRequest) Append(dst []byte) []byte {
	dst = AppendFixedBytes(dst, r.Group, GroupNameSize)
	dst = AppendFixedBytes(dst, r.OldIP, IPv6AddrSize)
	return AppendFixedBytes(dst, r.NewIP, IPv6AddrSize)
}

// Decode reads the 108-byte body.
func (r *ReportIPChangedRequest) Decode(body []byte) error {
	if len(body) != ReportIPChangedSize {
		return badLength("ReportIPChangedRequest", len(body), "108")
	}
	r.Group = FixedBytes(body[:GroupNameSize])
	r.OldIP = FixedBytes(body[GroupNameSize : GroupNameSize+IPv6AddrSize])
	r.NewIP = FixedBytes(body[GroupNameSize+IPv6AddrSize:])
	return nil
}

// ---- 72 FETCH_TRUNK_FID, 73 REPORT_TRUNK_FID, 74 REPORT_TRUNK_FREE -------

// TrunkFileID is the REPORT_TRUNK_FID (73) request body and the
// FETCH_TRUNK_FID (72) reply body: the group's current trunk file id.
type TrunkFileID struct {
	ID int32
}

// Size is the body length.
func (r *TrunkFileID) Size() int { return 4 }

// Append appends the body.
func (r *TrunkFileID) Append(dst []byte) []byte { return AppendInt32(dst, r.ID) }

// Decode reads the 4-byte body; negative ids are EINVAL.
func (r *TrunkFileID) Decode(body []byte) error {
	if len(body) != 4 {
		return badLength("TrunkFileID", len(body), "4")
	}
	r.ID = Int32(body)
	if r.ID < 0 {
		return invalid("TrunkFileID", "negative trunk file id")
	}
	return nil
}

// TrunkFreeSpace is the REPORT_TRUNK_FREE (74) body: free trunk space in MB.
type TrunkFreeSpace struct {
	FreeMB int64
}

// Size is the body length.
func (r *TrunkFreeSpace) Size() int { return 8 }

// Append appends the body.
func (r *TrunkFreeSpace) Append(dst []byte) []byte { return AppendInt64(dst, r.FreeMB) }

// Decode reads the 8-byte body; negative values are EINVAL.
func (r *TrunkFreeSpace) Decode(body []byte) error {
	if len(body) != 8 {
		return badLength("TrunkFreeSpace", len(body), "8")
	}
	r.FreeMB = Int64(body)
	if r.FreeMB < 0 {
		return invalid("TrunkFreeSpace", "negative free MB")
	}
	return nil
}

// ---- 86, 87, 88, 79: sync source -------------------------------------------

// SyncSourceSize is TrackerStorageSyncReqBody: src_id[16] + until int64.
const SyncSourceSize = StorageIDSize + 8

// SyncSource is TrackerStorageSyncReqBody: which storage copies the old
// files to a new member, and up to which timestamp. It is the SYNC_NOTIFY
// (88) request body and the non-empty reply of SYNC_SRC_REQ (86),
// SYNC_DEST_REQ (87) and SYNC_DEST_QUERY (79).
type SyncSource struct {
	SrcID []byte // empty: no source
	Until int64
}

// Size is the body length.
func (r *SyncSource) Size() int { return SyncSourceSize }

// Append appends the body.
func (r *SyncSource) Append(dst []byte) []byte {
	return AppendInt64(AppendFixedBytes(dst, r.SrcID, StorageIDSize), r.Until)
}

// Decode reads the 24-byte body.
func (r *SyncSource) Decode(body []byte) error {
	if len(body) != SyncSourceSize {
		return badLength("SyncSource", len(body), "24")
	}
	r.SrcID = FixedBytes(body[:StorageIDSize])
	r.Until = Int64(body[StorageIDSize:])
	return nil
}

// SyncSourceReply is the reply of 86, 87 and 79: empty (no source) or a
// SyncSource.
type SyncSourceReply struct {
	Found  bool
	Source SyncSource
}

// Size is the body length.
func (r *SyncSourceReply) Size() int {
	if !r.Found {
		return 0
	}
	return SyncSourceSize
}

// Append appends the body.
func (r *SyncSourceReply) Append(dst []byte) []byte {
	if !r.Found {
		return dst
	}
	return r.Source.Append(dst)
}

// Decode reads an empty or 24-byte body.
func (r *SyncSourceReply) Decode(body []byte) error {
	if len(body) == 0 {
		r.Found, r.Source = false, SyncSource{}
		return nil
	}
	if len(body) != SyncSourceSize {
		return badLength("SyncSourceReply", len(body), "0 or 24")
	}
	if err := r.Source.Decode(body); err != nil {
		return err
	}
	r.Found = true
	return nil
}

// SyncSourceRequest is the SYNC_SRC_REQ (86) body: group[16] + the id of
// the destination storage whose source is asked for.
type SyncSourceRequest struct {
	Group  []byte
	DestID []byte
}

// Size is the body length.
func (r *SyncSourceRequest) Size() int { return GroupNameSize + StorageIDSize }

// Append appends the body.
func (r *SyncSourceRequest) Append(dst []byte) []byte {
	return AppendFixedBytes(AppendFixedBytes(dst, r.Group, GroupNameSize), r.DestID, StorageIDSize)
}

// Decode reads the 32-byte body.
func (r *SyncSourceRequest) Decode(body []byte) error {
	if len(body) != GroupNameSize+StorageIDSize {
		return badLength("SyncSourceRequest", len(body), "32")
	}
	r.Group = FixedBytes(body[:GroupNameSize])
	r.DestID = FixedBytes(body[GroupNameSize:])
	return nil
}

// ---- shared text helpers ----------------------------------------------------

// clusterParseDecimal reads a non-empty run of ASCII digits as an int64 (leading
// zeros allowed, as C's atoi; no sign). ok is false on anything else or on
// overflow.
func clusterParseDecimal(b []byte) (v int64, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	const maxInt64 = 1<<63 - 1
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (maxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// clusterDecimalLen is the length of strconv.AppendInt(nil, v, 10).
func clusterDecimalLen(v int64) int {
	n := 1
	if v < 0 {
		n++
		if v == -1<<63 {
			return 20
		}
		v = -v
	}
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}
