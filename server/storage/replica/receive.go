package replica

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// The receiving side of group replication (cluster.md §4.5): the commands
// another storage of the group sends to copy its operations here. Every
// applied operation is written atomically (temp file + rename for whole
// files), answered with the status C answers, logged in the binlog as a
// replica line (lowercase letter, the source's timestamp), and credited to
// the announcing source for SYNC_REPORT. Retries are harmless: an
// operation found already applied is answered EEXIST and changes nothing.
//
// This file is the part that knows no connection: decoding the sync
// bodies, the rules that decide a command against the file as it is here,
// the disk operations of the commands without content, and the credits.
// The core (server/storage/sync_receiver.go) frames the requests, runs
// these on the store path's disk workers and logs the replica lines.

// IsStream reports the sync commands whose body ends in file content.
func IsStream(cmd byte) bool {
	switch cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile, codec.CmdSyncAppendFile, codec.CmdSyncModifyFile:
		return true
	}
	return false
}

// ReplicaOp is the binlog letter a sync command applied here is logged
// with (lowercase: it came from a peer and is never pushed again).
func ReplicaOp(cmd byte) codec.BinlogOp {
	switch cmd {
	case codec.CmdSyncCreateFile:
		return codec.BinlogReplicaCreate
	case codec.CmdSyncUpdateFile:
		return codec.BinlogReplicaUpdate
	case codec.CmdSyncAppendFile:
		return codec.BinlogReplicaAppend
	case codec.CmdSyncModifyFile:
		return codec.BinlogReplicaModify
	case codec.CmdSyncDeleteFile:
		return codec.BinlogReplicaDelete
	case codec.CmdSyncTruncateFile:
		return codec.BinlogReplicaTruncate
	case codec.CmdSyncCreateLink:
		return codec.BinlogReplicaLink
	case codec.CmdSyncRenameFile:
		return codec.BinlogReplicaRename
	}
	return 0
}

// Credits are the newest source timestamps of operations applied here,
// per source storage id (last_sync_src_timestamp in C): what SYNC_REPORT
// tells the trackers.
type Credits struct {
	mu sync.Mutex
	ts map[string]int64
}

// Credit records an operation of src at ts; false when it is not newer
// than what src already has.
func (c *Credits) Credit(src string, ts int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ts == nil {
		c.ts = map[string]int64{}
	}
	if ts <= c.ts[src] {
		return false
	}
	c.ts[src] = ts
	return true
}

// Get is src's newest credited timestamp (0 if none).
func (c *Credits) Get(src string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ts[src]
}

// Request is a decoded sync command (REPORT_SERVER_ID aside). Its byte
// slices alias the body it was decoded from.
type Request struct {
	Timestamp int64  // the source's timestamp of the operation
	Group     []byte // as on the wire (NUL padded)
	Name      []byte // the file: the new name of a rename, the link of a link
	Other     []byte // the link's target, the old name of a rename; nil otherwise
	Size      int64  // content bytes that follow the fixed part
	Offset    int64  // append, modify: where the content goes; truncate: the old size
	FileSize  int64  // create, update: the file's size; truncate: the new size
	NoContent bool   // a create whose header status says the file is there (EEXIST)
}

// DecodeWhole decodes SYNC_DELETE_FILE, SYNC_TRUNCATE_FILE,
// SYNC_CREATE_LINK and SYNC_RENAME_FILE.
func DecodeWhole(cmd byte, body []byte, r *Request) error {
	*r = Request{}
	switch cmd {
	case codec.CmdSyncDeleteFile:
		var d codec.SyncDeleteRequest
		if err := d.Decode(body); err != nil {
			return err
		}
		r.Timestamp, r.Group, r.Name = int64(d.Timestamp), d.Group, d.Filename
	case codec.CmdSyncTruncateFile:
		var d codec.SyncTruncateRequest
		if err := d.Decode(body); err != nil {
			return err
		}
		r.Timestamp, r.Group, r.Name = int64(d.Timestamp), d.Group, d.Filename
		r.Offset, r.FileSize = d.OldSize, d.NewSize
	case codec.CmdSyncCreateLink:
		var d codec.SyncLinkRequest
		if err := d.Decode(body); err != nil {
			return err
		}
		r.Timestamp, r.Group, r.Name, r.Other = int64(d.Timestamp), d.Group, d.LinkName, d.SrcFilename
	case codec.CmdSyncRenameFile:
		var d codec.SyncRenameRequest
		if err := d.Decode(body); err != nil {
			return err
		}
		r.Timestamp, r.Group, r.Name, r.Other = int64(d.Timestamp), d.Group, d.NewFilename, d.OldFilename
	default:
		return fmt.Errorf("%w: command %d is not a sync command without content", codec.EINVAL, cmd)
	}
	return nil
}

