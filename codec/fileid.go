package codec

import (
	"encoding/binary"
	"strconv"
)

// File IDs and remote filenames (client.md §7).
//
//	file id         = group "/" remote filename
//	remote filename = "M" HEX2(store path) "/" HEX2(high) "/" HEX2(low) "/" NAME
//	NAME            = B64(27) EXT7                 normal and appender files, 44 long as logic name
//	                | B64(27) TRUNK(16) EXT7       trunk files, 60 long
//	                | master base + prefix + ext   slave files (§7.4)
//
// B64 is the 20 bytes of NameFields in the URL-safe base64 alphabet without
// padding. Two decoders exist because the C servers never reject a name for
// its base64: DecodeNameFields is strict (every character in the alphabet,
// unused trailing bits zero) and is what our storage uses on names it
// serves; DecodeNameFieldsC reproduces, byte for byte, the garbage C's
// lenient decoder makes of a malformed name (characters outside the alphabet
// are skipped, '.' counts as padding), for the places where we must route a
// request exactly as a C tracker or client would.
const (
	B64PartLen   = 27 // base64 of the 20 NameFields bytes
	TrunkPartLen = 16 // base64 of the 12 TrunkSlot bytes
	Ext7Len      = 7  // random digits, '.', extension
	LogicPathLen = 10 // "Mxx/HH/HH/"
	TruePathLen  = 6  // "HH/HH/"
	// MinMasterTrueLen is the shortest true name (HH/HH/NAME) a slave can be
	// derived from.
	MinMasterTrueLen = 28 + ExtSize
	// MetaFileSuffix is appended to a data file's name to name its metadata file.
	MetaFileSuffix = "-m"
	// FileIDSeparator splits the group from the remote filename.
	FileIDSeparator = '/'
)

// Logic name lengths of generated names; clients that know no store path
// count validate names against MaxStorePaths.
const (
	NormalNameLen = LogicPathLen + B64PartLen + Ext7Len                // 44
	TrunkNameLen  = LogicPathLen + B64PartLen + TrunkPartLen + Ext7Len // 60
)

// Flags in the size field of NameFields (bit 0 is the least significant).
const (
	SizeFlagRandom   uint64 = 1 << 63 // a 23-bit random value sits in bits 32-54
	SizeFlagTrunk    uint64 = 1 << 59 // stored inside a trunk container
	SizeFlagAppender uint64 = 1 << 58 // appender file; the size part is 0
	sizeRandomMask          = 0x7FFFFF
	// maxSourceID is the largest value of bytes 0-3 read as a storage id;
	// anything else is an IPv4 address.
	maxSourceID = 0xFFFFFF
)

const fidB64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// fidB64Value is the 6-bit value of an alphabet character, or -1.
func fidB64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}

// fidB64Append appends src in the file-name alphabet without padding.
func fidB64Append(dst, src []byte) []byte {
	for len(src) >= 3 {
		v := uint(src[0])<<16 | uint(src[1])<<8 | uint(src[2])
		dst = append(dst, fidB64Alphabet[v>>18], fidB64Alphabet[v>>12&63],
			fidB64Alphabet[v>>6&63], fidB64Alphabet[v&63])
		src = src[3:]
	}
	switch len(src) {
	case 2:
		v := uint(src[0])<<16 | uint(src[1])<<8
		dst = append(dst, fidB64Alphabet[v>>18], fidB64Alphabet[v>>12&63], fidB64Alphabet[v>>6&63])
	case 1:
		v := uint(src[0]) << 16
		dst = append(dst, fidB64Alphabet[v>>18], fidB64Alphabet[v>>12&63])
	}
	return dst
}

// fidB64Len is the unpadded encoded length of n bytes.
func fidB64Len(n int) int { return (n*8 + 5) / 6 }

// fidB64DecodeStrict fills dst from exactly fidB64Len(len(dst)) characters
// of src, all in the alphabet, with the unused low bits of the last one zero
// (as every encoder writes them). It reports whether src was such.
func fidB64DecodeStrict(dst, src []byte) bool {
	if len(src) != fidB64Len(len(dst)) {
		return false
	}
	var acc uint
	bits := 0
	o := 0
	for _, c := range src {
		v := fidB64Value(c)
		if v < 0 {
			return false
		}
		acc = acc<<6 | uint(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst[o] = byte(acc >> bits)
			o++
			acc &= 1<<bits - 1
		}
	}
	return acc == 0
}

