package codec

import "strconv"

// Storage -> storage (cluster.md §4.5, §1.10): the sync commands a source
// sends to the other members of its group, disk-recovery binlog fetch, and
// the trunk-server commands. Every sync body carries the source timestamp of
// the operation and the group; the group field is read up to its first NUL
// because C sync senders leave garbage after it (our encoders zero-fill).
// Replies are header-only, the meaning is in the status byte (0, EEXIST,
// ENOENT), except a successful SYNC_RENAME_FILE from C, which echoes the
// request body: read it as a SyncRenameRequest or discard it.

// ---- 9 REPORT_SERVER_ID ------------------------------------------------------

// ReportServerID is the REPORT_SERVER_ID (9) body: the sync source's id,
// sent first on a sync connection so the receiver can attribute the
// following operations to it.
type ReportServerID struct {
	ID []byte
}

// Size is the body length.
func (r *ReportServerID) Size() int { return StorageIDSize }

// Append appends the body.
func (r *ReportServerID) Append(dst []byte) []byte { return AppendFixedBytes(dst, r.ID, StorageIDSize) }

// Decode reads the 16-byte body; an empty id is EINVAL.
func (r *ReportServerID) Decode(body []byte) error {
	if len(body) != StorageIDSize {
		return badLength("ReportServerID", len(body), "16")
	}
	// the receiver keeps 15 characters: it forces a NUL at the last byte
	r.ID = FixedBytes(body[:StorageIDSize-1])
	if len(r.ID) == 0 {
		return invalid("ReportServerID", "empty storage id")
	}
	return nil
}

// syncName checks a name length read from a sync body: 1..127 like the C
// receivers (a 128-byte buffer, and an empty name fails the name split).
func syncName(layout, what string, n int64) error {
	if n < 1 || n > MaxFilenameLen {
		return invalid(layout, what+" length "+strconv.FormatInt(n, 10)+", want 1..127")
	}
	return nil
}

// syncTail reads ts int32 + group[16] at b and returns them.
func syncTail(b []byte) (ts int32, group []byte) {
	return Int32(b), FixedBytes(b[4 : 4+GroupNameSize])
}

func appendSyncTail(dst []byte, ts int32, group []byte) []byte {
	return AppendFixedBytes(AppendInt32(dst, ts), group, GroupNameSize)
}

// ---- 16 SYNC_CREATE_FILE, 18 SYNC_UPDATE_FILE --------------------------------

// syncFileHead is name_len + file_size + ts + group.
const syncFileHead = 8 + 8 + 4 + GroupNameSize

// SyncFileRequest is the SYNC_CREATE_FILE (16) and SYNC_UPDATE_FILE (18)
// body: name_len int64, file_size int64, ts int32, group[16], name, then
// file_size bytes of content — unless the request header's status is 17
// (EEXIST): then the sender found the same-size file on the peer and no
// content follows although file_size is the real size (NoContent).
type SyncFileRequest struct {
	FileSize  int64
	Timestamp int32
	Group     []byte
	Filename  []byte
	NoContent bool   // request header status EEXIST
	Content   []byte // set by Decode; nil after DecodeFixed
}

// HeaderStatus is the request header's status byte: EEXIST with NoContent.
func (r *SyncFileRequest) HeaderStatus() byte {
	if r.NoContent {
		return byte(EEXIST)
	}
	return 0
}

// FixedSize is the length of the part before the content.
func (r *SyncFileRequest) FixedSize() int { return syncFileHead + len(r.Filename) }

// ContentLen is the number of content bytes the body carries.
func (r *SyncFileRequest) ContentLen() int64 {
	if r.NoContent {
		return 0
	}
	return r.FileSize
}

// Size is the whole body length (the header's), content included.
func (r *SyncFileRequest) Size() int { return r.FixedSize() + int(r.ContentLen()) }

