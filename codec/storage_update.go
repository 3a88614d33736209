package codec

import "strconv"

// Storage commands that change a file (client.md §5.3-5.8): APPEND_FILE
// (24), MODIFY_FILE (34), TRUNCATE_FILE (36), REGENERATE_APPENDER_FILENAME
// (38), DELETE_FILE (12) and SET_METADATA (13). The appender commands
// (24/34/36/38) carry no group; DELETE and SET_METADATA do, and the storage
// answers EINVAL when it is not its own (compare Group, read up to its NUL).
// Success replies are header-only except 38's (an UploadReply).

// CmdCarriesGroup reports whether a client storage command carries a group
// field the storage must compare with its own: DELETE (12), SET_METADATA
// (13), DOWNLOAD (14), GET_METADATA (15) and QUERY_FILE_INFO (22). Uploads,
// APPEND, MODIFY, TRUNCATE and REGENERATE do not (client.md pitfall 12).
func CmdCarriesGroup(cmd byte) bool {
	switch cmd {
	case CmdDeleteFile, CmdSetMetadata, CmdDownloadFile, CmdGetMetadata, CmdQueryFileInfo:
		return true
	}
	return false
}

// Fixed parts and name limits.
const (
	AppendHeadSize   = 16 // name length 8, content size 8
	ModifyHeadSize   = 24 // name length 8, offset 8, content size 8
	TruncateHeadSize = 16 // name length 8, new size 8
	SetMetaHeadSize  = 33 // name length 8, metadata length 8, op 1, group 16
	// MinAppenderNameLen is the shortest appender name the appender
	// commands accept (a 44-character logic name); the longest is 127.
	MinAppenderNameLen = NormalNameLen
	// MaxSetMetaNameLen is the longest name SET_METADATA takes (C: < 128).
	MaxSetMetaNameLen = MaxFilenameLen
)

// AppendRequest is the fixed part of APPEND_FILE (24); FileSize content
// bytes follow.
type AppendRequest struct {
	FileSize int64
	Name     []byte // appender remote filename, 44..127 bytes
}

// Size is the length of the fixed part, name included.
func (r *AppendRequest) Size() int { return AppendHeadSize + len(r.Name) }

// BodyLen is the header's body length.
func (r *AppendRequest) BodyLen() int64 { return int64(r.Size()) + r.FileSize }

// Append appends the fixed part.
func (r *AppendRequest) Append(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Name)))
	dst = AppendInt64(dst, r.FileSize)
	return append(dst, r.Name...)
}

// FixedLen tells a streaming reader how many leading bytes DecodeFixed
// needs (see UploadSlaveRequest.FixedLen).
func (r *AppendRequest) FixedLen(head []byte) int {
	return stgNamedFixedLen(head, AppendHeadSize, MinAppenderNameLen)
}

// DecodeFixed reads the fixed part with C's rules: body length > 16;
// 44 <= name length <= 127; content size = body length - 16 - name length.
func (r *AppendRequest) DecodeFixed(b []byte, bodyLen int64) error {
	const layout = "AppendRequest"
	if bodyLen <= AppendHeadSize {
		return stgBodyLen(layout, bodyLen, "> 16")
	}
	if len(b) < AppendHeadSize {
		return stgShortFixed(layout, len(b), AppendHeadSize)
	}
	n, err := stgAppenderNameLen(layout, b)
	if err != nil {
		return err
	}
	size := Int64(b[8:])
	if size < 0 || size != bodyLen-AppendHeadSize-n {
		return stgBodyLen(layout, bodyLen, "16 + "+strconv.FormatInt(n, 10)+" + file size "+
			strconv.FormatInt(size, 10))
	}
	if len(b) < AppendHeadSize+int(n) {
		return stgShortFixed(layout, len(b), AppendHeadSize+int(n))
	}
	r.FileSize, r.Name = size, b[AppendHeadSize:AppendHeadSize+n]
	return nil
}

// ModifyRequest is the fixed part of MODIFY_FILE (34); FileSize content
// bytes follow, to be written at Offset (an offset beyond the current size
// is the storage's EINVAL, equal to it appends).
type ModifyRequest struct {
	Offset   int64
	FileSize int64
	Name     []byte // appender remote filename, 44..127 bytes
}

