package codec

import "strconv"

// Sizes of FDFSStorageBrief, the record a tracker uses to name a storage to
// another storage: HEAD (46-byte IP field, since V6.11) and the older form
// with a 16-byte IP field.
const (
	StorageBriefSize    = 1 + 4 + StorageIDSize + IPv6AddrSize // 67
	StorageBriefSizeOld = 1 + 4 + StorageIDSize + IPv4AddrSize // 37
)

// StorageBrief is FDFSStorageBrief: status, port, id and IP of a storage. It
// appears in change notices, REPORT_STATUS, REPLICA_CHG and the GET_STATUS
// reply.
type StorageBrief struct {
	Status byte  // storage status (0 INIT … 7 ACTIVE, 9 RECOVERY, 99 NONE)
	Port   int32 // 0 in REPORT_STATUS briefs sent by C storages
	ID     []byte
	IP     []byte
}

// Size is the HEAD record size.
func (b *StorageBrief) Size() int { return StorageBriefSize }

// Append appends the 67-byte HEAD record.
func (b *StorageBrief) Append(dst []byte) []byte { return b.appendSized(dst, IPv6AddrSize) }

// AppendOld appends the 37-byte pre-V6.11 record (IP cut to 16 bytes).
func (b *StorageBrief) AppendOld(dst []byte) []byte { return b.appendSized(dst, IPv4AddrSize) }

func (b *StorageBrief) appendSized(dst []byte, ipSize int) []byte {
	dst = append(dst, b.Status)
	dst = AppendInt32(dst, b.Port)
	dst = AppendFixedBytes(dst, b.ID, StorageIDSize)
	return AppendFixedBytes(dst, b.IP, ipSize)
}

// Decode reads a 67-byte HEAD record.
func (b *StorageBrief) Decode(body []byte) error {
	if len(body) != StorageBriefSize {
		return badLength("StorageBrief", len(body), "67")
	}
	b.decodeSized(body, IPv6AddrSize)
	return nil
}

// DecodeOld reads a 37-byte pre-V6.11 record.
func (b *StorageBrief) DecodeOld(body []byte) error {
	if len(body) != StorageBriefSizeOld {
		return badLength("StorageBrief", len(body), "37")
	}
	b.decodeSized(body, IPv4AddrSize)
	return nil
}

// decodeSized reads one record from rec, whose length the caller checked.
func (b *StorageBrief) decodeSized(rec []byte, ipSize int) {
	b.Status = rec[0]
	b.Port = Int32(rec[1:])
	b.ID = FixedBytes(rec[5 : 5+StorageIDSize])
	b.IP = FixedBytes(rec[5+StorageIDSize : 5+StorageIDSize+ipSize])
}

// briefRecordSize is the record size for an IP field of ipSize bytes.
func briefRecordSize(ipSize int) int { return 1 + 4 + StorageIDSize + ipSize }

// Change-notice flag bits (FDFS_CHANGE_FLAG_*): which briefs follow.
const (
	ChangeTrackerLeader byte = 0x01 // one brief: the leader tracker (all zeros if none)
	ChangeTrunkServer   byte = 0x02 // one brief: the group's trunk server (all zeros if none)
	ChangeGroupServers  byte = 0x04 // one brief per member of the group, sorted by id
)

// MaxGroupServers is FDFS_MAX_SERVERS_EACH_GROUP.
const MaxGroupServers = 32

// ChangeNotice is the reply to BEAT (83), REPORT_DISK_USAGE (84) and
// SYNC_REPORT (89): a flags byte, then the leader brief, the trunk-server
// brief and the member briefs, each present only when its flag is set.
// Followers answer the flags byte alone (0).
type ChangeNotice struct {
	Flags       byte
	Leader      StorageBrief // valid with ChangeTrackerLeader
	TrunkServer StorageBrief // valid with ChangeTrunkServer
	// Members holds the member records raw (with ChangeGroupServers); read
	// them with Member, add them with AddMember.
	Members []byte
	// IPSize is the IP field width of every brief: IPv6AddrSize (HEAD, also
	// when 0) or IPv4AddrSize (pre-V6.11). Decode sets it from the length.
	IPSize int
}