// AppendFixed appends the part before the content.
func (r *SyncFileRequest) AppendFixed(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Filename)))
	dst = AppendInt64(dst, r.FileSize)
	dst = appendSyncTail(dst, r.Timestamp, r.Group)
	return append(dst, r.Filename...)
}

// Append appends the fixed part and Content (which should hold ContentLen
// bytes; stream it instead with AppendFixed for big files).
func (r *SyncFileRequest) Append(dst []byte) []byte {
	dst = r.AppendFixed(dst)
	if r.NoContent {
		return dst
	}
	return append(dst, r.Content...)
}

// DecodeFixed reads the part before the content from the start of b, which
// must hold at least FixedSize bytes, and returns that size. The content
// length then follows from the header: check it with CheckBodyLen.
func (r *SyncFileRequest) DecodeFixed(b []byte) (int, error) {
	if len(b) < syncFileHead {
		return 0, badLength("SyncFileRequest", len(b), "> 36")
	}
	nameLen := Int64(b)
	if err := syncName("SyncFileRequest", "filename", nameLen); err != nil {
		return 0, err
	}
	r.FileSize = Int64(b[8:])
	if r.FileSize < 0 {
		return 0, invalid("SyncFileRequest", "negative file size")
	}
	fixed := syncFileHead + int(nameLen)
	if len(b) < fixed {
		return 0, badLength("SyncFileRequest", len(b), ">= "+strconv.Itoa(fixed)+" (36 + name_len)")
	}
	r.Timestamp, r.Group = syncTail(b[16:])
	r.Filename = b[syncFileHead:fixed]
	r.Content = nil
	return fixed, nil
}

// CheckBodyLen sets NoContent from the request header's status and checks
// the header's body length against the fixed part and FileSize: status 0
// wants the content, EEXIST none; other statuses are EINVAL.
func (r *SyncFileRequest) CheckBodyLen(bodyLen int64, headerStatus byte) error {
	switch Errno(headerStatus) {
	case OK:
		r.NoContent = false
	case EEXIST:
		r.NoContent = true
	default:
		return invalid("SyncFileRequest", "request header status "+strconv.Itoa(int(headerStatus))+", want 0 or 17")
	}
	if want := int64(r.FixedSize()) + r.ContentLen(); bodyLen != want {
		return &Error{Errno: EINVAL, Layout: "SyncFileRequest",
			Reason: "body length " + strconv.FormatInt(bodyLen, 10) + ", want " + strconv.FormatInt(want, 10)}
	}
	return nil
}

// Decode reads a whole body; headerStatus is the request header's status.
func (r *SyncFileRequest) Decode(body []byte, headerStatus byte) error {
	n, err := r.DecodeFixed(body)
	if err != nil {
		return err
	}
	if err := r.CheckBodyLen(int64(len(body)), headerStatus); err != nil {
		return err
	}
	r.Content = body[n:]
	return nil
}

// ---- 17 SYNC_DELETE_FILE -----------------------------------------------------

// SyncDeleteRequest is the SYNC_DELETE_FILE (17) body: ts int32, group[16],
// then the name (the rest of the body).
type SyncDeleteRequest struct {
	Timestamp int32
	Group     []byte
	Filename  []byte
}

// Size is the body length.
func (r *SyncDeleteRequest) Size() int { return 4 + GroupNameSize + len(r.Filename) }

// Append appends the body.
func (r *SyncDeleteRequest) Append(dst []byte) []byte {
	return append(appendSyncTail(dst, r.Timestamp, r.Group), r.Filename...)
}

// Decode reads 21..147 bytes.
func (r *SyncDeleteRequest) Decode(body []byte) error {
	const head = 4 + GroupNameSize
	if len(body) <= head || len(body) > head+MaxFilenameLen {
		return badLength("SyncDeleteRequest", len(body), "21..147")
	}
	r.Timestamp, r.Group = syncTail(body)
	r.Filename = body[head:]
	return nil
}

// ---- 25 SYNC_APPEND_FILE, 35 SYNC_MODIFY_FILE ----------------------------------

