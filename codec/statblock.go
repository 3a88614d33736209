package codec

// StatBlockSize is the size of the stat block (C FDFSStorageStatBuff) since
// V5.04: three int32 connection counters, then 42 int64 counters.
const StatBlockSize = 12 + statCounterCount*8

// statBlockSizeV5_02 is the stat block of V5.02–V5.03: the 42 counters
// without the connection counters in front.
const statBlockSizeV5_02 = statCounterCount * 8

const statCounterCount = 42

// ConnectionStat is a server's connection counters (C connection.*_count):
// connections allocated, open now, and most open at once.
type ConnectionStat struct {
	AllocCount   int32
	CurrentCount int32
	MaxCount     int32
}

func (c *ConnectionStat) append(dst []byte) []byte {
	dst = AppendInt32(dst, c.AllocCount)
	dst = AppendInt32(dst, c.CurrentCount)
	return AppendInt32(dst, c.MaxCount)
}

func (c *ConnectionStat) decode(b []byte) {
	c.AllocCount = Int32(b)
	c.CurrentCount = Int32(b[4:])
	c.MaxCount = Int32(b[8:])
}

// StatBlock is a storage's operation counters (cluster.md §1.3): the body of
// BEAT (83) and part of every storage-stat record of LIST_STORAGE (92).
// Counts are of client operations the storage handled as source; the last
// four are unix times. In BEAT the storage sends 0 for LastSyncedTimestamp
// and LastHeartBeatTime, which the tracker fills in for LIST_STORAGE.
type StatBlock struct {
	Connection ConnectionStat

	TotalUploadCount       int64
	SuccessUploadCount     int64
	TotalAppendCount       int64
	SuccessAppendCount     int64
	TotalModifyCount       int64
	SuccessModifyCount     int64
	TotalTruncateCount     int64
	SuccessTruncateCount   int64
	TotalSetMetaCount      int64
	SuccessSetMetaCount    int64
	TotalDeleteCount       int64
	SuccessDeleteCount     int64
	TotalDownloadCount     int64
	SuccessDownloadCount   int64
	TotalGetMetaCount      int64
	SuccessGetMetaCount    int64
	TotalCreateLinkCount   int64
	SuccessCreateLinkCount int64
	TotalDeleteLinkCount   int64
	SuccessDeleteLinkCount int64
	TotalUploadBytes       int64
	SuccessUploadBytes     int64
	TotalAppendBytes       int64
	SuccessAppendBytes     int64
	TotalModifyBytes       int64
	SuccessModifyBytes     int64
	TotalDownloadBytes     int64
	SuccessDownloadBytes   int64
	TotalSyncInBytes       int64
	SuccessSyncInBytes     int64
	TotalSyncOutBytes      int64
	SuccessSyncOutBytes    int64
	TotalFileOpenCount     int64
	SuccessFileOpenCount   int64
	TotalFileReadCount     int64
	SuccessFileReadCount   int64
	TotalFileWriteCount    int64
	SuccessFileWriteCount  int64
	LastSourceUpdate       int64
	LastSyncUpdate         int64
	LastSyncedTimestamp    int64
	LastHeartBeatTime      int64
}

// counters lists the 42 int64 fields in wire order, so that encoding and
// decoding are one loop each and cannot disagree about the order.
func (s *StatBlock) counters() [statCounterCount]*int64 {
	return [statCounterCount]*int64{
		&s.TotalUploadCount, &s.SuccessUploadCount,
		&s.TotalAppendCount, &s.SuccessAppendCount,
		&s.TotalModifyCount, &s.SuccessModifyCount,
		&s.TotalTruncateCount, &s.SuccessTruncateCount,
		&s.TotalSetMetaCount, &s.SuccessSetMetaCount,
		&s.TotalDeleteCount, &s.SuccessDeleteCount,
		&s.TotalDownloadCount, &s.SuccessDownloadCount,
		&s.TotalGetMetaCount, &s.SuccessGetMetaCount,
		&s.TotalCreateLinkCount, &s.SuccessCreateLinkCount,
		&s.TotalDeleteLinkCount, &s.SuccessDeleteLinkCount,
		&s.TotalUploadBytes, &s.SuccessUploadBytes,
		&s.TotalAppendBytes, &s.SuccessAppendBytes,
		&s.TotalModifyBytes, &s.SuccessModifyBytes,
		&s.TotalDownloadBytes, &s.SuccessDownloadBytes,
		&s.TotalSyncInBytes, &s.SuccessSyncInBytes,
		&s.TotalSyncOutBytes, &s.SuccessSyncOutBytes,
		&s.TotalFileOpenCount, &s.SuccessFileOpenCount,
		&s.TotalFileReadCount, &s.SuccessFileReadCount,
		&s.TotalFileWriteCount, &s.SuccessFileWriteCount,
		&s.LastSourceUpdate, &s.LastSyncUpdate,
		&s.LastSyncedTimestamp, &s.LastHeartBeatTime,
	}
}

func (s *StatBlock) Size() int { return StatBlockSize }

// Append appends the 348-byte block.
func (s *StatBlock) Append(dst []byte) []byte {
	dst = s.Connection.append(dst)
	return s.appendCounters(dst)
}

// Decode reads a 348-byte block; any other length is EINVAL, as the C
// tracker answers a BEAT with a body of another size.
func (s *StatBlock) Decode(body []byte) error {
	if len(body) != StatBlockSize {
		return badLength("StatBlock", len(body), "348")
	}
	s.Connection.decode(body)
	s.decodeCounters(body[12:])
	return nil
}

func (s *StatBlock) appendCounters(dst []byte) []byte {
	for _, p := range s.counters() {
		dst = AppendInt64(dst, *p)
	}
	return dst
}

// decodeCounters reads the 42 counters from the first 336 bytes of b.
func (s *StatBlock) decodeCounters(b []byte) {
	_ = b[statBlockSizeV5_02-1]
	for i, p := range s.counters() {
		*p = Int64(b[i*8:])
	}
}

// appendSized appends the block in the size of a list dialect: 348, or 336
// (no connection counters) before V5.04.
func (s *StatBlock) appendSized(dst []byte, size int) []byte {
	if size == StatBlockSize {
		dst = s.Connection.append(dst)
	}
	return s.appendCounters(dst)
}

// decodeSized is appendSized's reverse; b holds exactly size bytes. The
// connection counters of a 336-byte block read as zero.
func (s *StatBlock) decodeSized(b []byte, size int) {
	if size == StatBlockSize {
		s.Connection.decode(b)
		b = b[12:]
	} else {
		s.Connection = ConnectionStat{}
	}
	s.decodeCounters(b)
}
