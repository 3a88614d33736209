package client

import (
	"context"
	"io"

	"github.com/gofdfs/gofdfs/codec"
)

// Meta is one metadata record of a file (name up to 64 bytes, value up to
// 256; longer ones are cut by the storage).
type Meta = codec.MetaPair

// FileInfo is what a storage reports of a file (QUERY_FILE_INFO).
type FileInfo struct {
	Size       int64
	CreateTime int64  // unix seconds (the file's mtime)
	CRC32      uint32 // computed on the fly for appender and slave files
	SourceIP   string // the storage the file was uploaded to, if known
}

// UploadOption adjusts an upload.
type UploadOption func(*uploadSpec)

type uploadSpec struct {
	group   string
	storage *StorageServer
	meta    []Meta
}

// InGroup asks the tracker for a storage of that group.
func InGroup(group string) UploadOption { return func(s *uploadSpec) { s.group = group } }

// OnStorage uploads straight to s without asking a tracker. A negative
// StorePathIndex lets the storage pick the path (as fdfs_upload_file does
// when given an address).
func OnStorage(s StorageServer) UploadOption { return func(u *uploadSpec) { u.storage = &s } }

// WithMetadata sets metadata right after the upload, on the same connection,
// and removes the file again if that fails (as the C client does).
func WithMetadata(meta ...Meta) UploadOption {
	return func(s *uploadSpec) { s.meta = meta }
}

// callEmpty is call for commands whose success reply must be empty.
func (cn *conn) callEmpty(ctx context.Context, cmd byte, body []byte, content io.Reader, contentLen int64, fileID string) error {
	b, err := cn.Call(ctx, cmd, 0, body, content, contentLen, fileID, 0)
	if err == nil && len(b) != 0 {
		return cn.badReply(cmd, errString("success reply has a body"))
	}
	return err
}

type errString string

func (e errString) Error() string { return string(e) }

// fileIDReply reads the group + remote filename of an upload-type reply.
func (cn *conn) fileIDReply(cmd byte, b []byte) (string, error) {
	var r codec.UploadReply
	if err := r.Decode(b); err != nil {
		return "", cn.badReply(cmd, err)
	}
	return string(codec.AppendFileID(make([]byte, 0, len(r.Group)+1+len(r.Name)), r.Group, r.Name)), nil
}

// Upload stores size bytes from r as a new file with extension ext (no dot,
// may be empty) and returns its file ID. By default the tracker picks the
// group and storage. r is streamed (an *os.File goes out with sendfile).
func (c *Client) Upload(ctx context.Context, r io.Reader, size int64, ext string, opts ...UploadOption) (string, error) {
	return c.upload(ctx, codec.CmdUploadFile, r, size, ext, opts)
}

// UploadAppender is Upload for an appender file, which can later be
// appended to, modified and truncated.
func (c *Client) UploadAppender(ctx context.Context, r io.Reader, size int64, ext string, opts ...UploadOption) (string, error) {
	return c.upload(ctx, codec.CmdUploadAppenderFile, r, size, ext, opts)
}