// syncAppendHead is name_len + start_offset + length + ts + group.
const syncAppendHead = 8 + 8 + 8 + 4 + GroupNameSize

// SyncAppendRequest is the SYNC_APPEND_FILE (25) and SYNC_MODIFY_FILE (35)
// body: name_len int64, start_offset int64, length int64, ts int32,
// group[16], name, then length bytes of content written at start_offset.
type SyncAppendRequest struct {
	Offset    int64
	Length    int64
	Timestamp int32
	Group     []byte
	Filename  []byte
	Content   []byte // set by Decode; nil after DecodeFixed
}

// FixedSize is the length of the part before the content.
func (r *SyncAppendRequest) FixedSize() int { return syncAppendHead + len(r.Filename) }

// Size is the whole body length, content included.
func (r *SyncAppendRequest) Size() int { return r.FixedSize() + int(r.Length) }

// AppendFixed appends the part before the content.
func (r *SyncAppendRequest) AppendFixed(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Filename)))
	dst = AppendInt64(dst, r.Offset)
	dst = AppendInt64(dst, r.Length)
	dst = appendSyncTail(dst, r.Timestamp, r.Group)
	return append(dst, r.Filename...)
}

// Append appends the fixed part and Content (Length bytes).
func (r *SyncAppendRequest) Append(dst []byte) []byte {
	return append(r.AppendFixed(dst), r.Content...)
}

// DecodeFixed reads the part before the content from the start of b and
// returns its size; Length content bytes follow it.
func (r *SyncAppendRequest) DecodeFixed(b []byte) (int, error) {
	if len(b) < syncAppendHead {
		return 0, badLength("SyncAppendRequest", len(b), "> 44")
	}
	nameLen := Int64(b)
	if err := syncName("SyncAppendRequest", "filename", nameLen); err != nil {
		return 0, err
	}
	r.Offset, r.Length = Int64(b[8:]), Int64(b[16:])
	if r.Offset < 0 || r.Length < 0 {
		return 0, invalid("SyncAppendRequest", "negative offset or length")
	}
	fixed := syncAppendHead + int(nameLen)
	if len(b) < fixed {
		return 0, badLength("SyncAppendRequest", len(b), ">= "+strconv.Itoa(fixed)+" (44 + name_len)")
	}
	r.Timestamp, r.Group = syncTail(b[24:])
	r.Filename = b[syncAppendHead:fixed]
	r.Content = nil
	return fixed, nil
}

// Decode reads a whole body: the content must be exactly Length bytes.
func (r *SyncAppendRequest) Decode(body []byte) error {
	n, err := r.DecodeFixed(body)
	if err != nil {
		return err
	}
	if int64(len(body)-n) != r.Length {
		return badLength("SyncAppendRequest", len(body), strconv.FormatInt(int64(n)+r.Length, 10)+" (44 + name_len + length)")
	}
	r.Content = body[n:]
	return nil
}

// ---- 37 SYNC_TRUNCATE_FILE ---------------------------------------------------

// SyncTruncateRequest is the SYNC_TRUNCATE_FILE (37) body: name_len int64,
// old_size int64, new_size int64, ts int32, group[16], name.
type SyncTruncateRequest struct {
	OldSize   int64
	NewSize   int64
	Timestamp int32
	Group     []byte
	Filename  []byte
}

// Size is the body length.
func (r *SyncTruncateRequest) Size() int { return syncAppendHead + len(r.Filename) }

// Append appends the body.
func (r *SyncTruncateRequest) Append(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Filename)))
	dst = AppendInt64(dst, r.OldSize)
	dst = AppendInt64(dst, r.NewSize)
	dst = appendSyncTail(dst, r.Timestamp, r.Group)
	return append(dst, r.Filename...)
}