// Size is the length of the fixed part, name included.
func (r *ModifyRequest) Size() int { return ModifyHeadSize + len(r.Name) }

// BodyLen is the header's body length.
func (r *ModifyRequest) BodyLen() int64 { return int64(r.Size()) + r.FileSize }

// Append appends the fixed part.
func (r *ModifyRequest) Append(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Name)))
	dst = AppendInt64(dst, r.Offset)
	dst = AppendInt64(dst, r.FileSize)
	return append(dst, r.Name...)
}

// FixedLen tells a streaming reader how many leading bytes DecodeFixed
// needs (see UploadSlaveRequest.FixedLen).
func (r *ModifyRequest) FixedLen(head []byte) int {
	return stgNamedFixedLen(head, ModifyHeadSize, MinAppenderNameLen)
}

// DecodeFixed reads the fixed part with C's rules: body length > 24;
// 44 <= name length <= 127; offset >= 0; content size = body length - 24 -
// name length.
func (r *ModifyRequest) DecodeFixed(b []byte, bodyLen int64) error {
	const layout = "ModifyRequest"
	if bodyLen <= ModifyHeadSize {
		return stgBodyLen(layout, bodyLen, "> 24")
	}
	if len(b) < ModifyHeadSize {
		return stgShortFixed(layout, len(b), ModifyHeadSize)
	}
	n, err := stgAppenderNameLen(layout, b)
	if err != nil {
		return err
	}
	off, size := Int64(b[8:]), Int64(b[16:])
	if off < 0 {
		return invalid(layout, "offset "+strconv.FormatInt(off, 10))
	}
	if size < 0 || size != bodyLen-ModifyHeadSize-n {
		return stgBodyLen(layout, bodyLen, "24 + "+strconv.FormatInt(n, 10)+" + file size "+
			strconv.FormatInt(size, 10))
	}
	if len(b) < ModifyHeadSize+int(n) {
		return stgShortFixed(layout, len(b), ModifyHeadSize+int(n))
	}
	r.Offset, r.FileSize, r.Name = off, size, b[ModifyHeadSize:ModifyHeadSize+n]
	return nil
}

// TruncateRequest is TRUNCATE_FILE (36).
type TruncateRequest struct {
	TruncatedSize int64 // new size; larger than the file extends it with zeros
	Name          []byte
}

// Size is the body length.
func (r *TruncateRequest) Size() int { return TruncateHeadSize + len(r.Name) }

// Append appends the body.
func (r *TruncateRequest) Append(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Name)))
	dst = AppendInt64(dst, r.TruncatedSize)
	return append(dst, r.Name...)
}

// Decode reads the body with C's rules: length > 16; 44 <= name length
// <= 127; new size >= 0. C never compares the body length with 16 + name
// length: bytes after the name are ignored here too, but a body too short
// for the name (C would read stale buffer bytes) is EINVAL.
func (r *TruncateRequest) Decode(body []byte) error {
	const layout = "TruncateRequest"
	if len(body) <= TruncateHeadSize {
		return badLength(layout, len(body), "> 16")
	}
	n, err := stgAppenderNameLen(layout, body)
	if err != nil {
		return err
	}
	size := Int64(body[8:])
	if size < 0 {
		return invalid(layout, "truncated size "+strconv.FormatInt(size, 10))
	}
	if len(body) < TruncateHeadSize+int(n) {
		return badLength(layout, len(body), ">= 16 + name length "+strconv.FormatInt(n, 10))
	}
	r.TruncatedSize, r.Name = size, body[TruncateHeadSize:TruncateHeadSize+n]
	return nil
}

// RegenerateRequest is REGENERATE_APPENDER_FILENAME (38): the body is the
// appender's remote filename. The reply is an UploadReply with the new name.
type RegenerateRequest struct {
	Name []byte
}

// Size is the body length.
func (r *RegenerateRequest) Size() int { return len(r.Name) }

