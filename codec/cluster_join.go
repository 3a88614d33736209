package codec

import (
	"bytes"
	"iter"
	"strconv"
)

// JoinDialect is the layout of a STORAGE_JOIN (81) body. The C tracker only
// accepts its own dialect; the older ones are decoded so a tracker can name
// what an old storage sent, and encoded for tests.
type JoinDialect uint8

const (
	JoinHEAD JoinDialect = iota // V6.15–V6.16: 145-byte fixed part, tracker list as '\n' lines
	JoinV613                    // V6.13–V6.14: 145 + 100-byte NUL-padded entries
	JoinV611                    // V6.11–V6.12: 281 + 100-byte entries (http port, domain, id, 46-byte IP)
	JoinV600                    // V6.00–V6.10: 235 + 40-byte entries (http port, domain, 16-byte IP)
	JoinV5                      // V4.x–V5.12: 219 + 22-byte entries (http port, domain)
)

func (d JoinDialect) String() string {
	switch d {
	case JoinHEAD:
		return "HEAD"
	case JoinV613:
		return "V6.13"
	case JoinV611:
		return "V6.11"
	case JoinV600:
		return "V6.00"
	case JoinV5:
		return "V5"
	}
	return "JoinDialect(" + strconv.Itoa(int(d)) + ")"
}

// joinLayout says which optional fields a dialect carries and how big its
// fixed part and tracker entries are.
type joinLayout struct {
	fixed      int  // fixed part size
	entry      int  // tracker entry size; 0: '\n'-terminated text lines
	httpDomain bool // storage_http_port after storage_port, domain_name[128] after version
	storageID  bool // storage_id[16] after status
	trackerIP  int  // current_tracker_ip field size (0: absent)
}

// layout is the dialect's layout; unknown values read as HEAD.
func (d JoinDialect) layout() joinLayout {
	switch d {
	case JoinV613:
		return joinLayout{fixed: 145, entry: 100, storageID: true, trackerIP: IPv6AddrSize}
	case JoinV611:
		return joinLayout{fixed: 281, entry: 100, httpDomain: true, storageID: true, trackerIP: IPv6AddrSize}
	case JoinV600:
		return joinLayout{fixed: 235, entry: 40, httpDomain: true, trackerIP: IPv4AddrSize}
	case JoinV5:
		return joinLayout{fixed: 219, entry: 22, httpDomain: true}
	}
	return joinLayout{fixed: JoinFixedSize, entry: 0, storageID: true, trackerIP: IPv6AddrSize}
}

// Join limits.
const (
	JoinFixedSize     = 145 // HEAD fixed part
	JoinReplySize     = 1 + StorageIDSize
	MaxTrackers       = 16  // FDFS_MAX_TRACKERS
	joinMaxLineLen    = 100 // bytes one tracker line may take, '\n' included (body <= 145 + count*100)
	joinDomainNameLen = 128 // FDFS_DOMAIN_NAME_MAX_SIZE, old dialects only
)

// StorageJoinRequest is the STORAGE_JOIN (81) body a storage sends to every
// tracker on its report connection.
type StorageJoinRequest struct {
	Dialect            JoinDialect
	GroupName          []byte // 17-byte field: 16 chars + NUL
	StoragePort        int64
	HTTPPort           int64 // old dialects only
	StorePathCount     int64
	SubdirCountPerPath int64
	UploadPriority     int64
	JoinTime           int64
	UpTime             int64
	Version            []byte // 8-byte field, "6.16.1"; may fill all 8 bytes
	DomainName         []byte // old dialects only, 128-byte field
	InitFlag           bool   // the storage has not finished its "sync old" setup
	Status             int8   // own status as the leader last listed it, or 0 / -1
	StorageID          []byte // V6.11+, zeros unless use_storage_id
	CurrentTrackerIP   []byte // V6.00+: the tracker this connection targets
	TrackerCount       int64
	// TrackerList is the raw tracker list: '\n'-terminated "ip:port" lines
	// (HEAD) or fixed NUL-padded entries (older). Read it with Trackers,
	// build it with AddTracker.
	TrackerList []byte
}

