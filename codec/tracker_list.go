package codec

import "strconv"

// The monitor lists of the tracker (client.md §4.5, §4.6, §10.2; cluster.md
// §1.12): LIST_ONE_GROUP (90) and LIST_ALL_GROUPS (91) answer group-stat
// records, LIST_STORAGE (92) storage-stat records. Their layout depends on
// the release the client was built from, so every record carries its
// ListDialect; the stock fdfs_monitor of one release cannot read another
// release's records.

// domainNameSize is domain_name[128] of the records before V6.13.
const domainNameSize = 128

// Storage read/write modes (rw_mode, V6.13+): the Linux R_OK/W_OK bits.
const (
	RWModeNone  byte = 0
	RWModeWrite byte = 2
	RWModeRead  byte = 4
	RWModeBoth  byte = 6
)

// GroupStat is one group-stat record. Which fields are on the wire depends
// on Dialect:
//
//	V6.13.1+ (113): TotalMB FreeMB ReservedMB TrunkFreeMB StorageCount StoragePort
//	                ReadableServerCount WritableServerCount CurrentWriteServer
//	                StorePathCount SubdirCountPerPath CurrentTrunkFileID
//	V6.13.0  (105): as V6.13.1 without ReservedMB
//	≤ V6.12  (105): TotalMB FreeMB TrunkFreeMB StorageCount StoragePort
//	                StorageHTTPPort ActiveCount CurrentWriteServer
//	                StorePathCount SubdirCountPerPath CurrentTrunkFileID
//
// each an int64 after the group name (str[17], always NUL-terminated).
// Fields the dialect lacks are written nowhere and decode as zero.
type GroupStat struct {
	Dialect ListDialect

	GroupName           []byte
	TotalMB             int64
	FreeMB              int64
	ReservedMB          int64 // V6.13.1+
	TrunkFreeMB         int64
	StorageCount        int64 // all storages of the group
	StoragePort         int64
	StorageHTTPPort     int64 // before V6.13
	ActiveCount         int64 // before V6.13
	ReadableServerCount int64 // V6.13+
	WritableServerCount int64 // V6.13+
	CurrentWriteServer  int64 // index
	StorePathCount      int64
	SubdirCountPerPath  int64
	CurrentTrunkFileID  int64 // -1 with trunk off since V6.13
}

// fields lists the int64 fields of the dialect in wire order.
func (g *GroupStat) fields() ([12]*int64, int) {
	l := g.Dialect.layout()
	var f [12]*int64
	n := 0
	add := func(p *int64) { f[n] = p; n++ }
	add(&g.TotalMB)
	add(&g.FreeMB)
	if l.groupRes {
		add(&g.ReservedMB)
	}
	add(&g.TrunkFreeMB)
	add(&g.StorageCount)
	add(&g.StoragePort)
	if l.groupRW {
		add(&g.ReadableServerCount)
		add(&g.WritableServerCount)
	} else {
		add(&g.StorageHTTPPort)
		add(&g.ActiveCount)
	}
	add(&g.CurrentWriteServer)
	add(&g.StorePathCount)
	add(&g.SubdirCountPerPath)
	add(&g.CurrentTrunkFileID)
	return f, n
}

func (g *GroupStat) Size() int { return g.Dialect.GroupStatSize() }

func (g *GroupStat) Append(dst []byte) []byte {
	dst = appendListName(dst, g.GroupName, GroupNameStatSize)
	f, n := g.fields()
	for _, p := range f[:n] {
		dst = AppendInt64(dst, *p)
	}
	return dst
}

// Decode reads one record of g.Dialect's size.
func (g *GroupStat) Decode(body []byte) error {
	if len(body) != g.Size() {
		return badLength("GroupStat", len(body), strconv.Itoa(g.Size())+" ("+g.Dialect.String()+")")
	}
	g.decode(body)
	return nil
}

func (g *GroupStat) decode(b []byte) {
	d := g.Dialect
	*g = GroupStat{Dialect: d, GroupName: decodeListName(b[:GroupNameStatSize])}
	f, n := g.fields()
	for i, p := range f[:n] {
		*p = Int64(b[GroupNameStatSize+i*8:])
	}
}

// DecodeGroupStats decodes a LIST_ONE_GROUP / LIST_ALL_GROUPS reply of
// dialect d, appending the records to dst (pass a slice with capacity to
// decode without allocating). An empty body is zero groups.
func DecodeGroupStats(dst []GroupStat, body []byte, d ListDialect) ([]GroupStat, error) {
	size := d.GroupStatSize()
	if len(body)%size != 0 {
		return dst, badLength("GroupStat list", len(body), "a multiple of "+strconv.Itoa(size)+" ("+d.String()+")")
	}
	for ; len(body) > 0; body = body[size:] {
		dst = append(dst, GroupStat{Dialect: d})
		dst[len(dst)-1].decode(body[:size])
	}
	return dst, nil
}

