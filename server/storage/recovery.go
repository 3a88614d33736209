package storage

import (
	"context"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/recovery"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// C's disk recovery (cluster.md §7.5) lives in package recovery, both
// sides: the storage that lost a store path and the peer it fetches the
// path's binlog from. This file is the core's part: the flag at start
// (store_mark.go), the run before the reporters JOIN, and the framing of
// FETCH_ONE_PATH_BINLOG (26) on the event loop.

// startPathRecovery notes that a store path lost its data: recovery runs
// before the next JOIN.
func startPathRecovery(dataDir string) error { return recovery.MarkPath(dataDir) }

// PathRecovering reports whether store path idx still has a recovery to do
// or finish (its .recovery.flag exists).
func (s *Server) PathRecovering(idx int) bool {
	if idx < 0 || idx >= len(s.paths) {
		return false
	}
	return recovery.Pending(s.paths[idx].disk.DataDir())
}

// diskPaths are the store paths' disks, by index.
func (s *Server) diskPaths() []*diskio.StorePath {
	out := make([]*diskio.StorePath, len(s.paths))
	for i, p := range s.paths {
		out[i] = p.disk
	}
	return out
}

// recoverPaths runs the disk recovery of every flagged store path; false
// when the reporters were stopped meanwhile.
func (r *reporters) recoverPaths() bool { return r.s.recoverPaths(r.rep.Context(), r.rep) }

// recoverPaths runs the disk recovery of every flagged store path over the
// given tracker links; false when ctx ended meanwhile.
func (s *Server) recoverPaths(ctx context.Context, trackers replica.TrackerLinks) bool {
	return recovery.Run(ctx, &recovery.Host{Conf: s.cfg, Group: s.group, Log: s.log, Paths: s.diskPaths(),
		MyIP: func() string {
			if p := s.myIP.Load(); p != nil {
				return p.String()
			}
			return ""
		},
		Trackers: trackers})
}

// handleFetchPathBinlog validates a FETCH_ONE_PATH_BINLOG request and hands
// the socket to a goroutine that streams the path's binlog
// (recovery.Source) and closes it; the event loop lets go of the
// connection at once.
func (s *Server) handleFetchPathBinlog(cs *connState, c gnet.Conn, hdr codec.Header, n int) step {
	if hdr.BodyLen != recovery.FetchPathBinlogBodyLen {
		s.log.Warn("FETCH_ONE_PATH_BINLOG: bad body length", "peer", cs.peer, "len", hdr.BodyLen)
		return s.replyError(c, codec.EINVAL)
	}
	total := codec.HeaderSize + recovery.FetchPathBinlogBodyLen
	if n < total {
		return stepMore
	}
	pkt, _ := c.Peek(total)
	idx, err := recovery.CheckFetchRequest(pkt[codec.HeaderSize:], s.group, len(s.paths))
	if err != nil {
		s.log.Warn("FETCH_ONE_PATH_BINLOG refused", "peer", cs.peer, "err", err)
		return s.replyError(c, codec.EINVAL)
	}
	_, _ = c.Discard(total)
	if c.OutboundBuffered() > 0 {
		_ = c.Flush()
	}
	fd, err := c.Dup()
	if err != nil {
		s.log.Error("FETCH_ONE_PATH_BINLOG: dup socket", "peer", cs.peer, "err", err)
		return s.replyError(c, codec.EIO)
	}
	src := &recovery.Source{Binlog: s.binlog, Paths: s.diskPaths(), Log: s.log, Timeout: s.cfg.NetworkTimeout,
		Stopped: s.stopped}
	if err := src.ServeDup(fd, cs.peer, idx); err != nil {
		s.log.Error("FETCH_ONE_PATH_BINLOG: socket", "peer", cs.peer, "err", err)
	}
	return stepClose
}

// stopped reports whether Serve has ended.
func (s *Server) stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}