func (r *StorageJoinRequest) layout() joinLayout { return r.Dialect.layout() }

// AddTracker appends one tracker entry ("ip:port", "ip1,ip2:port",
// "[v6]:port") in the dialect's form and counts it.
func (r *StorageJoinRequest) AddTracker(addr []byte) {
	if l := r.layout(); l.entry > 0 {
		r.TrackerList = AppendFixedBytes(r.TrackerList, addr, l.entry)
	} else {
		r.TrackerList = append(append(r.TrackerList, addr...), '\n')
	}
	r.TrackerCount++
}

// Trackers yields the tracker entries of the list, without '\n' or padding.
func (r *StorageJoinRequest) Trackers() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		list := r.TrackerList
		entry := r.layout().entry
		for len(list) > 0 {
			var e []byte
			if entry > 0 {
				n := min(entry, len(list))
				e, list = FixedBytes(list[:n]), list[n:]
			} else {
				i := bytes.IndexByte(list, '\n')
				if i < 0 {
					e, list = list, nil
				} else {
					e, list = list[:i], list[i+1:]
				}
			}
			if !yield(e) {
				return
			}
		}
	}
}

// Size is the body length.
func (r *StorageJoinRequest) Size() int { return r.layout().fixed + len(r.TrackerList) }

// Append appends the body in r.Dialect.
func (r *StorageJoinRequest) Append(dst []byte) []byte {
	l := r.layout()
	dst = AppendFixedBytes(dst, r.GroupName, GroupNameStatSize)
	dst = AppendInt64(dst, r.StoragePort)
	if l.httpDomain {
		dst = AppendInt64(dst, r.HTTPPort)
	}
	dst = AppendInt64(dst, r.StorePathCount)
	dst = AppendInt64(dst, r.SubdirCountPerPath)
	dst = AppendInt64(dst, r.UploadPriority)
	dst = AppendInt64(dst, r.JoinTime)
	dst = AppendInt64(dst, r.UpTime)
	dst = AppendFixedBytes(dst, r.Version, VersionSize)
	if l.httpDomain {
		dst = AppendFixedBytes(dst, r.DomainName, joinDomainNameLen)
	}
	var init byte
	if r.InitFlag {
		init = 1
	}
	dst = append(dst, init, byte(r.Status))
	if l.storageID {
		dst = AppendFixedBytes(dst, r.StorageID, StorageIDSize)
	}
	if l.trackerIP > 0 {
		dst = AppendFixedBytes(dst, r.CurrentTrackerIP, l.trackerIP)
	}
	dst = AppendInt64(dst, r.TrackerCount)
	return append(dst, r.TrackerList...)
}

// Decode reads a HEAD-dialect body with the C tracker's rules: at least the
// 145-byte fixed part, 1..16 trackers, at most 145 + count*100 bytes, a
// group name of [A-Za-z0-9], and (ours, stricter) exactly tracker_count
// non-empty '\n'-terminated lines.
func (r *StorageJoinRequest) Decode(body []byte) error {
	return r.decodeDialect(body, JoinHEAD)
}

// DecodeAnyDialect tells the dialect from the body length (HEAD 145+text,
// V6.13 145+100n, V6.11 281+100n, V6.00 235+40n, V5 219+22n, n read at each
// dialect's tracker_count offset) and decodes it.
func (r *StorageJoinRequest) DecodeAnyDialect(body []byte) error {
	err := r.decodeDialect(body, JoinHEAD)
	if err == nil {
		return nil
	}
	for d := JoinV613; d <= JoinV5; d++ {
		l := d.layout()
		if len(body) < l.fixed {
			continue
		}
		n := Int64(body[l.fixed-8:])
		if n < 1 || n > MaxTrackers || int64(len(body)) != int64(l.fixed)+n*int64(l.entry) {
			continue
		}
		return r.decodeDialect(body, d)
	}
	return err
}