// appendListName appends a NUL-terminated text field of n bytes (names, ids
// and IPs in stat records): a longer text is cut to n-1 bytes so that the
// NUL the C readers rely on stays.
func appendListName(dst, name []byte, n int) []byte {
	if len(name) > n-1 {
		name = name[:n-1]
	}
	return AppendFixedBytes(dst, name, n)
}

// decodeListName reads a field written by appendListName: its last byte is
// the NUL, whatever a sender put there.
func decodeListName(field []byte) []byte { return FixedBytes(field[:len(field)-1]) }

// ListStorageRequest is the body of LIST_STORAGE (92): a group str[16] and,
// optionally, the id (or IP when ids are off) of one storage, 1 to 15 bytes
// without NUL: 16 ≤ len < 32.
type ListStorageRequest struct {
	GroupName []byte
	StorageID []byte // empty: every storage of the group
}

func (r *ListStorageRequest) Size() int { return GroupNameSize + trackerIDLen(r.StorageID) }

func (r *ListStorageRequest) Append(dst []byte) []byte {
	return appendTrackerGroupID(dst, r.GroupName, r.StorageID)
}

func (r *ListStorageRequest) Decode(body []byte) error {
	if len(body) < GroupNameSize || len(body) >= GroupNameSize+StorageIDSize {
		return badLength("ListStorageRequest", len(body), "16 to 31")
	}
	r.GroupName, r.StorageID = splitTrackerGroupID(body)
	return nil
}

// appendTrackerGroupID appends group str[16] and the id unpadded, cut to 15
// bytes (the most a storage id field holds before its NUL).
func appendTrackerGroupID(dst, group, id []byte) []byte {
	dst = AppendFixedBytes(dst, group, GroupNameSize)
	return append(dst, id[:trackerIDLen(id)]...)
}

// trackerIDLen is how much of a storage id goes on the wire: at most 15
// bytes.
func trackerIDLen(id []byte) int { return min(len(id), StorageIDSize-1) }

// splitTrackerGroupID splits a group str[16] + id body; the id ends at the end
// of the body or at a NUL.
func splitTrackerGroupID(body []byte) (group, id []byte) {
	return FixedBytes(body[:GroupNameSize]), FixedBytes(body[GroupNameSize:])
}

// StorageStat is one storage-stat record of LIST_STORAGE (92). Which fields
// are on the wire depends on Dialect (client.md §10.2):
//
//	V6.13+:  Status RWMode ID IP SrcID Version JoinTime UpTime TotalMB FreeMB
//	         [ReservedMB, V6.13.1+] UploadPriority StorePathCount
//	         SubdirCountPerPath CurrentWritePath StoragePort Stat IfTrunkServer
//	≤V6.12:  Status ID IP DomainName SrcID Version JoinTime UpTime TotalMB
//	         FreeMB UploadPriority StorePathCount SubdirCountPerPath
//	         CurrentWritePath StoragePort StorageHTTPPort Stat IfTrunkServer
//
// IP is IPSize wide in ListV6_15, 46 in V6.11–V6.14, 16 before; Version is 8
// bytes since V6.12, 6 before; Stat is 336 bytes (no connection counters)
// before V5.04. Fields the dialect lacks are written nowhere and decode as
// zero.
type StorageStat struct {
	Dialect ListDialect
	IPSize  IPSize // IP width for ListV6_15, set by Decode from the length; the others fix it (Decode: IPSize16)

	Status             byte // storage status (cluster.md §3)
	RWMode             byte // V6.13+: RWModeNone..RWModeBoth
	ID                 []byte
	IP                 []byte
	DomainName         []byte // before V6.13
	SrcID              []byte // sync source storage id, or empty
	Version            []byte
	JoinTime           int64 // unix s
	UpTime             int64 // unix s
	TotalMB            int64
	FreeMB             int64
	ReservedMB         int64 // V6.13.1+
	UploadPriority     int64
	StorePathCount     int64
	SubdirCountPerPath int64
	CurrentWritePath   int64
	StoragePort        int64
	StorageHTTPPort    int64 // before V6.13
	Stat               StatBlock
	IfTrunkServer      bool
}

func (s *StorageStat) Size() int { return s.Dialect.StorageStatSize(s.IPSize) }