// Decode reads the body: exactly 44 + name_len bytes, sizes not negative.
func (r *SyncTruncateRequest) Decode(body []byte) error {
	if len(body) < syncAppendHead {
		return badLength("SyncTruncateRequest", len(body), "> 44")
	}
	nameLen := Int64(body)
	if err := syncName("SyncTruncateRequest", "filename", nameLen); err != nil {
		return err
	}
	if len(body) != syncAppendHead+int(nameLen) {
		return badLength("SyncTruncateRequest", len(body), strconv.Itoa(syncAppendHead+int(nameLen))+" (44 + name_len)")
	}
	r.OldSize, r.NewSize = Int64(body[8:]), Int64(body[16:])
	if r.OldSize < 0 || r.NewSize < 0 {
		return invalid("SyncTruncateRequest", "negative size")
	}
	r.Timestamp, r.Group = syncTail(body[24:])
	r.Filename = body[syncAppendHead:]
	return nil
}

// ---- 19 SYNC_CREATE_LINK, 40 SYNC_RENAME_FILE --------------------------------

// syncTwoNamesHead is two name lengths + ts + group.
const syncTwoNamesHead = 8 + 8 + 4 + GroupNameSize

// syncTwoNames is the layout shared by 19 and 40: len1 int64, len2 int64,
// ts int32, group[16], name1, name2.
type syncTwoNames struct {
	ts    int32
	group []byte
	name1 []byte
	name2 []byte
}

func (s *syncTwoNames) size() int { return syncTwoNamesHead + len(s.name1) + len(s.name2) }

func (s *syncTwoNames) append(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(s.name1)))
	dst = AppendInt64(dst, int64(len(s.name2)))
	dst = appendSyncTail(dst, s.ts, s.group)
	return append(append(dst, s.name1...), s.name2...)
}

func (s *syncTwoNames) decode(layout, what1, what2 string, body []byte) error {
	if len(body) < syncTwoNamesHead {
		return badLength(layout, len(body), "> 36")
	}
	n1, n2 := Int64(body), Int64(body[8:])
	if err := syncName(layout, what1, n1); err != nil {
		return err
	}
	if err := syncName(layout, what2, n2); err != nil {
		return err
	}
	if want := syncTwoNamesHead + int(n1) + int(n2); len(body) != want {
		return badLength(layout, len(body), strconv.Itoa(want)+" (36 + both name lengths)")
	}
	s.ts, s.group = syncTail(body[16:])
	s.name1 = body[syncTwoNamesHead : syncTwoNamesHead+n1]
	s.name2 = body[syncTwoNamesHead+n1:]
	return nil
}

// SyncLinkRequest is the SYNC_CREATE_LINK (19) body: link_name_len int64,
// src_name_len int64, ts int32, group[16], link name, source name (the
// logical name of the file the link points to).
type SyncLinkRequest struct {
	Timestamp   int32
	Group       []byte
	LinkName    []byte
	SrcFilename []byte
}

func (r *SyncLinkRequest) names() syncTwoNames {
	return syncTwoNames{ts: r.Timestamp, group: r.Group, name1: r.LinkName, name2: r.SrcFilename}
}

// Size is the body length.
func (r *SyncLinkRequest) Size() int { n := r.names(); return n.size() }

// Append appends the body.
func (r *SyncLinkRequest) Append(dst []byte) []byte { n := r.names(); return n.append(dst) }

// Decode reads the body: exactly 36 + both name lengths, names 1..127.
func (r *SyncLinkRequest) Decode(body []byte) error {
	var n syncTwoNames
	if err := n.decode("SyncLinkRequest", "link name", "source name", body); err != nil {
		return err
	}
	r.Timestamp, r.Group, r.LinkName, r.SrcFilename = n.ts, n.group, n.name1, n.name2
	return nil
}

// SyncRenameRequest is the SYNC_RENAME_FILE (40) body: new_name_len int64,
// old_name_len int64, ts int32, group[16], new name, old (appender) name.
type SyncRenameRequest struct {
	Timestamp   int32
	Group       []byte
	NewFilename []byte
	OldFilename []byte
}