func (r *StorageJoinRequest) decodeDialect(body []byte, d JoinDialect) error {
	l := d.layout()
	if len(body) < l.fixed {
		return badLength("StorageJoinRequest", len(body), ">= "+strconv.Itoa(l.fixed))
	}
	r.Dialect = d
	p := body
	take := func(n int) []byte {
		f := p[:n]
		p = p[n:]
		return f
	}
	r.GroupName = FixedBytes(take(GroupNameStatSize))
	r.StoragePort = Int64(take(8))
	r.HTTPPort, r.DomainName = 0, nil
	if l.httpDomain {
		r.HTTPPort = Int64(take(8))
	}
	r.StorePathCount = Int64(take(8))
	r.SubdirCountPerPath = Int64(take(8))
	r.UploadPriority = Int64(take(8))
	r.JoinTime = Int64(take(8))
	r.UpTime = Int64(take(8))
	r.Version = FixedBytes(take(VersionSize))
	if l.httpDomain {
		r.DomainName = FixedBytes(take(joinDomainNameLen))
	}
	r.InitFlag = take(1)[0] != 0
	r.Status = int8(take(1)[0])
	r.StorageID, r.CurrentTrackerIP = nil, nil
	if l.storageID {
		r.StorageID = FixedBytes(take(StorageIDSize))
	}
	if l.trackerIP > 0 {
		r.CurrentTrackerIP = FixedBytes(take(l.trackerIP))
	}
	r.TrackerCount = Int64(take(8))
	r.TrackerList = p

	if !ValidGroupName(r.GroupName) {
		return invalid("StorageJoinRequest", "invalid group name "+strconv.Quote(string(r.GroupName)))
	}
	if r.TrackerCount < 1 || r.TrackerCount > MaxTrackers {
		return invalid("StorageJoinRequest", "tracker_count "+strconv.FormatInt(r.TrackerCount, 10)+", want 1..16")
	}
	if l.entry > 0 {
		if int64(len(p)) != r.TrackerCount*int64(l.entry) {
			return badLength("StorageJoinRequest", len(body),
				strconv.Itoa(l.fixed)+" + "+strconv.FormatInt(r.TrackerCount, 10)+"*"+strconv.Itoa(l.entry))
		}
		return nil
	}
	if int64(len(p)) > r.TrackerCount*joinMaxLineLen {
		return badLength("StorageJoinRequest", len(body),
			"<= 145 + "+strconv.FormatInt(r.TrackerCount, 10)+"*100")
	}
	lines := int64(0)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i <= 0 {
			return invalid("StorageJoinRequest", "tracker list: empty or unterminated line")
		}
		lines++
		p = p[i+1:]
	}
	if lines != r.TrackerCount {
		return invalid("StorageJoinRequest", "tracker list has "+strconv.FormatInt(lines, 10)+
			" lines, tracker_count "+strconv.FormatInt(r.TrackerCount, 10))
	}
	return nil
}

// StorageJoinReply is the 17-byte JOIN reply: the tracker's view of the
// storage after the join and the id of its sync source (empty if none).
type StorageJoinReply struct {
	Status byte
	SrcID  []byte
}

// Size is the body length.
func (r *StorageJoinReply) Size() int { return JoinReplySize }

// Append appends the body.
func (r *StorageJoinReply) Append(dst []byte) []byte {
	dst = append(dst, r.Status)
	return AppendFixedBytes(dst, r.SrcID, StorageIDSize)
}

// Decode reads a 17-byte reply (V5 trackers answered 16 bytes, src id only;
// the HEAD storage refuses those).
func (r *StorageJoinReply) Decode(body []byte) error {
	if len(body) != JoinReplySize {
		return badLength("StorageJoinReply", len(body), "17")
	}
	r.Status = body[0]
	r.SrcID = FixedBytes(body[1:])
	return nil
}
