package storage

import (
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Stat counter indexes, in the wire order of codec.StatBlock (cluster.md §1.3).
const (
	stTotalUpload = iota
	stSuccessUpload
	stTotalAppend
	stSuccessAppend
	stTotalModify
	stSuccessModify
	stTotalTruncate
	stSuccessTruncate
	stTotalSetMeta
	stSuccessSetMeta
	stTotalDelete
	stSuccessDelete
	stTotalDownload
	stSuccessDownload
	stTotalGetMeta
	stSuccessGetMeta
	stTotalCreateLink
	stSuccessCreateLink
	stTotalDeleteLink
	stSuccessDeleteLink
	stTotalUploadBytes
	stSuccessUploadBytes
	stTotalAppendBytes
	stSuccessAppendBytes
	stTotalModifyBytes
	stSuccessModifyBytes
	stTotalDownloadBytes
	stSuccessDownloadBytes
	stCount
)

// opStats are the client-operation counters of the BEAT stat block. Every
// field is an atomic on its own, so the event loops and disk workers only
// add; gen moves with every change so the reporter can tell whether a beat
// carries the block.
type opStats struct {
	c                [stCount]atomic.Int64
	connCur          atomic.Int32 // client connections open now
	connMax          atomic.Int32 // most open at once
	lastSourceUpdate atomic.Int64
	gen              atomic.Int64

	// replication (sync_receiver.go, sync_pusher.go)
	syncIn         [2]atomic.Int64 // content bytes received: total, applied
	syncOut        [2]atomic.Int64 // content bytes sent: total, confirmed
	lastSyncUpdate atomic.Int64    // last replica operation applied (unix s)
}

// syncBytes counts sync content bytes in one direction; ok: the operation
// succeeded.
func (st *opStats) syncBytes(c *[2]atomic.Int64, n int64, ok bool) {
	if n <= 0 {
		return
	}
	c[0].Add(n)
	if ok {
		c[1].Add(n)
	}
	st.gen.Add(1)
}

// countIndex maps a command to its total-count index (-1: not counted).
func countIndex(cmd byte) int {
	switch cmd {
	case codec.CmdUploadFile, codec.CmdUploadAppenderFile, codec.CmdUploadSlaveFile:
		return stTotalUpload
	case codec.CmdAppendFile:
		return stTotalAppend
	case codec.CmdModifyFile:
		return stTotalModify
	case codec.CmdTruncateFile:
		return stTotalTruncate
	case codec.CmdSetMetadata:
		return stTotalSetMeta
	case codec.CmdDeleteFile:
		return stTotalDelete
	case codec.CmdDownloadFile:
		return stTotalDownload
	case codec.CmdGetMetadata:
		return stTotalGetMeta
	}
	return -1
}

// bytesIndex maps a command to its total-bytes index (-1: none).
func bytesIndex(cmd byte) int {
	switch cmd {
	case codec.CmdUploadFile, codec.CmdUploadAppenderFile, codec.CmdUploadSlaveFile:
		return stTotalUploadBytes
	case codec.CmdAppendFile:
		return stTotalAppendBytes
	case codec.CmdModifyFile:
		return stTotalModifyBytes
	case codec.CmdDownloadFile:
		return stTotalDownloadBytes
	}
	return -1
}

// done counts a request answered by the engine (requests refused before
// they were decoded are not counted): the total, bytes (the content size of an
// upload, append or modify; what a download sent) and, on success, the
// success counters and, for writes, last_source_update.
func (st *opStats) done(cmd byte, ok bool, n int64, now func() time.Time) {
	i := countIndex(cmd)
	if i < 0 {
		return
	}
	st.c[i].Add(1)
	b := bytesIndex(cmd)
	if b >= 0 && n > 0 {
		st.c[b].Add(n)
	}
	if ok {
		st.c[i+1].Add(1)
		if b >= 0 && n > 0 {
			st.c[b+1].Add(n)
		}
		if now != nil && cmd != codec.CmdDownloadFile && cmd != codec.CmdGetMetadata {
			st.lastSourceUpdate.Store(now().Unix())
		}
	}
	st.gen.Add(1)
}

// trackConn registers a new client connection (for the network_timeout
// sweep and the connection counts of the stat block).
func (s *Server) trackConn(cs *connState) {
	s.conns.Store(cs, struct{}{})
	n := s.stats.connCur.Add(1)
	for {
		m := s.stats.connMax.Load()
		if n <= m || s.stats.connMax.CompareAndSwap(m, n) {
			break
		}
	}
	s.stats.gen.Add(1)
}

// forgetConn drops a connection registered by trackConn (once).
func (s *Server) forgetConn(cs *connState) {
	if _, ok := s.conns.LoadAndDelete(cs); ok {
		s.stats.connCur.Add(-1)
		s.stats.gen.Add(1)
	}
}

// connAllocBlock: C's connection allocator grows in blocks of 64 objects,
// which is what its stat block reports as alloc_count.
const connAllocBlock = 64

// snapshot fills b with the counters (connection stats and the times the
// tracker fills in are left zero).
func (st *opStats) snapshot(b *codec.StatBlock) {
	v := func(i int) int64 { return st.c[i].Load() }
	*b = codec.StatBlock{
		TotalUploadCount: v(stTotalUpload), SuccessUploadCount: v(stSuccessUpload),
		TotalAppendCount: v(stTotalAppend), SuccessAppendCount: v(stSuccessAppend),
		TotalModifyCount: v(stTotalModify), SuccessModifyCount: v(stSuccessModify),
		TotalTruncateCount: v(stTotalTruncate), SuccessTruncateCount: v(stSuccessTruncate),
		TotalSetMetaCount: v(stTotalSetMeta), SuccessSetMetaCount: v(stSuccessSetMeta),
		TotalDeleteCount: v(stTotalDelete), SuccessDeleteCount: v(stSuccessDelete),
		TotalDownloadCount: v(stTotalDownload), SuccessDownloadCount: v(stSuccessDownload),
		TotalGetMetaCount: v(stTotalGetMeta), SuccessGetMetaCount: v(stSuccessGetMeta),
		TotalCreateLinkCount: v(stTotalCreateLink), SuccessCreateLinkCount: v(stSuccessCreateLink),
		TotalDeleteLinkCount: v(stTotalDeleteLink), SuccessDeleteLinkCount: v(stSuccessDeleteLink),
		TotalUploadBytes: v(stTotalUploadBytes), SuccessUploadBytes: v(stSuccessUploadBytes),
		TotalAppendBytes: v(stTotalAppendBytes), SuccessAppendBytes: v(stSuccessAppendBytes),
		TotalModifyBytes: v(stTotalModifyBytes), SuccessModifyBytes: v(stSuccessModifyBytes),
		TotalDownloadBytes: v(stTotalDownloadBytes), SuccessDownloadBytes: v(stSuccessDownloadBytes),
		LastSourceUpdate: st.lastSourceUpdate.Load(),
		TotalSyncInBytes: st.syncIn[0].Load(), SuccessSyncInBytes: st.syncIn[1].Load(),
		TotalSyncOutBytes: st.syncOut[0].Load(), SuccessSyncOutBytes: st.syncOut[1].Load(),
		LastSyncUpdate: st.lastSyncUpdate.Load(),
	}
	if m := st.connMax.Load(); m > 0 {
		b.Connection = codec.ConnectionStat{CurrentCount: st.connCur.Load(), MaxCount: m,
			AllocCount: (m + connAllocBlock - 1) / connAllocBlock * connAllocBlock}
	}
}
