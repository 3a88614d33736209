package codec

import "strconv"

// Storage reads (client.md §5.9-5.11): DOWNLOAD_FILE (14), GET_METADATA
// (15) and QUERY_FILE_INFO (22). All three carry the group, which the
// storage compares with its own (EINVAL on mismatch). A download reply body
// is the raw file range and a GET_METADATA reply the raw metadata file
// (MetadataIter); QUERY_FILE_INFO answers a FileInfoReply.

// Fixed parts and limits.
const (
	DownloadHeadSize = 32 // offset 8, byte count 8, group 16
	// MaxQueryNameLen bounds QUERY_FILE_INFO names: C keeps them in a
	// 132-byte buffer (room for "-m" and a NUL) and refuses longer ones.
	MaxQueryNameLen = 131
	// MinQueryNameLen is the shortest name QUERY_FILE_INFO answers for
	// (checked by C only after the file was found).
	MinQueryNameLen  = LogicPathLen + B64PartLen
	fileInfoHeadSize = 24
)

// QUERY_FILE_INFO flags, sent in the request header's status byte (V6.15.1+).
const (
	QueryFlagNoCRC  byte = 1 // do not compute the CRC of appender/slave files (crc 0)
	QueryFlagSilent byte = 2 // do not log a missing file (old clients' "silent" was ENOENT = 2)
)

// DownloadRequest is DOWNLOAD_FILE (14).
type DownloadRequest struct {
	Offset int64
	Bytes  int64 // 0 = to the end of the file
	Group  []byte
	Name   []byte
}

// Size is the body length.
func (r *DownloadRequest) Size() int { return DownloadHeadSize + len(r.Name) }

// Append appends the body.
func (r *DownloadRequest) Append(dst []byte) []byte {
	dst = AppendInt64(dst, r.Offset)
	dst = AppendInt64(dst, r.Bytes)
	return stgAppendGroupName(dst, r.Group, r.Name)
}

// Decode reads the body with C's rules: length > 32, offset >= 0,
// byte count >= 0; the name is the rest.
func (r *DownloadRequest) Decode(body []byte) error {
	const layout = "DownloadRequest"
	if len(body) <= DownloadHeadSize {
		return badLength(layout, len(body), "> 32")
	}
	off, n := Int64(body), Int64(body[8:])
	if off < 0 {
		return invalid(layout, "offset "+strconv.FormatInt(off, 10))
	}
	if n < 0 {
		return invalid(layout, "byte count "+strconv.FormatInt(n, 10))
	}
	r.Offset, r.Bytes = off, n
	r.Group = FixedBytes(body[16:DownloadHeadSize])
	r.Name = body[DownloadHeadSize:]
	return nil
}

// Range applies the V6.15.4+ range rules to a file of fileSize bytes and
// returns the offset and length to send: EINVAL when the offset is at or
// past the end (so a 0-byte file cannot be downloaded); byte count 0 means
// the rest of the file; a larger count is clamped to it.
func (r *DownloadRequest) Range(fileSize int64) (offset, length int64, err error) {
	if r.Offset >= fileSize {
		return 0, 0, invalid("DownloadRequest", "offset "+strconv.FormatInt(r.Offset, 10)+
			" not below file size "+strconv.FormatInt(fileSize, 10))
	}
	rest := fileSize - r.Offset
	if r.Bytes == 0 || r.Bytes > rest {
		return r.Offset, rest, nil
	}
	return r.Offset, r.Bytes, nil
}

// GetMetadataRequest is GET_METADATA (15): group and remote filename.
type GetMetadataRequest struct {
	Group []byte
	Name  []byte
}

// Size is the body length.
func (r *GetMetadataRequest) Size() int { return GroupNameSize + len(r.Name) }

// Append appends the body.
func (r *GetMetadataRequest) Append(dst []byte) []byte {
	return stgAppendGroupName(dst, r.Group, r.Name)
}