// NameFields are the 20 bytes behind the 27 base64 characters of a name.
type NameFields struct {
	// Source is bytes 0-3 read little-endian: a storage id when
	// 0 < Source <= 0xFFFFFF, otherwise an IPv4 address whose octets are the
	// four bytes in order (SourceFromIPv4).
	Source    uint32
	Timestamp uint32 // unix seconds, big-endian on the wire
	SizeField uint64 // size with flags, see SizeFlag*
	CRC32     uint32 // CRC-32 (IEEE) of the content
}

// SourceFromIPv4 is the Source value of a storage known by its IPv4 address.
func SourceFromIPv4(ip [4]byte) uint32 { return binary.LittleEndian.Uint32(ip[:]) }

// NormalSizeField is the size field of a normal file: random part and flag
// under 4 GiB, the plain size from 4 GiB on (as C writes it).
func NormalSizeField(size int64, random uint32) uint64 {
	if uint64(size)>>32 != 0 {
		return uint64(size)
	}
	return SizeFlagRandom | uint64(random&sizeRandomMask)<<32 | uint64(size)
}

// AppenderSizeField is the size field of an appender file (size part 0).
func AppenderSizeField(random uint32) uint64 {
	return SizeFlagRandom | SizeFlagAppender | uint64(random&sizeRandomMask)<<32
}

// TrunkSizeField is the size field of a file stored in a trunk slot.
func TrunkSizeField(size int64, random uint32) uint64 {
	return SizeFlagRandom | SizeFlagTrunk | uint64(random&sizeRandomMask)<<32 | uint64(uint32(size))
}

// IsAppender reports the appender flag (C tests it before anything else).
func (f NameFields) IsAppender() bool { return f.SizeField&SizeFlagAppender != 0 }

// IsTrunk reports the trunk flag.
func (f NameFields) IsTrunk() bool { return f.SizeField&SizeFlagTrunk != 0 }

// HasRandom reports whether the size field carries a random part.
func (f NameFields) HasRandom() bool { return f.SizeField&SizeFlagRandom != 0 }

// Random is the 23-bit random part (meaningful when HasRandom).
func (f NameFields) Random() uint32 { return uint32(f.SizeField>>32) & sizeRandomMask }

// FileSize is the size a client decodes from the name (§7.5): the low 32
// bits when there is a random part or a trunk flag, else the whole field.
// Appender and slave names do not carry their current size.
func (f NameFields) FileSize() int64 {
	if f.HasRandom() || f.IsTrunk() {
		return int64(uint32(f.SizeField))
	}
	return int64(f.SizeField)
}

// SourceIsID reports whether Source is a storage id rather than an IPv4
// address (an IPv4 address ending in .0 is misread as an id, as in C).
func (f NameFields) SourceIsID() bool { return f.Source > 0 && f.Source <= maxSourceID }

// SourceIPv4 returns the address octets of Source.
func (f NameFields) SourceIPv4() [4]byte {
	var ip [4]byte
	binary.LittleEndian.PutUint32(ip[:], f.Source)
	return ip
}

// AppendSource appends the source as C prints it: the decimal storage id,
// or the dotted IPv4 address.
func (f NameFields) AppendSource(dst []byte) []byte {
	if f.SourceIsID() {
		return strconv.AppendUint(dst, uint64(f.Source), 10)
	}
	ip := f.SourceIPv4()
	for i, o := range ip {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, uint64(o), 10)
	}
	return dst
}

// put writes the 20 raw bytes.
func (f NameFields) put(b *[20]byte) {
	binary.LittleEndian.PutUint32(b[0:], f.Source)
	binary.BigEndian.PutUint32(b[4:], f.Timestamp)
	binary.BigEndian.PutUint64(b[8:], f.SizeField)
	binary.BigEndian.PutUint32(b[16:], f.CRC32)
}

func nameFieldsFrom(b *[20]byte) NameFields {
	return NameFields{
		Source:    binary.LittleEndian.Uint32(b[0:]),
		Timestamp: binary.BigEndian.Uint32(b[4:]),
		SizeField: binary.BigEndian.Uint64(b[8:]),
		CRC32:     binary.BigEndian.Uint32(b[16:]),
	}
}

// AppendB64 appends the 27 characters that encode f.
func (f NameFields) AppendB64(dst []byte) []byte {
	var b [20]byte
	f.put(&b)
	return fidB64Append(dst, b[:])
}

