package trunk

import (
	"bytes"
	"errors"
	"os"
	"syscall"

	"github.com/gofdfs/gofdfs/codec"
)

// Serve answers one trunk command (TRUNK_ALLOC_SPACE .. TRUNK_TRUNCATE_
// BINLOG_FILE, 27-33) with its status and reply body, with C's refusals:
// allocation, confirm and free only on the trunk server; the trunk
// binlog's replication only on members, with use_trunk_file on. peer
// names the caller in logs.
func (d *Side) Serve(cmd, status byte, body []byte, peer string) (codec.Errno, []byte) {
	log := d.cfg.Log
	switch cmd {
	case codec.CmdTrunkGetBinlogSize:
		if len(body) != 0 {
			return codec.EINVAL, nil
		}
		st, err := d.Store()
		if err != nil {
			return codec.EIO, nil
		}
		r := codec.TrunkBinlogSize{BinlogSize: st.BinlogSize()}
		return codec.OK, r.Append(nil)
	case codec.CmdTrunkDeleteBinlogMarks, codec.CmdTrunkTruncateBinlogFile, codec.CmdTrunkSyncBinlog:
		return d.serveBinlog(cmd, body, peer)
	case codec.CmdTrunkAllocSpace:
		var r codec.TrunkAllocRequest
		if err := r.Decode(body); err != nil || !d.ownGroup(r.Group) || r.FileSize < 0 ||
			int(r.StorePathIndex) >= len(d.cfg.StorePaths) || !d.IsServer() {
			return codec.EINVAL, nil
		}
		d.mu.Lock()
		slotMax := d.slotMax
		d.mu.Unlock()
		if slotMax > 0 && r.FileSize > slotMax {
			return codec.EINVAL, nil
		}
		st, err := d.Store()
		if err != nil {
			return codec.EIO, nil
		}
		info, err := st.Alloc(int(r.StorePathIndex), r.FileSize)
		if err != nil {
			log.Error("TRUNK_ALLOC_SPACE", "peer", peer, "size", r.FileSize, "err", err)
			return errnoOf(err), nil
		}
		return codec.OK, info.Append(nil)
	case codec.CmdTrunkAllocConfirm, codec.CmdTrunkFreeSpace:
		var r codec.TrunkSpaceRequest
		if err := r.Decode(body); err != nil || !d.ownGroup(r.Group) || !d.IsServer() ||
			int(r.Trunk.StorePathIndex) >= len(d.cfg.StorePaths) {
			return codec.EINVAL, nil // only the trunk server keeps the free space (C: EINVAL)
		}
		st, err := d.Store()
		if err != nil {
			return codec.EIO, nil
		}
		if cmd == codec.CmdTrunkAllocConfirm {
			if err := st.Confirm(r.Trunk, codec.Errno(status)); err != nil {
				log.Warn("TRUNK_ALLOC_CONFIRM", "peer", peer, "slot", String(r.Trunk), "err", err)
				return errnoOf(err), nil
			}
			return codec.OK, nil
		}
		if err := st.Free(r.Trunk); err != nil {
			log.Error("TRUNK_FREE_SPACE", "peer", peer, "slot", String(r.Trunk), "err", err)
			return codec.EIO, nil
		}
		return codec.OK, nil
	}
	log.Warn("trunk command not served", "peer", peer, "cmd", codec.CmdName(cmd))
	return codec.EINVAL, nil
}

func (d *Side) ownGroup(field []byte) bool { return bytes.Equal(codec.FixedBytes(field), d.cfg.Group) }

// serveBinlog is the receiving side of the trunk binlog's replication
// (TRUNK_SYNC_BINLOG, TRUNK_TRUNCATE_BINLOG_FILE, TRUNK_DELETE_BINLOG_MARKS):
// EINVAL without use_trunk_file, and EINVAL on the trunk server itself
// (its binlog is the group's: nobody may overwrite it). The trunk server's
// pushers are in package replica (trunk_push.go).
func (d *Side) serveBinlog(cmd byte, body []byte, peer string) (codec.Errno, []byte) {
	log := d.cfg.Log
	name := codec.CmdName(cmd)
	if cmd == codec.CmdTrunkSyncBinlog {
		var r codec.TrunkBinlogChunk
		if err := r.Decode(body); err != nil {
			log.Warn(name+" refused", "peer", peer, "err", err)
			return codec.EINVAL, nil
		}
	} else if len(body) != 0 {
		return codec.EINVAL, nil
	}
	if !d.on.Load() {
		log.Warn(name+" refused: use_trunk_file is off", "peer", peer)
		return codec.EINVAL, nil
	}
	if d.IsServer() {
		log.Warn(name+" refused: this storage is the trunk server", "peer", peer)
		return codec.EINVAL, nil
	}
	st, err := d.Store()
	if err != nil {
		return codec.EIO, nil
	}
	switch cmd {
	case codec.CmdTrunkSyncBinlog:
		err = st.AppendSynced(body)
	case codec.CmdTrunkTruncateBinlogFile:
		d.mu.Lock()
		keep := d.maxBackups
		d.mu.Unlock()
		if err = st.Truncate(keep); err == nil {
			log.Info("trunk binlog truncated by the trunk server", "peer", peer)
		}
	default:
		err = st.DeleteBinlogMarks()
	}
	if err != nil {
		log.Error(name, "peer", peer, "err", err)
		return errnoOf(err), nil
	}
	return codec.OK, nil
}

// errnoOf is the status for a trunk error: a slot larger than a container
// is EINVAL (as C answers), a status a peer sent stays, a system error is
// its errno.
func errnoOf(err error) codec.Errno {
	var e codec.Errno
	var se syscall.Errno
	switch {
	case err == nil:
		return codec.OK
	case errors.Is(err, ErrNoTrunkSpace):
		return codec.EINVAL
	case errors.As(err, &e):
		return e
	case errors.As(err, &se) && se > 0 && se < 256:
		return codec.Errno(se)
	case errors.Is(err, os.ErrNotExist):
		return codec.ENOENT
	}
	return codec.EIO
}
