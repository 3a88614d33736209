package codec

import "strconv"

// Storage uploads (client.md §5.1, §5.2): UPLOAD_FILE (11),
// UPLOAD_APPENDER_FILE (23) and UPLOAD_SLAVE_FILE (21). Their bodies end in
// the streamed file content: the storage decodes the fixed part with
// DecodeFixed, passing the header's body length, and then streams FileSize
// content bytes; a client appends the fixed part and sends the content
// after it. Size and Append cover the fixed part only, BodyLen is the
// header's pkg_len. These commands carry no group.

// Fixed parts of the upload bodies.
const (
	UploadFixedSize     = 15 // store path index 1, file size 8, ext 6
	UploadSlaveHeadSize = 38 // master length 8, file size 8, prefix 16, ext 6
	// StorePathAuto is store_path_index 0xFF: the storage picks the path.
	StorePathAuto int8 = -1
	// MinSlaveMasterLen is the shortest master name UPLOAD_SLAVE_FILE
	// accepts (C: longer than 10, shorter than 128).
	MinSlaveMasterLen = LogicPathLen + 1
	// UploadReplyMaxLen is the longest upload reply the C client takes
	// (group + name into its 128-byte buffer).
	UploadReplyMaxLen = 127
)

// UploadRequest is the fixed part of UPLOAD_FILE (11) and
// UPLOAD_APPENDER_FILE (23).
type UploadRequest struct {
	// StorePathIndex is signed on the wire: 0..count-1, or StorePathAuto.
	StorePathIndex int8
	FileSize       int64
	Ext            []byte // extension without the dot, at most 6 of A-Z a-z 0-9 - _ .
}

// Size is the length of the fixed part.
func (r *UploadRequest) Size() int { return UploadFixedSize }

// BodyLen is the header's body length: fixed part plus content.
func (r *UploadRequest) BodyLen() int64 { return UploadFixedSize + r.FileSize }

// Append appends the fixed part.
func (r *UploadRequest) Append(dst []byte) []byte {
	dst = append(dst, byte(r.StorePathIndex))
	dst = AppendInt64(dst, r.FileSize)
	return AppendFixedBytes(dst, r.Ext, ExtSize)
}

// DecodeFixed reads the 15-byte fixed part from the start of b (content
// bytes after it are ignored) given the header's body length, with C's
// rules: body length >= 15, index >= -1, file size = body length - 15,
// extension characters. The extension field is read up to its first NUL.
// Whether the index names a configured path is CheckStorePath's business.
func (r *UploadRequest) DecodeFixed(b []byte, bodyLen int64) error {
	const layout = "UploadRequest"
	if bodyLen < UploadFixedSize {
		return stgBodyLen(layout, bodyLen, ">= 15")
	}
	if len(b) < UploadFixedSize {
		return stgShortFixed(layout, len(b), UploadFixedSize)
	}
	idx := int8(b[0])
	if idx < StorePathAuto {
		return invalid(layout, "store path index "+strconv.Itoa(int(idx)))
	}
	size := Int64(b[1:])
	if size < 0 || size != bodyLen-UploadFixedSize {
		return stgBodyLen(layout, bodyLen, "15 + file size "+strconv.FormatInt(size, 10))
	}
	ext := FixedBytes(b[9:UploadFixedSize])
	if !fidValidField(ext) {
		return invalid(layout, "bad extension "+fidQuote(ext))
	}
	r.StorePathIndex, r.FileSize, r.Ext = idx, size, ext
	return nil
}

// CheckStorePath checks the index against the storage's store path count:
// StorePathAuto or 0..count-1 (EINVAL otherwise, as C).
func (r *UploadRequest) CheckStorePath(count int) error {
	if r.StorePathIndex == StorePathAuto || int(r.StorePathIndex) < count {
		return nil
	}
	return invalid("UploadRequest", "store path index "+strconv.Itoa(int(r.StorePathIndex))+
		" not below "+strconv.Itoa(count))
}

// UploadSlaveRequest is the fixed part of UPLOAD_SLAVE_FILE (21): 38 bytes
// and the master's remote filename (no group).
type UploadSlaveRequest struct {
	FileSize int64
	Prefix   []byte // non-empty, at most 16 of A-Z a-z 0-9 - _ .
	Ext      []byte // at most 6, may be empty (then the slave has no extension)
	Master   []byte // master remote filename, 11..127 bytes
}

// Size is the length of the fixed part, master name included.
func (r *UploadSlaveRequest) Size() int { return UploadSlaveHeadSize + len(r.Master) }