// Decode reads the body: length > 16, the name is the rest.
func (r *GetMetadataRequest) Decode(body []byte) (err error) {
	r.Group, r.Name, err = stgDecodeGroupName("GetMetadataRequest", body)
	return err
}

// QueryFileInfoRequest is QUERY_FILE_INFO (22). Flags travel in the
// header's status byte, not in the body: a decoder sets Flags from the
// header; an encoder sends Header().
type QueryFileInfoRequest struct {
	Flags byte // QueryFlag*
	Group []byte
	Name  []byte
}

// Size is the body length.
func (r *QueryFileInfoRequest) Size() int { return GroupNameSize + len(r.Name) }

// Append appends the body.
func (r *QueryFileInfoRequest) Append(dst []byte) []byte {
	return stgAppendGroupName(dst, r.Group, r.Name)
}

// Header is the request header, flags in the status byte.
func (r *QueryFileInfoRequest) Header() Header {
	return Header{BodyLen: int64(r.Size()), Cmd: CmdQueryFileInfo, Status: r.Flags}
}

// Decode reads the body with C's rules: length > 16, name shorter than 132.
// Flags are left as they are.
func (r *QueryFileInfoRequest) Decode(body []byte) error {
	const layout = "QueryFileInfoRequest"
	group, name, err := stgDecodeGroupName(layout, body)
	if err != nil {
		return err
	}
	if len(name) > MaxQueryNameLen {
		return invalid(layout, "name length "+strconv.Itoa(len(name))+", want < 132")
	}
	r.Group, r.Name = group, name
	return nil
}

// NoCRC reports flag bit 1.
func (r *QueryFileInfoRequest) NoCRC() bool { return r.Flags&QueryFlagNoCRC != 0 }

// Silent reports flag bit 2.
func (r *QueryFileInfoRequest) Silent() bool { return r.Flags&QueryFlagSilent != 0 }

// FileInfoReply answers QUERY_FILE_INFO: 24 bytes and the source IP in an
// ipsz-wide field (16 or 46, the storage's response_ip_addr_size).
type FileInfoReply struct {
	FileSize   int64
	CreateTime int64 // mtime, unix seconds
	CRC32      uint32
	SourceIP   []byte // text; empty when the source id is unknown
	IPSize     int    // IPv4AddrSize (also when 0) or IPv6AddrSize
}

func (r *FileInfoReply) ipSize() int {
	if r.IPSize == 0 {
		return IPv4AddrSize
	}
	return r.IPSize
}

// Size is the body length: 40 or 70.
func (r *FileInfoReply) Size() int { return fileInfoHeadSize + r.ipSize() }

// Append appends the body; the CRC is sign-extended into its 8 bytes as C
// writes it (0xCAEB2739 goes out as FF FF FF FF CA EB 27 39).
func (r *FileInfoReply) Append(dst []byte) []byte {
	dst = AppendInt64(dst, r.FileSize)
	dst = AppendInt64(dst, r.CreateTime)
	dst = AppendInt64(dst, int64(int32(r.CRC32)))
	return AppendFixedBytes(dst, r.SourceIP, r.ipSize())
}

// Decode takes a 40- or 70-byte body. The CRC is the low 32 bits of its
// field, so zero-extended values from other servers read the same.
func (r *FileInfoReply) Decode(body []byte) error {
	switch len(body) {
	case fileInfoHeadSize + IPv4AddrSize:
		r.IPSize = IPv4AddrSize
	case fileInfoHeadSize + IPv6AddrSize:
		r.IPSize = IPv6AddrSize
	default:
		return badLength("FileInfoReply", len(body), "40 or 70")
	}
	r.FileSize = Int64(body)
	r.CreateTime = Int64(body[8:])
	r.CRC32 = uint32(Int64(body[16:]))
	r.SourceIP = FixedBytes(body[fileInfoHeadSize:])
	return nil
}