// DecodeNameFields decodes exactly 27 characters strictly: every character
// must be in the alphabet and the last one's two unused bits zero.
func DecodeNameFields(b64 []byte) (NameFields, error) {
	var b [20]byte
	if !fidB64DecodeStrict(b[:], b64) {
		return NameFields{}, invalid("NameFields", "not 27 base64 characters: "+fidQuote(b64))
	}
	return nameFieldsFrom(&b), nil
}

// DecodeNameFieldsC decodes the way every C component does (libfastcommon's
// base64_decode_auto on the 27 bytes after "Mxx/HH/HH/", into a zeroed
// buffer): characters outside the alphabet are skipped, '.' is a padding
// value 0 that also shortens the result, and when the character count does
// not come out even the first byte is zeroed but the bytes decoded so far
// stay. Missing bytes (b64 shorter than 27) count as NULs, which C skips.
// It never fails; for well-formed names it equals DecodeNameFields.
func DecodeNameFieldsC(b64 []byte) NameFields {
	var src [B64PartLen + 1]byte
	copy(src[:B64PartLen], b64)
	src[B64PartLen] = '.' // base64_decode_auto pads 27 to 28
	var out [24]byte
	var combined uint32
	cycle, dummies, o := 0, 0, 0
	for _, c := range src {
		v := fidB64Value(c)
		if c == '.' {
			v = 0
			dummies++
		} else if v < 0 {
			continue
		}
		combined = combined<<6 | uint32(v)
		cycle++
		if cycle == 4 {
			out[o], out[o+1], out[o+2] = byte(combined>>16), byte(combined>>8), byte(combined)
			o += 3
			cycle, combined = 0, 0
		}
	}
	if cycle != 0 {
		out[0] = 0 // C: *dest = '\0' on an uneven count, the rest stays
	} else if n := o - dummies; n >= 0 && n < len(out) {
		out[n] = 0 // C terminates the decoded string
	}
	var b [20]byte
	copy(b[:], out[:20])
	return nameFieldsFrom(&b)
}

// TrunkSlot is the TRUNK(16) part of a trunk name: where the file sits in
// its trunk container (client.md §7.3).
type TrunkSlot struct {
	ID     int32 // container file id, named "%06d" on disk
	Offset int32 // slot offset in the container
	Size   int32 // slot size (24-byte header + content + slack)
}

// AppendB64 appends the 16 characters that encode s.
func (s TrunkSlot) AppendB64(dst []byte) []byte {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:], uint32(s.ID))
	binary.BigEndian.PutUint32(b[4:], uint32(s.Offset))
	binary.BigEndian.PutUint32(b[8:], uint32(s.Size))
	return fidB64Append(dst, b[:])
}

// DecodeTrunkSlot strictly decodes the 16-character trunk part.
func DecodeTrunkSlot(b64 []byte) (TrunkSlot, error) {
	var b [12]byte
	if !fidB64DecodeStrict(b[:], b64) {
		return TrunkSlot{}, invalid("TrunkSlot", "not 16 base64 characters: "+fidQuote(b64))
	}
	return TrunkSlot{
		ID:     int32(binary.BigEndian.Uint32(b[0:])),
		Offset: int32(binary.BigEndian.Uint32(b[4:])),
		Size:   int32(binary.BigEndian.Uint32(b[8:])),
	}, nil
}