// numbers lists the int64 fields between Version and Stat in wire order.
func (s *StorageStat) numbers(l listLayout) ([11]*int64, int) {
	var f [11]*int64
	n := 0
	add := func(p *int64) { f[n] = p; n++ }
	add(&s.JoinTime)
	add(&s.UpTime)
	add(&s.TotalMB)
	add(&s.FreeMB)
	if l.reserved {
		add(&s.ReservedMB)
	}
	add(&s.UploadPriority)
	add(&s.StorePathCount)
	add(&s.SubdirCountPerPath)
	add(&s.CurrentWritePath)
	add(&s.StoragePort)
	if l.domain {
		add(&s.StorageHTTPPort)
	}
	return f, n
}

func (s *StorageStat) Append(dst []byte) []byte {
	l := s.Dialect.layout()
	dst = append(dst, s.Status)
	if l.rwMode {
		dst = append(dst, s.RWMode)
	}
	dst = appendListName(dst, s.ID, StorageIDSize)
	dst = appendListName(dst, s.IP, s.Dialect.StorageStatIPWidth(s.IPSize))
	if l.domain {
		dst = appendListName(dst, s.DomainName, domainNameSize)
	}
	dst = appendListName(dst, s.SrcID, StorageIDSize)
	// V6.16 storages may fill all 8 bytes of the version: no NUL kept here.
	dst = AppendFixedBytes(dst, s.Version, l.versionSize)
	f, n := s.numbers(l)
	for _, p := range f[:n] {
		dst = AppendInt64(dst, *p)
	}
	dst = s.Stat.appendSized(dst, l.statBlock)
	if s.IfTrunkServer {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// storageStatIPSize picks the IP width of ListV6_15 records as the V6.15+
// clients do: n a multiple of 487 means 16, else of 517 means 46. Other
// dialects have one size; ok is false when n fits none.
func storageStatIPSize(d ListDialect, n int) (ipsz IPSize, size int, ok bool) {
	for _, s := range [2]IPSize{IPSize16, IPSize46} {
		size = d.StorageStatSize(s)
		if n%size == 0 {
			return s, size, true
		}
		if d != ListV6_15 {
			break
		}
	}
	return IPSize16, 0, false
}

// Decode reads one record of s.Dialect; for ListV6_15 the length (487 or
// 517) sets IPSize.
func (s *StorageStat) Decode(body []byte) error {
	ipsz, size, ok := storageStatIPSize(s.Dialect, len(body))
	if !ok || len(body) != size {
		return badLength("StorageStat", len(body), storageStatRule(s.Dialect))
	}
	s.decode(body, ipsz)
	return nil
}

func storageStatRule(d ListDialect) string {
	rule := strconv.Itoa(d.StorageStatSize(IPSize16))
	if d == ListV6_15 {
		rule += " or " + strconv.Itoa(d.StorageStatSize(IPSize46))
	}
	return rule + " (" + d.String() + ")"
}

func (s *StorageStat) decode(b []byte, ipsz IPSize) {
	d := s.Dialect
	*s = StorageStat{Dialect: d, IPSize: ipsz}
	l := d.layout()
	s.Status, b = b[0], b[1:]
	if l.rwMode {
		s.RWMode, b = b[0], b[1:]
	}
	s.ID, b = decodeListName(b[:StorageIDSize]), b[StorageIDSize:]
	w := d.StorageStatIPWidth(ipsz)
	s.IP, b = decodeListName(b[:w]), b[w:]
	if l.domain {
		s.DomainName, b = decodeListName(b[:domainNameSize]), b[domainNameSize:]
	}
	s.SrcID, b = decodeListName(b[:StorageIDSize]), b[StorageIDSize:]
	s.Version, b = FixedBytes(b[:l.versionSize]), b[l.versionSize:]
	f, n := s.numbers(l)
	for i, p := range f[:n] {
		*p = Int64(b[i*8:])
	}
	b = b[n*8:]
	s.Stat.decodeSized(b[:l.statBlock], l.statBlock)
	s.IfTrunkServer = b[l.statBlock] != 0
}

// DecodeStorageStats decodes a LIST_STORAGE reply of dialect d, appending
// the records to dst (pass a slice with capacity to decode without
// allocating). For ListV6_15 the record size, and so IPSize, is found from
// the length as the V6.15+ clients do (487 tried first). An empty body is
// zero storages.
func DecodeStorageStats(dst []StorageStat, body []byte, d ListDialect) ([]StorageStat, error) {
	ipsz, size, ok := storageStatIPSize(d, len(body))
	if !ok {
		return dst, badLength("StorageStat list", len(body), "a multiple of "+storageStatRule(d))
	}
	for ; len(body) > 0; body = body[size:] {
		dst = append(dst, StorageStat{Dialect: d})
		dst[len(dst)-1].decode(body[:size], ipsz)
	}
	return dst, nil
}
