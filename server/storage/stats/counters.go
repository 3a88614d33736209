// Package stats keeps the storage's per-request counters: the BEAT stat
// block (cluster.md §1.3), the connection counts, the replication bytes and
// C's file open/read/write counts, plus which storage_stat.dat key each is.
// The command path only adds: every counter is an atomic on its own, so the
// event loops and disk workers never lock and never allocate here.
package stats

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

// Counters are the client-operation counters of the BEAT stat block and
// what shares their life. Every field is an atomic on its own, so the event
// loops and disk workers only add; gen moves with every change so the
// reporter (package report, through Gen) can tell whether a beat carries
// the block. The zero value is ready to count.
type Counters struct {
	c                [stCount]atomic.Int64
	connCur          atomic.Int32 // client connections open now
	connMax          atomic.Int32 // most open at once
	lastSourceUpdate atomic.Int64
	gen              atomic.Int64

	// replication (the sync receiver and the pushers)
	syncIn         [2]atomic.Int64 // content bytes received: total, applied
	syncOut        [2]atomic.Int64 // content bytes sent: total, confirmed
	lastSyncUpdate atomic.Int64    // last replica operation applied (unix s)

	// file counts C's disk threads keep (fileOpen ... fileWrite+1), in
	// C's units: see countFileIO.
	file [6]atomic.Int64
	// buffSize is buff_size, the chunk of C's disk reads and writes
	// (SetBuffSize; 256 KiB until then).
	buffSize int64
}

// Indexes of Counters.file: total then success of each.
const (
	fileOpen  = 0
	fileRead  = 2
	fileWrite = 4
)

// SetBuffSize sets buff_size, the chunk C's disk threads read and write in
// (the unit of the file read/write counts). Call it before counting.
func (st *Counters) SetBuffSize(n int64) { st.buffSize = n }

// Gen moves with every change of the stat block.
func (st *Counters) Gen() int64 { return st.gen.Load() }

// syncBytes counts sync content bytes in one direction; ok: the operation
// succeeded.
func (st *Counters) syncBytes(c *[2]atomic.Int64, n int64, ok bool) {
	if n <= 0 {
		return
	}
	c[0].Add(n)
	if ok {
		c[1].Add(n)
	}
	st.gen.Add(1)
}

// SyncSent counts n content bytes sent to a peer; ok: it confirmed them
// (replica.Counters).
func (st *Counters) SyncSent(n int64, ok bool) { st.syncBytes(&st.syncOut, n, ok) }

// SyncReceived counts n content bytes a peer sent, applied or not
// (total_sync_in_bytes; C's success count is the applied part only).
func (st *Counters) SyncReceived(n int64) { st.syncBytes(&st.syncIn, n, false) }

// SyncWritten counts a sync body of n content bytes applied here, which
// came in a request packet of pkg bytes: C's disk thread opened the file
// and wrote the packet one network buffer at a time.
func (st *Counters) SyncWritten(n, pkg int64) {
	if n > 0 {
		st.syncIn[1].Add(n)
	}
	st.fileIO(fileWrite, st.chunks(pkg))
}

// SyncApplied notes that a replica operation was applied at unix second now.
func (st *Counters) SyncApplied(now int64) {
	st.lastSyncUpdate.Store(now)
	st.gen.Add(1)
}

// SyncInBytes are the content bytes received from peers: all, and applied.
func (st *Counters) SyncInBytes() (total, ok int64) { return st.syncIn[0].Load(), st.syncIn[1].Load() }

