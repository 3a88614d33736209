package codec

import (
	"bytes"
	"strconv"
)

// Storage binlog lines (cluster.md §4.2), the source of truth of file sync:
//
//	<timestamp> <op> <logical_filename>[ <extra1>[ <extra2>]]\n
//
// and trunk binlog lines (§1.10). Parsing never allocates; the []byte fields
// alias the parsed buffer.

// BinlogOp is a binlog operation letter: uppercase when the operation
// originated on this storage (source), lowercase when it was applied here as
// a replica of another storage's operation.
type BinlogOp byte

// Source operation letters; Replica gives the lowercase form.
const (
	BinlogCreate   BinlogOp = 'C' // upload, slave upload, metadata created
	BinlogAppend   BinlogOp = 'A' // append to an appender file: <offset> <length>
	BinlogDelete   BinlogOp = 'D' // delete a file, link or metadata
	BinlogUpdate   BinlogOp = 'U' // whole-file update (metadata rewritten, resync)
	BinlogModify   BinlogOp = 'M' // modify part of an appender file: <offset> <length>
	BinlogTruncate BinlogOp = 'T' // truncate an appender file: <old_size> <new_size>
	BinlogLink     BinlogOp = 'L' // create a symlink: <source_filename>
	BinlogRename   BinlogOp = 'R' // appender renamed to a normal file: <old_filename>
)

// Replica operation letters.
const (
	BinlogReplicaCreate   = BinlogCreate + 'a' - 'A'
	BinlogReplicaAppend   = BinlogAppend + 'a' - 'A'
	BinlogReplicaDelete   = BinlogDelete + 'a' - 'A'
	BinlogReplicaUpdate   = BinlogUpdate + 'a' - 'A'
	BinlogReplicaModify   = BinlogModify + 'a' - 'A'
	BinlogReplicaTruncate = BinlogTruncate + 'a' - 'A'
	BinlogReplicaLink     = BinlogLink + 'a' - 'A'
	BinlogReplicaRename   = BinlogRename + 'a' - 'A'
)

// What follows the filename of an op.
const (
	binlogNoExtra = iota // C D U
	binlogTwoInts        // A M T
	binlogOneName        // L R
	binlogBadOp
)

func (op BinlogOp) extras() int {
	switch op.Source() {
	case BinlogCreate, BinlogDelete, BinlogUpdate:
		return binlogNoExtra
	case BinlogAppend, BinlogModify, BinlogTruncate:
		return binlogTwoInts
	case BinlogLink, BinlogRename:
		return binlogOneName
	}
	return binlogBadOp
}

// Valid reports whether op is one of the 16 letters.
func (op BinlogOp) Valid() bool { return op.extras() != binlogBadOp }

// IsSource reports whether op is an uppercase (source) letter.
func (op BinlogOp) IsSource() bool { return op >= 'A' && op <= 'Z' }

// Source returns the uppercase letter.
func (op BinlogOp) Source() BinlogOp {
	if op >= 'a' && op <= 'z' {
		return op - 'a' + 'A'
	}
	return op
}

// Replica returns the lowercase letter.
func (op BinlogOp) Replica() BinlogOp {
	if op >= 'A' && op <= 'Z' {
		return op - 'A' + 'a'
	}
	return op
}

// Binlog line limits of the C reader.
const (
	// BinlogMaxLine is the longest line the C reader takes, '\n' included:
	// its line buffer is 256 bytes with the NUL (STORAGE_BINLOG_LINE_SIZE).
	BinlogMaxLine = 255
	// binlogMaxRest bounds everything after "<ts> <op> " ('\n' excluded):
	// C copies it into the 128-byte filename buffer before splitting.
	binlogMaxRest = MaxFilenameLen
)

// BinlogRecord is one binlog line.
type BinlogRecord struct {
	Timestamp int64 // source's operation time (for replica ops too)
	Op        BinlogOp
	Filename  []byte // logical name, "M00/HH/HH/…"; the new name for R/r
	// SrcFilename is the link target for L/l and the old appender name for
	// R/r; empty for other ops.
	SrcFilename []byte
	// Offset and Length are the start offset and byte count of A/a and M/m,
	// and the old and new sizes of T/t; zero for other ops.
	Offset int64
	Length int64
}

// Size is the line length, '\n' included.
func (r *BinlogRecord) Size() int {
	n := clusterDecimalLen(r.Timestamp) + 3 + len(r.Filename) + 1
	switch r.Op.extras() {
	case binlogTwoInts:
		n += 1 + clusterDecimalLen(r.Offset) + 1 + clusterDecimalLen(r.Length)
	case binlogOneName:
		n += 1 + len(r.SrcFilename)
	}
	return n
}