func (n *ChangeNotice) ipSize() int {
	if n.IPSize == 0 {
		return IPv6AddrSize
	}
	return n.IPSize
}

// MemberCount is the number of member briefs.
func (n *ChangeNotice) MemberCount() int { return len(n.Members) / briefRecordSize(n.ipSize()) }

// Member returns member brief i (0 <= i < MemberCount()).
func (n *ChangeNotice) Member(i int) StorageBrief {
	size := briefRecordSize(n.ipSize())
	var b StorageBrief
	b.decodeSized(n.Members[i*size:(i+1)*size], n.ipSize())
	return b
}

// AddMember appends a member brief and sets ChangeGroupServers.
func (n *ChangeNotice) AddMember(b *StorageBrief) {
	n.Flags |= ChangeGroupServers
	n.Members = b.appendSized(n.Members, n.ipSize())
}

// Size is the body length.
func (n *ChangeNotice) Size() int {
	size := 1 + len(n.Members)
	rec := briefRecordSize(n.ipSize())
	if n.Flags&ChangeTrackerLeader != 0 {
		size += rec
	}
	if n.Flags&ChangeTrunkServer != 0 {
		size += rec
	}
	return size
}

// Append appends the body. Members is written only with ChangeGroupServers.
func (n *ChangeNotice) Append(dst []byte) []byte {
	dst = append(dst, n.Flags)
	ip := n.ipSize()
	if n.Flags&ChangeTrackerLeader != 0 {
		dst = n.Leader.appendSized(dst, ip)
	}
	if n.Flags&ChangeTrunkServer != 0 {
		dst = n.TrunkServer.appendSized(dst, ip)
	}
	if n.Flags&ChangeGroupServers != 0 {
		dst = append(dst, n.Members...)
	}
	return dst
}

// Decode reads a change notice. The record size (67 or 37) follows from the
// length: 67 and 37 are coprime and at most 34 records fit a reply (the C
// storage's receive buffer is 1+34*67), so no length fits both. Flag bits
// other than the three defined ones are kept and ignored, as C does.
func (n *ChangeNotice) Decode(body []byte) error {
	if len(body) == 0 {
		return badLength("ChangeNotice", 0, ">= 1")
	}
	n.Flags = body[0]
	n.Leader, n.TrunkServer = StorageBrief{}, StorageBrief{}
	n.Members = nil
	rest := body[1:]
	fixed := 0
	if n.Flags&ChangeTrackerLeader != 0 {
		fixed++
	}
	if n.Flags&ChangeTrunkServer != 0 {
		fixed++
	}
	ipSize := 0
	for _, ip := range [2]int{IPv6AddrSize, IPv4AddrSize} {
		rec := briefRecordSize(ip)
		if len(rest)%rec != 0 {
			continue
		}
		count := len(rest) / rec
		if count < fixed || count > fixed+MaxGroupServers ||
			n.Flags&ChangeGroupServers == 0 && count != fixed {
			continue
		}
		ipSize = ip
		break
	}
	if ipSize == 0 {
		return invalid("ChangeNotice", "flags 0x"+strconv.FormatUint(uint64(n.Flags), 16)+
			" with "+strconv.Itoa(len(rest))+" bytes of briefs")
	}
	n.IPSize = ipSize
	rec := briefRecordSize(ipSize)
	if n.Flags&ChangeTrackerLeader != 0 {
		n.Leader.decodeSized(rest[:rec], ipSize)
		rest = rest[rec:]
	}
	if n.Flags&ChangeTrunkServer != 0 {
		n.TrunkServer.decodeSized(rest[:rec], ipSize)
		rest = rest[rec:]
	}
	if n.Flags&ChangeGroupServers != 0 {
		n.Members = rest
	}
	return nil
}