// StreamFixedMax bounds the part before the content of the content
// commands (16, 18, 25, 35).
const StreamFixedMax = 8 + 8 + 8 + 4 + codec.GroupNameSize + codec.MaxFilenameLen

// StreamFixedLen is the length of a content command's fixed part, read
// from the first 8 bytes of its body (the name length); bodyLen is the
// header's. An error is a request to refuse (EINVAL).
func StreamFixedLen(cmd byte, bodyLen int64, head []byte) (int, error) {
	nameLen := codec.Int64(head)
	base := int64(8 + 8 + 4 + codec.GroupNameSize)
	if cmd == codec.CmdSyncAppendFile || cmd == codec.CmdSyncModifyFile {
		base += 8
	}
	if nameLen < 1 || nameLen > codec.MaxFilenameLen || bodyLen < base+nameLen {
		return 0, fmt.Errorf("%w: name length %d in a body of %d", codec.EINVAL, nameLen, bodyLen)
	}
	return int(base + nameLen), nil
}

// DecodeStream decodes the fixed part of a content command and checks it
// against the header's body length and status.
func DecodeStream(hdr codec.Header, fixed []byte, r *Request) error {
	*r = Request{}
	switch hdr.Cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile:
		var d codec.SyncFileRequest
		if _, err := d.DecodeFixed(fixed); err != nil {
			return err
		}
		if err := d.CheckBodyLen(hdr.BodyLen, hdr.Status); err != nil {
			return fmt.Errorf("%w: %v", codec.EINVAL, err)
		}
		r.Timestamp, r.Group, r.Name = int64(d.Timestamp), d.Group, d.Filename
		r.Size, r.NoContent, r.FileSize = d.ContentLen(), d.NoContent, d.FileSize
	case codec.CmdSyncAppendFile, codec.CmdSyncModifyFile:
		var d codec.SyncAppendRequest
		if _, err := d.DecodeFixed(fixed); err != nil {
			return err
		}
		if hdr.BodyLen != int64(len(fixed))+d.Length {
			return fmt.Errorf("%w: body length %d, want %d", codec.EINVAL, hdr.BodyLen, int64(len(fixed))+d.Length)
		}
		r.Timestamp, r.Group, r.Name = int64(d.Timestamp), d.Group, d.Filename
		r.Size, r.Offset = d.Length, d.Offset
	default:
		return fmt.Errorf("%w: command %d is not a sync command with content", codec.EINVAL, hdr.Cmd)
	}
	return nil
}

// ErrKept: a SYNC_CREATE_FILE found a regular file of the same size here (a
// retry, or the file came by another way). It is kept and answered EEXIST;
// C still logs the replica line.
var ErrKept = fmt.Errorf("%w: a file of the same size is already here", codec.EEXIST)

// Missing maps a failed stat: a missing file is ENOENT ("send the whole
// file"), anything else keeps its errno.
func Missing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return codec.ENOENT
	}
	return err
}

// Refusal reports whether err is one of the answers a sender acts on
// (EEXIST "already there", ENOENT "send the whole file") rather than a
// failure here worth a log line.
func Refusal(err error) bool {
	return errors.Is(err, codec.EEXIST) || errors.Is(err, codec.ENOENT)
}