func (r *SyncRenameRequest) names() syncTwoNames {
	return syncTwoNames{ts: r.Timestamp, group: r.Group, name1: r.NewFilename, name2: r.OldFilename}
}

// Size is the body length.
func (r *SyncRenameRequest) Size() int { n := r.names(); return n.size() }

// Append appends the body.
func (r *SyncRenameRequest) Append(dst []byte) []byte { n := r.names(); return n.append(dst) }

// Decode reads the body: exactly 36 + both name lengths, names 1..127.
func (r *SyncRenameRequest) Decode(body []byte) error {
	var n syncTwoNames
	if err := n.decode("SyncRenameRequest", "new name", "old name", body); err != nil {
		return err
	}
	r.Timestamp, r.Group, r.NewFilename, r.OldFilename = n.ts, n.group, n.name1, n.name2
	return nil
}

// ---- 26 FETCH_ONE_PATH_BINLOG ------------------------------------------------

// FetchPathBinlogRequest is the FETCH_ONE_PATH_BINLOG (26) body a recovering
// storage sends to a peer: group[16] + store path index. The reply header
// declares 2^58 bytes (FetchPathBinlogReplyLen) and the peer streams binlog
// lines of that path until it closes the connection.
type FetchPathBinlogRequest struct {
	Group          []byte
	StorePathIndex byte
}

// FetchPathBinlogReplyLen is the body length the reply header declares
// (INFINITE_FILE_SIZE).
const FetchPathBinlogReplyLen int64 = 1 << 58

// Size is the body length.
func (r *FetchPathBinlogRequest) Size() int { return GroupNameSize + 1 }

// Append appends the body.
func (r *FetchPathBinlogRequest) Append(dst []byte) []byte {
	return append(AppendFixedBytes(dst, r.Group, GroupNameSize), r.StorePathIndex)
}

// Decode reads the 17-byte body.
func (r *FetchPathBinlogRequest) Decode(body []byte) error {
	if len(body) != GroupNameSize+1 {
		return badLength("FetchPathBinlogRequest", len(body), "17")
	}
	r.Group = FixedBytes(body[:GroupNameSize])
	r.StorePathIndex = body[GroupNameSize]
	return nil
}

// ---- 27–33 trunk server ---------------------------------------------------------

// TrunkInfoSize is FDFSTrunkInfoBuff.
const TrunkInfoSize = 3 + 3*4

// TrunkInfo locates a slot in a trunk file: store path, the two subdirectory
// levels, trunk file id, offset and size of the slot.
type TrunkInfo struct {
	StorePathIndex byte
	SubPathHigh    byte
	SubPathLow     byte
	FileID         int32
	Offset         int32
	SlotSize       int32
}

// Size is the encoded size.
func (t *TrunkInfo) Size() int { return TrunkInfoSize }

// Append appends the 15 bytes.
func (t *TrunkInfo) Append(dst []byte) []byte {
	dst = append(dst, t.StorePathIndex, t.SubPathHigh, t.SubPathLow)
	return AppendInt32(AppendInt32(AppendInt32(dst, t.FileID), t.Offset), t.SlotSize)
}

// Decode reads 15 bytes (the TRUNK_ALLOC_SPACE reply).
func (t *TrunkInfo) Decode(body []byte) error {
	if len(body) != TrunkInfoSize {
		return badLength("TrunkInfo", len(body), "15")
	}
	t.decode(body)
	return nil
}

func (t *TrunkInfo) decode(b []byte) {
	t.StorePathIndex, t.SubPathHigh, t.SubPathLow = b[0], b[1], b[2]
	t.FileID, t.Offset, t.SlotSize = Int32(b[3:]), Int32(b[7:]), Int32(b[11:])
}

// TrunkAllocRequest is the TRUNK_ALLOC_SPACE (27) body: group[16], the size
// to allocate (int32) and the store path index. The reply is a TrunkInfo.
type TrunkAllocRequest struct {
	Group          []byte
	FileSize       int32
	StorePathIndex byte
}