// Append appends the body.
func (r *RegenerateRequest) Append(dst []byte) []byte { return append(dst, r.Name...) }

// Decode takes a body of 44..127 bytes.
func (r *RegenerateRequest) Decode(body []byte) error {
	if len(body) < MinAppenderNameLen || len(body) > MaxFilenameLen {
		return badLength("RegenerateRequest", len(body), "44..127")
	}
	r.Name = body
	return nil
}

// DeleteRequest is DELETE_FILE (12): group and remote filename.
type DeleteRequest struct {
	Group []byte
	Name  []byte
}

// Size is the body length.
func (r *DeleteRequest) Size() int { return GroupNameSize + len(r.Name) }

// Append appends the body.
func (r *DeleteRequest) Append(dst []byte) []byte {
	return stgAppendGroupName(dst, r.Group, r.Name)
}

// Decode reads the body: length > 16, the name is the rest. (C also refuses
// a request larger than its network buffer; that limit is the server's.)
func (r *DeleteRequest) Decode(body []byte) (err error) {
	r.Group, r.Name, err = stgDecodeGroupName("DeleteRequest", body)
	return err
}

// SetMetadataRequest is SET_METADATA (13).
type SetMetadataRequest struct {
	Op       byte // MetaOverwrite or MetaMerge
	Group    []byte
	Name     []byte // 1..127 bytes
	Metadata []byte // records, see MetadataIter
}

// Size is the body length.
func (r *SetMetadataRequest) Size() int { return SetMetaHeadSize + len(r.Name) + len(r.Metadata) }

// Append appends the body.
func (r *SetMetadataRequest) Append(dst []byte) []byte {
	dst = AppendInt64(dst, int64(len(r.Name)))
	dst = AppendInt64(dst, int64(len(r.Metadata)))
	dst = append(dst, r.Op)
	dst = AppendFixedBytes(dst, r.Group, GroupNameSize)
	dst = append(dst, r.Name...)
	return append(dst, r.Metadata...)
}

// Decode reads the body with C's rules, in C's order: length > 33;
// 0 < name length < 128; op 'O' or 'M'; metadata length >= 0 and equal to
// length - 33 - name length.
func (r *SetMetadataRequest) Decode(body []byte) error {
	const layout = "SetMetadataRequest"
	if len(body) <= SetMetaHeadSize {
		return badLength(layout, len(body), "> 33")
	}
	n, m := Int64(body), Int64(body[8:])
	if n <= 0 || n > MaxSetMetaNameLen {
		return invalid(layout, "name length "+strconv.FormatInt(n, 10))
	}
	op := body[16]
	if op != MetaOverwrite && op != MetaMerge {
		return invalid(layout, "op flag "+strconv.QuoteRune(rune(op)))
	}
	if m < 0 || m != int64(len(body))-SetMetaHeadSize-n {
		return badLength(layout, len(body), "33 + "+strconv.FormatInt(n, 10)+" + metadata length "+
			strconv.FormatInt(m, 10))
	}
	r.Op = op
	r.Group = FixedBytes(body[17:SetMetaHeadSize])
	r.Name = body[SetMetaHeadSize : SetMetaHeadSize+n]
	r.Metadata = body[SetMetaHeadSize+n:]
	return nil
}

// stgAppenderNameLen reads and checks the leading name length of the
// appender commands: 44..127.
func stgAppenderNameLen(layout string, b []byte) (int64, error) {
	n := Int64(b)
	if n < MinAppenderNameLen || n > MaxFilenameLen {
		return 0, invalid(layout, "appender name length "+strconv.FormatInt(n, 10))
	}
	return n, nil
}

// stgDecodeGroupName splits the group + name bodies of 12, 15 and 22.
func stgDecodeGroupName(layout string, body []byte) (group, name []byte, err error) {
	if len(body) <= GroupNameSize {
		return nil, nil, badLength(layout, len(body), "> 16")
	}
	return FixedBytes(body[:GroupNameSize]), body[GroupNameSize:], nil
}

func stgAppendGroupName(dst, group, name []byte) []byte {
	dst = AppendFixedBytes(dst, group, GroupNameSize)
	return append(dst, name...)
}