// OpenWriter decides a content command against the plain file ref as it
// is here and opens where the bytes go (disk worker): a create or update
// into a temp file in the file's directory (w, mtime ts), an append or
// modify into the file itself. The refusals are C's answers: EEXIST
// "already there" (ErrKept for a create), ENOENT "send the whole file".
func OpenWriter(disk *diskio.StorePath, cmd byte, ref diskio.FileRef, offset, size, ts int64,
	w *diskio.FileWriter, wo diskio.WriteOptions) (*diskio.FileWriter, error) {
	switch cmd {
	case codec.CmdSyncCreateFile, codec.CmdSyncUpdateFile:
		if cmd == codec.CmdSyncCreateFile {
			if st, err := disk.Lstat(ref); err == nil && st.IsRegular() && st.Size == size {
				return nil, ErrKept
			}
		}
		// in the file's own directory, as uploads: see diskio.CreateTempIn
		if err := disk.CreateTempIn(w, ref, wo); err != nil {
			return nil, err
		}
		w.SetModTime(time.Unix(ts, 0))
		return w, nil
	case codec.CmdSyncAppendFile:
		st, err := disk.Stat(ref)
		switch {
		case err != nil:
			return nil, Missing(err)
		case !st.IsRegular():
			return nil, codec.EEXIST
		case st.Size == offset:
			return disk.OpenAppend(ref, wo)
		case st.Size >= offset+size:
			return nil, codec.EEXIST // applied before
		}
		return nil, codec.ENOENT
	default: // modify
		st, err := disk.Stat(ref)
		switch {
		case err != nil:
			return nil, Missing(err)
		case !st.IsRegular():
			return nil, codec.EEXIST
		case st.Size >= offset:
			return disk.OpenModify(ref, offset, wo)
		}
		return nil, codec.ENOENT
	}
}

// SinkRefused opens w, a temp file in ref's directory, to receive and
// drop the large body of a content command refused with errno while the
// body is still on the way. Closing the connection unread would reset the
// sender's stream before it reads the answer, and it would send the same
// file again for ever; so the body is received and dropped, and the answer
// goes out on a connection that stays. False: not a refusal the sender
// acts on (EEXIST, ENOENT), or no temp file; the caller answers as is.
func SinkRefused(disk *diskio.StorePath, w *diskio.FileWriter, ref diskio.FileRef, errno codec.Errno) bool {
	if errno != codec.EEXIST && errno != codec.ENOENT {
		return false
	}
	return disk.CreateTempIn(w, ref, diskio.WriteOptions{}) == nil
}

// Delete removes a plain file (SYNC_DELETE_FILE).
func Delete(disk *diskio.StorePath, ref diskio.FileRef) error {
	return Missing(disk.Remove(ref))
}

// Truncate applies SYNC_TRUNCATE_FILE: only a regular file still at the
// old size is cut to the new one (EEXIST otherwise: applied before, or the
// file went another way).
func Truncate(disk *diskio.StorePath, ref diskio.FileRef, oldSize, newSize int64) error {
	st, err := disk.Stat(ref)
	if err != nil {
		return Missing(err)
	}
	if !st.IsRegular() || st.Size != oldSize {
		return codec.EEXIST
	}
	return disk.Truncate(ref, newSize)
}

// Link applies SYNC_CREATE_LINK: link becomes a symlink to target, which
// must be here.
func Link(disk *diskio.StorePath, link, target diskio.FileRef) error {
	if _, err := disk.Lstat(link); err == nil {
		return codec.EEXIST
	}
	if _, err := disk.Stat(target); err != nil {
		return Missing(err)
	}
	return disk.Symlink(target, link)
}

// Rename applies SYNC_RENAME_FILE (EEXIST when the new name is there:
// renamed before).
func Rename(disk *diskio.StorePath, to, from diskio.FileRef) error {
	if _, err := disk.Lstat(to); err == nil {
		return codec.EEXIST
	}
	return Missing(disk.Rename(from, to))
}