// Size is the body length.
func (r *TrunkAllocRequest) Size() int { return GroupNameSize + 4 + 1 }

// Append appends the body.
func (r *TrunkAllocRequest) Append(dst []byte) []byte {
	return append(AppendInt32(AppendFixedBytes(dst, r.Group, GroupNameSize), r.FileSize), r.StorePathIndex)
}

// Decode reads the 21-byte body.
func (r *TrunkAllocRequest) Decode(body []byte) error {
	if len(body) != GroupNameSize+4+1 {
		return badLength("TrunkAllocRequest", len(body), "21")
	}
	r.Group = FixedBytes(body[:GroupNameSize])
	r.FileSize = Int32(body[GroupNameSize:])
	r.StorePathIndex = body[GroupNameSize+4]
	return nil
}

// TrunkSpaceRequest is the TRUNK_ALLOC_CONFIRM (28) and TRUNK_FREE_SPACE (29)
// body: group[16] + TrunkInfo. For 28 the request header's status byte is
// the confirm status (0 = the slot was used).
type TrunkSpaceRequest struct {
	Group []byte
	Trunk TrunkInfo
}

// Size is the body length.
func (r *TrunkSpaceRequest) Size() int { return GroupNameSize + TrunkInfoSize }

// Append appends the body.
func (r *TrunkSpaceRequest) Append(dst []byte) []byte {
	return r.Trunk.Append(AppendFixedBytes(dst, r.Group, GroupNameSize))
}

// Decode reads the 31-byte body.
func (r *TrunkSpaceRequest) Decode(body []byte) error {
	if len(body) != GroupNameSize+TrunkInfoSize {
		return badLength("TrunkSpaceRequest", len(body), "31")
	}
	r.Group = FixedBytes(body[:GroupNameSize])
	r.Trunk.decode(body[GroupNameSize:])
	return nil
}

// TrunkBinlogChunkMax is the most trunk binlog bytes one TRUNK_SYNC_BINLOG
// carries.
const TrunkBinlogChunkMax = 64 * 1024

// TrunkBinlogChunk is the TRUNK_SYNC_BINLOG (30) body: whole lines of the
// trunk server's trunk binlog, appended verbatim by the receiver.
type TrunkBinlogChunk struct {
	Lines []byte
}

// Size is the body length.
func (r *TrunkBinlogChunk) Size() int { return len(r.Lines) }

// Append appends the body.
func (r *TrunkBinlogChunk) Append(dst []byte) []byte { return append(dst, r.Lines...) }

// Decode reads 1..65536 bytes ending in '\n'.
func (r *TrunkBinlogChunk) Decode(body []byte) error {
	if len(body) == 0 || len(body) > TrunkBinlogChunkMax {
		return badLength("TrunkBinlogChunk", len(body), "1..65536")
	}
	if body[len(body)-1] != '\n' {
		return invalid("TrunkBinlogChunk", "does not end with a whole line")
	}
	r.Lines = body
	return nil
}

// TrunkBinlogSize is the TRUNK_GET_BINLOG_SIZE (31) reply: the size of the
// storage's trunk binlog. TRUNK_DELETE_BINLOG_MARKS (32) and
// TRUNK_TRUNCATE_BINLOG_FILE (33) are header-only both ways.
type TrunkBinlogSize struct {
	BinlogSize int64
}

// Size is the body length.
func (r *TrunkBinlogSize) Size() int { return 8 }

// Append appends the body.
func (r *TrunkBinlogSize) Append(dst []byte) []byte { return AppendInt64(dst, r.BinlogSize) }

// Decode reads the 8-byte body; a negative size is EINVAL.
func (r *TrunkBinlogSize) Decode(body []byte) error {
	if len(body) != 8 {
		return badLength("TrunkBinlogSize", len(body), "8")
	}
	r.BinlogSize = Int64(body)
	if r.BinlogSize < 0 {
		return invalid("TrunkBinlogSize", "negative size")
	}
	return nil
}