// Append appends the line with its '\n'.
func (r *BinlogRecord) Append(dst []byte) []byte {
	dst = strconv.AppendInt(dst, r.Timestamp, 10)
	dst = append(dst, ' ', byte(r.Op), ' ')
	dst = append(dst, r.Filename...)
	switch r.Op.extras() {
	case binlogTwoInts:
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, r.Offset, 10)
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, r.Length, 10)
	case binlogOneName:
		dst = append(dst, ' ')
		dst = append(dst, r.SrcFilename...)
	}
	return append(dst, '\n')
}

func binlogErr(errno Errno, reason string) *Error {
	return &Error{Errno: errno, Layout: "BinlogRecord", Reason: reason}
}

// Parse outcomes other than success. They are package-level values so that
// even a malformed line costs no allocation.
var (
	// ErrBinlogPartial: b holds no '\n' yet (the writer is mid-line, or the
	// caller's buffer ends inside a line). Nothing was consumed.
	ErrBinlogPartial = binlogErr(EAGAIN, "line not terminated")
	// ErrBinlogEmptyName: the filename is empty, as in the `<ts> L  <name>`
	// and `<ts> l  <name>` lines HEAD C storages write for symlinks (slave
	// files with store_slave_file_use_link, SYNC_CREATE_LINK receipts). The
	// C reader rejects them; skip them, counting their bytes.
	ErrBinlogEmptyName = binlogErr(EINVAL, "empty filename")

	errBinlogTooLong    = binlogErr(EINVAL, "line longer than 255 bytes")
	errBinlogFields     = binlogErr(EINVAL, "want <timestamp> <op> <filename>")
	errBinlogTimestamp  = binlogErr(EINVAL, "bad timestamp")
	errBinlogOp         = binlogErr(EINVAL, "unknown op")
	errBinlogRestLen    = binlogErr(EINVAL, "filename and extras longer than 127 bytes")
	errBinlogSpace      = binlogErr(EINVAL, "unexpected field after filename")
	errBinlogExtraInts  = binlogErr(EINVAL, "want <filename> <number> <number>")
	errBinlogSrcMissing = binlogErr(EINVAL, "want <filename> <second filename>")
)

// Parse reads the line at the start of b and returns its length, '\n'
// included. It never allocates; the record's fields alias b.
//
//   - Valid line: (length, nil).
//   - Complete but malformed line: (length, *Error with Errno EINVAL) —
//     ErrBinlogEmptyName for C's broken link lines. The record is left
//     unspecified; a reader must still advance past the line (the C reader
//     does not, and later resumes inside a line: cluster.md §4.2).
//   - No '\n' in b: (0, ErrBinlogPartial), or (0, EINVAL error) when b
//     already holds more than BinlogMaxLine bytes.
func (r *BinlogRecord) Parse(b []byte) (int, error) {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		if len(b) >= BinlogMaxLine {
			return 0, errBinlogTooLong
		}
		return 0, ErrBinlogPartial
	}
	n := end + 1
	if n > BinlogMaxLine {
		return n, errBinlogTooLong
	}
	return n, r.parseLine(b[:end])
}

func (r *BinlogRecord) parseLine(line []byte) error {
	// split like C: "<ts>" ' ' "<op>" ' ' "<rest>"
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return errBinlogFields
	}
	tsField, line := line[:sp], line[sp+1:]
	sp = bytes.IndexByte(line, ' ')
	if sp < 0 {
		return errBinlogFields
	}
	opField, rest := line[:sp], line[sp+1:]
	ts, ok := clusterParseDecimal(tsField)
	if !ok {
		return errBinlogTimestamp
	}
	if len(opField) != 1 || !BinlogOp(opField[0]).Valid() {
		return errBinlogOp
	}
	if len(rest) > binlogMaxRest {
		return errBinlogRestLen
	}
	op := BinlogOp(opField[0])
	name, extra, _ := bytes.Cut(rest, []byte{' '})
	if len(name) == 0 {
		return ErrBinlogEmptyName
	}
	r.Timestamp, r.Op, r.Filename = ts, op, name
	r.SrcFilename, r.Offset, r.Length = nil, 0, 0
	switch op.extras() {
	case binlogNoExtra:
		if len(extra) != 0 || len(rest) != len(name) {
			return errBinlogSpace
		}
	case binlogTwoInts:
		x, y, found := bytes.Cut(extra, []byte{' '})
		xv, okX := clusterParseDecimal(x)
		yv, okY := clusterParseDecimal(y)
		if !found || !okX || !okY {
			return errBinlogExtraInts
		}
		r.Offset, r.Length = xv, yv
	case binlogOneName:
		if len(extra) == 0 {
			return errBinlogSrcMissing
		}
		if bytes.IndexByte(extra, ' ') >= 0 {
			return errBinlogSpace
		}
		r.SrcFilename = extra
	}
	return nil
}