// AppendTrunkContainerName appends the on-disk name of trunk container id
// (six zero-padded decimal digits, more when the id needs them).
func AppendTrunkContainerName(dst []byte, id int32) []byte {
	if id >= 0 {
		for d := int32(100000); d > 1 && id < d; d /= 10 {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendInt(dst, int64(id), 10)
}

// fidNameChar reports whether c may appear in a NAME, a prefix or an
// extension: C's fdfs_validate_filename set A-Z a-z 0-9 - _ . — plus ':',
// which C's EXT7 digit formula yields once in 2^31 draws; it is harmless in
// a path.
func fidNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == ':'
}

// fidValidField reports whether b holds only the characters C accepts in
// extensions and slave prefixes (A-Z a-z 0-9 - _ .).
func fidValidField(b []byte) bool {
	for _, c := range b {
		if c == ':' || !fidNameChar(c) {
			return false
		}
	}
	return true
}

// AppendExt7 appends the 7-character extension part for ext: random digits
// from digit, then '.' and ext; 7 digits and no dot for an empty ext. digit
// must return '0'..'9' (tests pass a fixed sequence, servers a PRNG).
func AppendExt7(dst, ext []byte, digit func() byte) ([]byte, error) {
	if len(ext) > ExtSize || !fidValidField(ext) {
		return dst, invalid("Ext7", "bad extension "+fidQuote(ext))
	}
	pad := Ext7Len
	if len(ext) > 0 {
		pad = ExtSize - len(ext)
	}
	for range pad {
		d := digit()
		if d < '0' || d > '9' {
			return dst, invalid("Ext7", "digit source gave "+strconv.QuoteRune(rune(d)))
		}
		dst = append(dst, d)
	}
	if len(ext) > 0 {
		dst = append(dst, '.')
		dst = append(dst, ext...)
	}
	return dst, nil
}

// ParseExt7 splits a 7-character extension part into its digits and the
// extension (empty when there is no dot). It aliases b.
func ParseExt7(b []byte) (digits, ext []byte, err error) {
	if len(b) != Ext7Len {
		return nil, nil, invalid("Ext7", "not 7 characters: "+fidQuote(b))
	}
	dot := len(b)
	for i, c := range b {
		if c == '.' {
			dot = i
			break
		}
		if c < '0' || c > ':' { // ':' is C's rare tenth digit
			return nil, nil, invalid("Ext7", "non-digit before the extension: "+fidQuote(b))
		}
	}
	if dot == len(b) {
		return b, nil, nil
	}
	ext = b[dot+1:]
	if len(ext) == 0 || !fidValidField(ext) {
		return nil, nil, invalid("Ext7", "bad extension: "+fidQuote(b))
	}
	return b[:dot], ext, nil
}

// FileName is a name as the storage generates it: normal and appender
// (44-character logic name) or trunk (60, when Fields has the trunk flag).
type FileName struct {
	StorePath int // 0-255, the Mxx index
	High, Low byte
	Fields    NameFields
	Trunk     TrunkSlot // written only when Fields.IsTrunk()
	Ext7      [Ext7Len]byte
}

// Len is the logic name length: 44, or 60 for trunk names.
func (n *FileName) Len() int {
	if n.Fields.IsTrunk() {
		return TrunkNameLen
	}
	return NormalNameLen
}

// Append appends the logic name "Mxx/HH/HH/" + B64 [+ TRUNK] + EXT7.
func (n *FileName) Append(dst []byte) []byte {
	dst = fidAppendLogicPrefix(dst, n.StorePath)
	dst = fidAppendHex2(dst, n.High)
	dst = append(dst, '/')
	dst = fidAppendHex2(dst, n.Low)
	dst = append(dst, '/')
	dst = n.Fields.AppendB64(dst)
	if n.Fields.IsTrunk() {
		dst = n.Trunk.AppendB64(dst)
	}
	return append(dst, n.Ext7[:]...)
}

// ParseFileName decodes a generated logic name strictly: 44 characters
// without, or 60 with, the trunk flag; upper-case hex directories; strict
// base64; a well-formed EXT7. Slave and metadata names are not generated
// names: use ParseRemoteFilename and RemoteFilename.Fields for them.
func ParseFileName(logic []byte) (FileName, error) {
	var n FileName
	rf, err := ParseRemoteFilename(logic, MaxStorePaths)
	if err != nil {
		return n, err
	}
	if rf.Legacy {
		return n, invalid("FileName", "no Mxx/ prefix: "+fidQuote(logic))
	}
	if len(logic) != NormalNameLen && len(logic) != TrunkNameLen {
		return n, invalid("FileName", "length "+strconv.Itoa(len(logic))+", want 44 or 60: "+fidQuote(logic))
	}
	if n.Fields, err = rf.Fields(); err != nil {
		return n, err
	}
	rest := rf.Name[B64PartLen:]
	if n.Fields.IsTrunk() != (len(logic) == TrunkNameLen) {
		return n, invalid("FileName", "trunk flag does not match the length: "+fidQuote(logic))
	}
	if n.Fields.IsTrunk() {
		if n.Trunk, err = DecodeTrunkSlot(rest[:TrunkPartLen]); err != nil {
			return n, err
		}
		rest = rest[TrunkPartLen:]
	}
	if _, _, err = ParseExt7(rest); err != nil {
		return n, err
	}
	n.StorePath, n.High, n.Low = rf.StorePath, rf.High, rf.Low
	copy(n.Ext7[:], rest)
	return n, nil
}

// FileKind is what a name says its file is.
type FileKind uint8

const (
	KindNormal FileKind = iota
	KindAppender
	KindTrunk
	KindSlave
)

func (k FileKind) String() string {
	switch k {
	case KindNormal:
		return "normal"
	case KindAppender:
		return "appender"
	case KindTrunk:
		return "trunk"
	case KindSlave:
		return "slave"
	}
	return "FileKind(" + strconv.Itoa(int(k)) + ")"
}

// ClassifyName applies C's heuristic (client.md §7.4-7.5) to a logic name
// of length logicLen: the appender flag wins; a slave is longer than 60, or
// longer than 44 without the trunk flag (so "-m" names count as slaves);
// a trunk name is 60 long with the flag. A slave made from a very short
// prefix can be misread as normal, exactly as C misreads it.
func ClassifyName(logicLen int, f NameFields) FileKind {
	switch {
	case f.IsAppender():
		return KindAppender
	case logicLen > TrunkNameLen || logicLen > NormalNameLen && !f.IsTrunk():
		return KindSlave
	case logicLen == TrunkNameLen && f.IsTrunk():
		return KindTrunk
	}
	return KindNormal
}

// RemoteFilename is a validated remote filename (logic name, no group). Its
// slices alias the parsed bytes.
type RemoteFilename struct {
	Logic     []byte // the whole name as given
	StorePath int    // Mxx; 0 for a Legacy name
	Legacy    bool   // pre-V1.12 form without "Mxx/": the whole name is the true name
	High, Low byte   // the HH/HH directories
	TrueName  []byte // "HH/HH/NAME", relative to <store path>/data
	Name      []byte // NAME, the file in its directory
}

// ParseRemoteFilename validates a remote filename the way our storage must
// before it touches the disk, and returns its parts. It applies C's checks
// (length > 10; "Mxx/" with two hex digits naming a store path below
// storePaths; "HH/HH/" in upper-case hex; no further '/') and, so that no
// name can leave its directory, also requires the whole name to be at most
// 127 bytes and NAME to be non-empty, not to start with '.', and to hold
// only A-Z a-z 0-9 - _ . : (every name C generates does). Errors are EINVAL
// and quote the name.
func ParseRemoteFilename(logic []byte, storePaths int) (RemoteFilename, error) {
	rf := RemoteFilename{Logic: logic}
	if len(logic) <= LogicPathLen {
		return rf, fidBadName(logic, "too short")
	}
	if len(logic) > MaxFilenameLen {
		return rf, fidBadName(logic, "longer than 127")
	}
	tn := logic
	if logic[0] == 'M' {
		if logic[3] != '/' {
			return rf, fidBadName(logic, "no '/' after Mxx")
		}
		hi, lo := fidHexValue(logic[1], true), fidHexValue(logic[2], true)
		if hi < 0 || lo < 0 {
			return rf, fidBadName(logic, "store path index not hex")
		}
		rf.StorePath = hi<<4 | lo
		tn = logic[4:]
	} else {
		rf.Legacy = true
	}
	if rf.StorePath >= storePaths {
		return rf, fidBadName(logic, "store path index "+strconv.Itoa(rf.StorePath)+
			" not below "+strconv.Itoa(storePaths))
	}
	if len(tn) < TruePathLen || tn[2] != '/' || tn[5] != '/' {
		return rf, fidBadName(logic, "no HH/HH/ directories")
	}
	h1, h2 := fidHexValue(tn[0], false), fidHexValue(tn[1], false)
	l1, l2 := fidHexValue(tn[3], false), fidHexValue(tn[4], false)
	if h1 < 0 || h2 < 0 || l1 < 0 || l2 < 0 {
		return rf, fidBadName(logic, "directories not upper-case hex")
	}
	name := tn[TruePathLen:]
	if len(name) == 0 || name[0] == '.' {
		return rf, fidBadName(logic, "empty or dot file name")
	}
	for _, c := range name {
		if !fidNameChar(c) {
			return rf, fidBadName(logic, "character "+strconv.QuoteRune(rune(c))+" in the file name")
		}
	}
	rf.High, rf.Low = byte(h1<<4|h2), byte(l1<<4|l2)
	rf.TrueName, rf.Name = tn, name
	return rf, nil
}

// Fields strictly decodes the 27 characters that start NAME (logic offset
// 10 for "Mxx/" names, where C reads them).
func (rf *RemoteFilename) Fields() (NameFields, error) {
	if len(rf.Name) < B64PartLen {
		return NameFields{}, invalid("NameFields", "name too short to decode: "+fidQuote(rf.Logic))
	}
	return DecodeNameFields(rf.Name[:B64PartLen])
}

// Kind classifies the name with ClassifyName.
func (rf *RemoteFilename) Kind(f NameFields) FileKind { return ClassifyName(len(rf.Logic), f) }

// AppendSlaveName appends the logic name of the slave of master with the
// given prefix and extension (client.md §7.4, C's fdfs_gen_slave_filename
// with the request's extension): the master's true name up to the first '.'
// of its last 7 characters, then prefix, then ext with a leading '.' added
// unless it has one (an empty ext gives no extension). EINVAL for a master
// true name shorter than 34, bad prefix or ext characters, prefix "-m" with
// no extension (it would name a metadata file), an empty prefix that keeps
// the master's extension, or a result longer than 127.
func AppendSlaveName(dst []byte, master *RemoteFilename, prefix, ext []byte) ([]byte, error) {
	tn := master.TrueName
	if len(tn) < MinMasterTrueLen {
		return dst, invalid("SlaveName", "master too short: "+fidQuote(master.Logic))
	}
	if len(prefix) > PrefixSize || !fidValidField(prefix) {
		return dst, invalid("SlaveName", "bad prefix "+fidQuote(prefix))
	}
	if len(ext) > ExtSize || !fidValidField(ext) {
		return dst, invalid("SlaveName", "bad extension "+fidQuote(ext))
	}
	base := tn
	var masterExt []byte
	for i := len(tn) - Ext7Len; i < len(tn); i++ {
		if tn[i] == '.' {
			base, masterExt = tn[:i], tn[i:]
			break
		}
	}
	var buf [ExtSize + 1]byte
	trueExt := buf[:0]
	if len(ext) > 0 {
		if ext[0] != '.' {
			trueExt = append(trueExt, '.')
		}
		trueExt = append(trueExt, ext...)
	}
	if len(trueExt) == 0 && string(prefix) == "-m" {
		return dst, invalid("SlaveName", "prefix -m without extension names a metadata file")
	}
	if len(prefix) == 0 && string(masterExt) == string(trueExt) {
		return dst, invalid("SlaveName", "empty prefix with the master's extension")
	}
	if 4+len(base)+len(prefix)+len(trueExt) > MaxFilenameLen {
		return dst, invalid("SlaveName", "slave name longer than 127 for "+fidQuote(master.Logic))
	}
	dst = fidAppendLogicPrefix(dst, master.StorePath)
	dst = append(dst, base...)
	dst = append(dst, prefix...)
	return append(dst, trueExt...), nil
}

// SplitFileID splits "group/remote filename" at the first '/'. The group
// must be a valid group name; the remote part is returned unvalidated (see
// ParseRemoteFilename). Both alias id.
func SplitFileID(id []byte) (group, remote []byte, err error) {
	for i, c := range id {
		if c == FileIDSeparator {
			group, remote = id[:i], id[i+1:]
			if !ValidGroupName(group) || len(remote) == 0 {
				break
			}
			return group, remote, nil
		}
	}
	return nil, nil, invalid("FileID", "not group/remote filename: "+fidQuote(id))
}

// AppendFileID appends "group/remote".
func AppendFileID(dst, group, remote []byte) []byte {
	dst = append(dst, group...)
	dst = append(dst, FileIDSeparator)
	return append(dst, remote...)
}

func fidAppendLogicPrefix(dst []byte, storePath int) []byte {
	dst = append(dst, 'M')
	dst = fidAppendHex2(dst, byte(storePath))
	return append(dst, '/')
}

func fidAppendHex2(dst []byte, b byte) []byte {
	const hex = "0123456789ABCDEF"
	return append(dst, hex[b>>4], hex[b&15])
}

// fidHexValue is the value of a hex digit, lower case allowed only when
// lower is true; -1 otherwise.
func fidHexValue(c byte, lower bool) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	case lower && c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

func fidBadName(logic []byte, reason string) *Error {
	return invalid("RemoteFilename", reason+": "+fidQuote(logic))
}

// fidQuote quotes untrusted bytes for an error message, cut at 160 bytes.
func fidQuote(b []byte) string {
	if len(b) > 160 {
		return strconv.Quote(string(b[:160])) + "..."
	}
	return strconv.Quote(string(b))
}