func (c *Client) upload(ctx context.Context, cmd byte, r io.Reader, size int64, ext string, opts []UploadOption) (string, error) {
	var spec uploadSpec
	for _, o := range opts {
		o(&spec)
	}
	var st StorageServer
	if spec.storage != nil {
		st = *spec.storage
	} else {
		var err error
		if st, err = c.QueryStore(ctx, spec.group); err != nil {
			return "", err
		}
	}
	var id string
	err := c.on(ctx, st.Addr, func(cn *conn) error {
		req := codec.UploadRequest{StorePathIndex: int8(st.StorePathIndex), FileSize: size, Ext: []byte(ext)}
		b, err := cn.Call(ctx, cmd, 0, req.Append(cn.Buf[:0]), r, size, "", 256)
		if err != nil {
			return err
		}
		if id, err = cn.fileIDReply(cmd, b); err != nil {
			return err
		}
		if len(spec.meta) > 0 {
			if err := cn.setMetadata(ctx, id, spec.meta, codec.MetaOverwrite); err != nil {
				_ = cn.delete(ctx, id) // best effort, as the C client
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UploadSlave stores a slave file of masterID: same name with prefix (and
// ext, which may be empty) appended, on the master's source storage.
func (c *Client) UploadSlave(ctx context.Context, masterID, prefix, ext string, r io.Reader, size int64) (string, error) {
	st, err := c.QueryUpdate(ctx, masterID)
	if err != nil {
		return "", err
	}
	_, master, _ := splitFileID(masterID)
	var id string
	err = c.on(ctx, st.Addr, func(cn *conn) error {
		req := codec.UploadSlaveRequest{FileSize: size, Prefix: []byte(prefix), Ext: []byte(ext), Master: []byte(master)}
		b, err := cn.Call(ctx, codec.CmdUploadSlaveFile, 0, req.Append(cn.Buf[:0]), r, size, masterID, 256)
		if err != nil {
			return err
		}
		id, err = cn.fileIDReply(codec.CmdUploadSlaveFile, b)
		return err
	})
	return id, err
}

// onSource runs fn on the source storage of fileID (QUERY_UPDATE first).
func (c *Client) onSource(ctx context.Context, fileID string, fn func(cn *conn, group, name string) error) error {
	group, name, err := splitFileID(fileID)
	if err != nil {
		return err
	}
	st, err := c.QueryUpdate(ctx, fileID)
	if err != nil {
		return err
	}
	return c.on(ctx, st.Addr, func(cn *conn) error { return fn(cn, group, name) })
}

// onReader runs fn on a storage that can serve fileID (QUERY_FETCH_ONE first).
func (c *Client) onReader(ctx context.Context, fileID string, fn func(cn *conn, group, name string) error) error {
	group, name, err := splitFileID(fileID)
	if err != nil {
		return err
	}
	st, err := c.QueryFetch(ctx, fileID)
	if err != nil {
		return err
	}
	return c.on(ctx, st.Addr, func(cn *conn) error { return fn(cn, group, name) })
}

// Append adds size bytes from r at the end of appender file fileID.
func (c *Client) Append(ctx context.Context, fileID string, r io.Reader, size int64) error {
	return c.onSource(ctx, fileID, func(cn *conn, _, name string) error {
		req := codec.AppendRequest{FileSize: size, Name: []byte(name)}
		return cn.callEmpty(ctx, codec.CmdAppendFile, req.Append(cn.Buf[:0]), r, size, fileID)
	})
}

// Modify overwrites appender file fileID from offset with size bytes from r
// (offset may equal the file size, which appends).
func (c *Client) Modify(ctx context.Context, fileID string, offset int64, r io.Reader, size int64) error {
	return c.onSource(ctx, fileID, func(cn *conn, _, name string) error {
		req := codec.ModifyRequest{Offset: offset, FileSize: size, Name: []byte(name)}
		return cn.callEmpty(ctx, codec.CmdModifyFile, req.Append(cn.Buf[:0]), r, size, fileID)
	})
}

// Truncate sets appender file fileID to size bytes (zero-extending).
func (c *Client) Truncate(ctx context.Context, fileID string, size int64) error {
	return c.onSource(ctx, fileID, func(cn *conn, _, name string) error {
		req := codec.TruncateRequest{TruncatedSize: size, Name: []byte(name)}
		return cn.callEmpty(ctx, codec.CmdTruncateFile, req.Append(cn.Buf[:0]), nil, 0, fileID)
	})
}

// Regenerate turns appender file fileID into a normal file and returns its
// new file ID (REGENERATE_APPENDER_FILENAME).
func (c *Client) Regenerate(ctx context.Context, fileID string) (string, error) {
	var id string
	err := c.onSource(ctx, fileID, func(cn *conn, _, name string) error {
		req := codec.RegenerateRequest{Name: []byte(name)}
		b, err := cn.Call(ctx, codec.CmdRegenerateAppenderFilename, 0, req.Append(cn.Buf[:0]), nil, 0, fileID, 256)
		if err != nil {
			return err
		}
		id, err = cn.fileIDReply(codec.CmdRegenerateAppenderFilename, b)
		return err
	})
	return id, err
}

// Delete removes fileID (and its metadata) from its group.
func (c *Client) Delete(ctx context.Context, fileID string) error {
	return c.onSource(ctx, fileID, func(cn *conn, _, _ string) error { return cn.delete(ctx, fileID) })
}

func (cn *conn) delete(ctx context.Context, fileID string) error {
	group, name, err := splitFileID(fileID)
	if err != nil {
		return err
	}
	req := codec.DeleteRequest{Group: []byte(group), Name: []byte(name)}
	return cn.callEmpty(ctx, codec.CmdDeleteFile, req.Append(cn.Buf[:0]), nil, 0, fileID)
}

// SetMetadata replaces fileID's metadata with meta, or with merge adds meta
// to it (new values win).
func (c *Client) SetMetadata(ctx context.Context, fileID string, meta []Meta, merge bool) error {
	op := codec.MetaOverwrite
	if merge {
		op = codec.MetaMerge
	}
	return c.onSource(ctx, fileID, func(cn *conn, _, _ string) error { return cn.setMetadata(ctx, fileID, meta, op) })
}

func (cn *conn) setMetadata(ctx context.Context, fileID string, meta []Meta, op byte) error {
	group, name, err := splitFileID(fileID)
	if err != nil {
		return err
	}
	req := codec.SetMetadataRequest{Op: op, Group: []byte(group), Name: []byte(name),
		Metadata: codec.AppendMetadata(nil, meta)}
	return cn.callEmpty(ctx, codec.CmdSetMetadata, req.Append(cn.Buf[:0]), nil, 0, fileID)
}

// GetMetadata returns fileID's metadata, sorted by name. A file that never
// had metadata answers ENOENT, as in C.
func (c *Client) GetMetadata(ctx context.Context, fileID string) ([]Meta, error) {
	var meta []Meta
	err := c.onReader(ctx, fileID, func(cn *conn, group, name string) error {
		req := codec.GetMetadataRequest{Group: []byte(group), Name: []byte(name)}
		b, err := cn.Call(ctx, codec.CmdGetMetadata, 0, req.Append(cn.Buf[:0]), nil, 0, fileID, maxSmallBody)
		if err != nil {
			return err
		}
		meta = codec.ParseMetadata(b)
		return nil
	})
	return meta, err
}

// Download writes length bytes of fileID from offset to w (length 0: to the
// end) and returns how many it wrote. The body streams to w (spliced into an
// *os.File); it is never held in memory.
func (c *Client) Download(ctx context.Context, fileID string, w io.Writer, offset, length int64) (int64, error) {
	var n int64
	err := c.onReader(ctx, fileID, func(cn *conn, group, name string) error {
		var err error
		n, err = cn.download(ctx, fileID, group, name, w, offset, length)
		return err
	})
	return n, err
}

// DownloadFrom is Download from a given storage, without asking a tracker.
func (c *Client) DownloadFrom(ctx context.Context, st StorageServer, fileID string, w io.Writer, offset, length int64) (int64, error) {
	group, name, err := splitFileID(fileID)
	if err != nil {
		return 0, err
	}
	var n int64
	err = c.on(ctx, st.Addr, func(cn *conn) error {
		n, err = cn.download(ctx, fileID, group, name, w, offset, length)
		return err
	})
	return n, err
}

func (cn *conn) download(ctx context.Context, fileID, group, name string, w io.Writer, offset, length int64) (int64, error) {
	const op = "DOWNLOAD_FILE"
	req := codec.DownloadRequest{Offset: offset, Bytes: length, Group: []byte(group), Name: []byte(name)}
	if err := cn.Send(ctx, codec.CmdDownloadFile, 0, req.Append(cn.Buf[:0]), nil, 0); err != nil {
		return 0, err
	}
	h, err := cn.RecvHeader(ctx, op)
	if err != nil {
		return 0, err
	}
	if h.Status != 0 {
		return 0, cn.StatusErr(h, op, fileID)
	}
	if length > 0 && h.BodyLen > length {
		cn.Broken = true
		return 0, &ProtocolError{Op: op, Addr: cn.Peer, Reason: "more bytes than asked for"}
	}
	return cn.RecvTo(ctx, w, h.BodyLen)
}

// InfoOption adjusts FileInfo.
type InfoOption func(*codec.QueryFileInfoRequest)

// NoCRC asks the storage not to compute the CRC32 of an appender or slave
// file (a whole read of it); CRC32 is then 0 (V6.15.1+ storages).
func NoCRC() InfoOption {
	return func(r *codec.QueryFileInfoRequest) { r.Flags |= codec.QueryFlagNoCRC }
}

// Silent asks the storage not to log a missing file as an error, for
// callers that probe.
func Silent() InfoOption {
	return func(r *codec.QueryFileInfoRequest) { r.Flags |= codec.QueryFlagSilent }
}

// FileInfo asks a storage holding fileID for its size, time, CRC32 and source.
func (c *Client) FileInfo(ctx context.Context, fileID string, opts ...InfoOption) (FileInfo, error) {
	var fi FileInfo
	err := c.onReader(ctx, fileID, func(cn *conn, group, name string) error {
		req := codec.QueryFileInfoRequest{Group: []byte(group), Name: []byte(name)}
		for _, o := range opts {
			o(&req)
		}
		b, err := cn.Call(ctx, codec.CmdQueryFileInfo, req.Flags, req.Append(cn.Buf[:0]), nil, 0, fileID, 256)
		if err != nil {
			return err
		}
		var r codec.FileInfoReply
		if err := r.Decode(b); err != nil {
			return cn.badReply(codec.CmdQueryFileInfo, err)
		}
		fi = FileInfo{Size: r.FileSize, CreateTime: r.CreateTime, CRC32: r.CRC32, SourceIP: string(r.SourceIP)}
		return nil
	})
	return fi, err
}