// ---- trunk binlog ------------------------------------------------------------

// Trunk binlog operations.
const (
	TrunkBinlogAdd    byte = 'A' // slot freed: add it to the free space
	TrunkBinlogDelete byte = 'D' // slot taken: remove it from the free space
)

// TrunkBinlogMaxLine is the longest trunk binlog line the C reader takes,
// '\n' included (TRUNK_BINLOG_LINE_SIZE = 128 with the NUL).
const TrunkBinlogMaxLine = 127

// TrunkBinlogRecord is one line of data/trunk/binlog:
//
//	<ts> <A|D> <store_path_index> <sub_path_high> <sub_path_low> <file_id> <offset> <size>\n
type TrunkBinlogRecord struct {
	Timestamp int64
	Op        byte
	Trunk     TrunkInfo
}

// Size is the line length, '\n' included.
func (r *TrunkBinlogRecord) Size() int {
	t := &r.Trunk
	return clusterDecimalLen(r.Timestamp) + 3 + clusterDecimalLen(int64(t.StorePathIndex)) + 1 +
		clusterDecimalLen(int64(t.SubPathHigh)) + 1 + clusterDecimalLen(int64(t.SubPathLow)) + 1 +
		clusterDecimalLen(int64(uint32(t.FileID))) + 1 + clusterDecimalLen(int64(t.Offset)) + 1 +
		clusterDecimalLen(int64(t.SlotSize)) + 1
}

// Append appends the line with its '\n' (file id unsigned, as C's %u).
func (r *TrunkBinlogRecord) Append(dst []byte) []byte {
	t := &r.Trunk
	dst = strconv.AppendInt(dst, r.Timestamp, 10)
	dst = append(dst, ' ', r.Op, ' ')
	dst = strconv.AppendUint(dst, uint64(t.StorePathIndex), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(t.SubPathHigh), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(t.SubPathLow), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(uint32(t.FileID)), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(t.Offset), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(t.SlotSize), 10)
	return append(dst, '\n')
}

var (
	// ErrTrunkBinlogPartial: no '\n' in the buffer yet.
	ErrTrunkBinlogPartial = &Error{Errno: EAGAIN, Layout: "TrunkBinlogRecord", Reason: "line not terminated"}
	errTrunkBinlogTooLong = &Error{Errno: EINVAL, Layout: "TrunkBinlogRecord", Reason: "line longer than 127 bytes"}
	errTrunkBinlogFields  = &Error{Errno: EINVAL, Layout: "TrunkBinlogRecord", Reason: "want 8 space-separated fields"}
	errTrunkBinlogValue   = &Error{Errno: EINVAL, Layout: "TrunkBinlogRecord", Reason: "bad op or number"}
)

// Parse reads the trunk binlog line at the start of b, with the same
// contract as BinlogRecord.Parse: (length, nil), (length, EINVAL error) for
// a malformed line, (0, ErrTrunkBinlogPartial) without a '\n'.
func (r *TrunkBinlogRecord) Parse(b []byte) (int, error) {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		if len(b) >= TrunkBinlogMaxLine {
			return 0, errTrunkBinlogTooLong
		}
		return 0, ErrTrunkBinlogPartial
	}
	n := end + 1
	if n > TrunkBinlogMaxLine {
		return n, errTrunkBinlogTooLong
	}
	line := b[:end]
	var f [8][]byte
	for i := range 7 {
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return n, errTrunkBinlogFields
		}
		f[i], line = line[:sp], line[sp+1:]
	}
	if bytes.IndexByte(line, ' ') >= 0 {
		return n, errTrunkBinlogFields
	}
	f[7] = line
	var v [8]int64
	limits := [8]int64{1<<63 - 1, 0, 255, 255, 255, 1<<32 - 1, 1<<31 - 1, 1<<31 - 1}
	for i, field := range f {
		if i == 1 {
			continue
		}
		x, ok := clusterParseDecimal(field)
		if !ok || x > limits[i] {
			return n, errTrunkBinlogValue
		}
		v[i] = x
	}
	if len(f[1]) != 1 || f[1][0] != TrunkBinlogAdd && f[1][0] != TrunkBinlogDelete {
		return n, errTrunkBinlogValue
	}
	r.Timestamp, r.Op = v[0], f[1][0]
	r.Trunk = TrunkInfo{StorePathIndex: byte(v[2]), SubPathHigh: byte(v[3]), SubPathLow: byte(v[4]),
		FileID: int32(uint32(v[5])), Offset: int32(v[6]), SlotSize: int32(v[7])}
	return n, nil
}