// BodyLen is the header's body length.
func (r *UploadSlaveRequest) BodyLen() int64 { return int64(r.Size()) + r.FileSize }

// Append appends the fixed part.
func (r *UploadSlaveRequest) Append(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Master)))
	dst = AppendInt64(dst, r.FileSize)
	dst = AppendFixedBytes(dst, r.Prefix, PrefixSize)
	dst = AppendFixedBytes(dst, r.Ext, ExtSize)
	return append(dst, r.Master...)
}

// FixedLen tells a streaming reader how many leading body bytes DecodeFixed
// needs, given what it has so far: 38 until the master length is known,
// then 38 + that length (38 again for a length DecodeFixed will reject).
// Read min(FixedLen, body length) bytes and call DecodeFixed.
func (r *UploadSlaveRequest) FixedLen(head []byte) int {
	return stgNamedFixedLen(head, UploadSlaveHeadSize, MinSlaveMasterLen)
}

// DecodeFixed reads the fixed part from the start of b given the header's
// body length, with C's rules: body length > 38; 10 < master length < 128;
// file size = body length - 38 - master length; non-empty prefix; prefix and
// extension characters. The master name is validated by the caller
// (ParseRemoteFilename).
func (r *UploadSlaveRequest) DecodeFixed(b []byte, bodyLen int64) error {
	const layout = "UploadSlaveRequest"
	if bodyLen <= UploadSlaveHeadSize {
		return stgBodyLen(layout, bodyLen, "> 38")
	}
	if len(b) < UploadSlaveHeadSize {
		return stgShortFixed(layout, len(b), UploadSlaveHeadSize)
	}
	n := Int64(b)
	if n < MinSlaveMasterLen || n > MaxFilenameLen {
		return invalid(layout, "master name length "+strconv.FormatInt(n, 10))
	}
	size := Int64(b[8:])
	if size < 0 || size != bodyLen-UploadSlaveHeadSize-n {
		return stgBodyLen(layout, bodyLen, "38 + "+strconv.FormatInt(n, 10)+" + file size "+
			strconv.FormatInt(size, 10))
	}
	prefix := FixedBytes(b[16:32])
	if len(prefix) == 0 || !fidValidField(prefix) {
		return invalid(layout, "bad prefix "+fidQuote(prefix))
	}
	ext := FixedBytes(b[32:UploadSlaveHeadSize])
	if !fidValidField(ext) {
		return invalid(layout, "bad extension "+fidQuote(ext))
	}
	if len(b) < UploadSlaveHeadSize+int(n) {
		return stgShortFixed(layout, len(b), UploadSlaveHeadSize+int(n))
	}
	r.FileSize, r.Prefix, r.Ext = size, prefix, ext
	r.Master = b[UploadSlaveHeadSize : UploadSlaveHeadSize+n]
	return nil
}

// UploadReply answers 11, 21, 23 and 38 (REGENERATE): the group and the new
// remote filename.
type UploadReply struct {
	Group []byte
	Name  []byte // remote filename, no group
}

// Size is the body length.
func (r *UploadReply) Size() int { return GroupNameSize + len(r.Name) }

// Append appends the body.
func (r *UploadReply) Append(dst []byte) []byte {
	dst = AppendFixedBytes(dst, r.Group, GroupNameSize)
	return append(dst, r.Name...)
}

// Decode reads a reply of 16 < length <= 127, the C client's limits.
func (r *UploadReply) Decode(body []byte) error {
	if len(body) <= GroupNameSize || len(body) > UploadReplyMaxLen {
		return badLength("UploadReply", len(body), "17..127")
	}
	r.Group, r.Name = FixedBytes(body[:GroupNameSize]), body[GroupNameSize:]
	return nil
}

// stgNamedFixedLen is FixedLen for bodies whose fixed part is head bytes
// followed by a name whose length is the first int64.
func stgNamedFixedLen(b []byte, head int, minName int64) int {
	if len(b) < head {
		return head
	}
	n := Int64(b)
	if n < minName || n > MaxFilenameLen {
		return head
	}
	return head + int(n)
}

func stgBodyLen(layout string, got int64, rule string) *Error {
	return invalid(layout, "body length "+strconv.FormatInt(got, 10)+", want "+rule)
}

func stgShortFixed(layout string, got, want int) *Error {
	return invalid(layout, "have "+strconv.Itoa(got)+" of "+strconv.Itoa(want)+" fixed bytes")
}