// SyncOutBytes are the content bytes sent to peers: all, and confirmed.
func (st *Counters) SyncOutBytes() (total, ok int64) {
	return st.syncOut[0].Load(), st.syncOut[1].Load()
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

// Done counts a request answered by the engine (requests refused before
// they were decoded are not counted): the total, bytes (the content size of an
// upload, append or modify; what a download sent) and, on success, the
// success counters and, for writes, last_source_update.
//
// A failed delete, get-metadata or set-metadata is not counted: C counts
// these only once the request reached its disk thread, and what fails them
// is the check before (no such file, bad name); a disk error after the
// check, which C would count, is not told apart here.
func (st *Counters) Done(cmd byte, ok bool, n int64, now func() time.Time) {
	i := countIndex(cmd)
	if i < 0 {
		return
	}
	if !ok && (cmd == codec.CmdDeleteFile || cmd == codec.CmdGetMetadata || cmd == codec.CmdSetMetadata) {
		return
	}
	if ok {
		st.countFileIO(cmd, n)
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

// Request packet overheads ahead of the content, as C's receive buffer holds
// them: the header and the fixed fields of the command. Append and modify
// also carry the appender file name, taken at its usual length (C's
// generated "M00/00/00/" + 34 characters, no extension); a name of another
// length moves a chunk boundary by a few bytes.
const (
	usualNameLen   = 44
	uploadOverhead = codec.HeaderSize + 1 + 8 + 6
	appendOverhead = codec.HeaderSize + 8 + 8 + usualNameLen
	modifyOverhead = codec.HeaderSize + 8 + 8 + 8 + usualNameLen
)

// chunks is how many disk reads or writes C makes for a packet of pkg bytes:
// its disk thread reads or writes one buff_size network buffer at a time,
// the header included in the first.
func (st *Counters) chunks(pkg int64) int64 {
	b := st.buffSize
	if b <= 0 {
		b = 256 << 10
	}
	return (pkg + b - 1) / b
}

// countFileIO counts the file opens, reads and writes C's storage counts for
// a command that succeeded (storage_dio.c): an upload, append or modify opens
// the file once and writes it one network buffer at a time; a download opens
// once and reads a buffer at a time; get-metadata opens and reads the meta
// file once; truncate opens once. Set-metadata and delete open nothing that
// C counts. n is the content size (what a download sent).
func (st *Counters) countFileIO(cmd byte, n int64) {
	switch cmd {
	case codec.CmdUploadFile, codec.CmdUploadAppenderFile, codec.CmdUploadSlaveFile:
		st.fileIO(fileWrite, st.chunks(uploadOverhead+n))
	case codec.CmdAppendFile:
		st.fileIO(fileWrite, st.chunks(appendOverhead+n))
	case codec.CmdModifyFile:
		st.fileIO(fileWrite, st.chunks(modifyOverhead+n))
	case codec.CmdDownloadFile:
		st.fileIO(fileRead, st.chunks(codec.HeaderSize+n))
	case codec.CmdGetMetadata:
		st.fileIO(fileRead, 1)
	case codec.CmdTruncateFile:
		st.fileIO(fileWrite, 0)
	}
}

// fileIO counts one successful open and k successful reads or writes.
func (st *Counters) fileIO(kind int, k int64) {
	st.file[fileOpen].Add(1)
	st.file[fileOpen+1].Add(1)
	if k > 0 {
		st.file[kind].Add(k)
		st.file[kind+1].Add(k)
	}
}

// FileOps are the file opens, reads and writes, total then success of
// each (prom.Snapshot.FileOps).
func (st *Counters) FileOps() (ops [6]int64) {
	for i := range ops {
		ops[i] = st.file[i].Load()
	}
	return ops
}

// ConnOpened counts a new client connection (and the most open at once).
func (st *Counters) ConnOpened() {
	n := st.connCur.Add(1)
	for {
		m := st.connMax.Load()
		if n <= m || st.connMax.CompareAndSwap(m, n) {
			break
		}
	}
	st.gen.Add(1)
}

// ConnClosed counts a client connection gone (once per ConnOpened).
func (st *Counters) ConnClosed() {
	st.connCur.Add(-1)
	st.gen.Add(1)
}

// Conns are the client connections open now and the most open at once.
func (st *Counters) Conns() (cur, max int32) { return st.connCur.Load(), st.connMax.Load() }

// connAllocCount is C's alloc_count for a server that has had up to max
// connections at once: libserverframe allocates its connection objects
// 256/m at a time, m being the minimum network buffer in 64 KiB units,
// clamped to 1..16 (sf_service.c); the storage's minimum buffer is
// buff_size (64 a block at the default 256 KiB).
func connAllocCount(max int32, minBuff int64) int32 {
	if max <= 0 {
		return 0
	}
	m := max64(min(minBuff/(64<<10), 16), 1)
	block := int32(256 / m)
	return (max + block - 1) / block * block
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Snapshot fills b with the counters (connection stats and the times the
// tracker fills in are left zero).
func (st *Counters) Snapshot(b *codec.StatBlock) {
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
		LastSyncUpdate:     st.lastSyncUpdate.Load(),
		TotalFileOpenCount: st.file[fileOpen].Load(), SuccessFileOpenCount: st.file[fileOpen+1].Load(),
		TotalFileReadCount: st.file[fileRead].Load(), SuccessFileReadCount: st.file[fileRead+1].Load(),
		TotalFileWriteCount: st.file[fileWrite].Load(), SuccessFileWriteCount: st.file[fileWrite+1].Load(),
	}
	if m := st.connMax.Load(); m > 0 {
		b.Connection = codec.ConnectionStat{CurrentCount: st.connCur.Load(), MaxCount: m,
			AllocCount: connAllocCount(m, st.buffSize)}
	}
}
