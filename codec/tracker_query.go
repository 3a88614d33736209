package codec

// Tracker queries of clients (client.md §4.1–§4.4, cluster.md §1.11): which
// storage to upload to (QUERY_STORE_*), which to read from or update
// (QUERY_FETCH_ONE, QUERY_UPDATE, QUERY_FETCH_ALL). These are the hot tracker
// commands: every client operation starts with one, so all of them encode
// and decode without allocating.

// Fetch request bounds: a group and a remote filename of 22 to 127 bytes.
const (
	minFetchRequestSize = GroupNameSize + 22
	maxFetchRequestSize = GroupNameSize + MaxFilenameLen // inclusive; C: pkg_len < 144
)

// DecodeEmptyRequest checks the body of a request that has none: QUERY_STORE
// without group (101, 106), LIST_ALL_GROUPS (91), GET_LEADER (95),
// PARAMETER_REQ (75). The C tracker answers EINVAL to any body.
func DecodeEmptyRequest(cmd byte, body []byte) error {
	if len(body) != 0 {
		return badLength(CmdName(cmd)+" request", len(body), "0")
	}
	return nil
}

// GroupNameRequest is a body made of a group name alone, str[16], exactly 16
// bytes: QUERY_STORE_WITH_GROUP_ONE (104) and _ALL (107), LIST_ONE_GROUP (90)
// and DELETE_GROUP (108).
type GroupNameRequest struct {
	GroupName []byte
}

func (r *GroupNameRequest) Size() int { return GroupNameSize }

func (r *GroupNameRequest) Append(dst []byte) []byte {
	return AppendFixedBytes(dst, r.GroupName, GroupNameSize)
}

func (r *GroupNameRequest) Decode(body []byte) error {
	if len(body) != GroupNameSize {
		return badLength("GroupNameRequest", len(body), "16")
	}
	r.GroupName = FixedBytes(body)
	return nil
}

// StorageAddr is one storage in a query reply: its IP, as text, and port.
type StorageAddr struct {
	IP   []byte
	Port int64
}

// QueryStoreReply answers QUERY_STORE_WITHOUT_GROUP_ONE (101) and
// QUERY_STORE_WITH_GROUP_ONE (104): the storage to upload to and the store
// path the client should ask it for. 40 bytes with IPSize16, 70 with IPSize46.
type QueryStoreReply struct {
	IPSize         IPSize // set by Decode from the length
	GroupName      []byte
	IP             []byte
	Port           int64
	StorePathIndex byte
}

// QueryStoreReplySize is the reply size for ipsz: 40 or 70.
func QueryStoreReplySize(ipsz IPSize) int { return GroupNameSize + ipsz.QueryWidth() + 8 + 1 }

func (r *QueryStoreReply) Size() int { return QueryStoreReplySize(r.IPSize) }

func (r *QueryStoreReply) Append(dst []byte) []byte {
	dst = AppendFixedBytes(dst, r.GroupName, GroupNameSize)
	dst = AppendFixedBytes(dst, r.IP, r.IPSize.QueryWidth())
	dst = AppendInt64(dst, r.Port)
	return append(dst, r.StorePathIndex)
}

func (r *QueryStoreReply) Decode(body []byte) error {
	switch len(body) {
	case QueryStoreReplySize(IPSize16):
		r.IPSize = IPSize16
	case QueryStoreReplySize(IPSize46):
		r.IPSize = IPSize46
	default:
		return badLength("QueryStoreReply", len(body), "40 or 70")
	}
	w := r.IPSize.QueryWidth()
	r.GroupName = FixedBytes(body[:GroupNameSize])
	r.IP = FixedBytes(body[GroupNameSize : GroupNameSize+w])
	r.Port = Int64(body[GroupNameSize+w:])
	r.StorePathIndex = body[GroupNameSize+w+8]
	return nil
}

// QueryStoreAllReply answers QUERY_STORE_WITHOUT_GROUP_ALL (106) and
// QUERY_STORE_WITH_GROUP_ALL (107): every writable storage of the chosen
// group and the store path index of the first one:
// 16 + N·(ipsz-1+8) + 1 bytes, N ≥ 1. Since V6.16.0 every server carries its
// own port.
type QueryStoreAllReply struct {
	IPSize         IPSize // set by Decode from the length
	GroupName      []byte
	Servers        []StorageAddr // Decode reuses its capacity
	StorePathIndex byte
}

func (r *QueryStoreAllReply) Size() int {
	return GroupNameSize + len(r.Servers)*(r.IPSize.QueryWidth()+8) + 1
}

func (r *QueryStoreAllReply) Append(dst []byte) []byte {
	w := r.IPSize.QueryWidth()
	dst = AppendFixedBytes(dst, r.GroupName, GroupNameSize)
	for i := range r.Servers {
		dst = AppendFixedBytes(dst, r.Servers[i].IP, w)
		dst = AppendInt64(dst, r.Servers[i].Port)
	}
	return append(dst, r.StorePathIndex)
}

// Decode applies the clients' rule: (len-17) a multiple of 23 means 16-byte
// IPs, else a multiple of 53 means 46-byte IPs. A body that fits both (53
// servers of one width, 23 of the other) is read as 16: groups hold at most
// 32 storages, so that never happens with a real tracker.
func (r *QueryStoreAllReply) Decode(body []byte) error {
	n := len(body) - GroupNameSize - 1
	switch {
	case n > 0 && n%(IPSize16.QueryWidth()+8) == 0:
		r.IPSize = IPSize16
	case n > 0 && n%(IPSize46.QueryWidth()+8) == 0:
		r.IPSize = IPSize46
	default:
		return badLength("QueryStoreAllReply", len(body), "17 + N*23 or 17 + N*53, N >= 1")
	}
	w := r.IPSize.QueryWidth()
	r.GroupName = FixedBytes(body[:GroupNameSize])
	r.Servers = r.Servers[:0]
	for p := body[GroupNameSize : len(body)-1]; len(p) > 0; p = p[w+8:] {
		r.Servers = append(r.Servers, StorageAddr{IP: FixedBytes(p[:w]), Port: Int64(p[w:])})
	}
	r.StorePathIndex = body[len(body)-1]
	return nil
}

// QueryFetchRequest asks QUERY_FETCH_ONE (102), QUERY_UPDATE (103) or
// QUERY_FETCH_ALL (105) where a file is: group str[16] and the remote
// filename (no group, no NUL) filling the rest, 38 ≤ len < 144.
type QueryFetchRequest struct {
	GroupName []byte
	Filename  []byte
}

func (r *QueryFetchRequest) Size() int { return GroupNameSize + len(r.Filename) }

func (r *QueryFetchRequest) Append(dst []byte) []byte {
	dst = AppendFixedBytes(dst, r.GroupName, GroupNameSize)
	return append(dst, r.Filename...)
}

// Decode keeps the filename as sent: the tracker decodes it to pick a server
// and rejects bad names there.
func (r *QueryFetchRequest) Decode(body []byte) error {
	if len(body) < minFetchRequestSize || len(body) > maxFetchRequestSize {
		return badLength("QueryFetchRequest", len(body), "38 to 143")
	}
	r.GroupName = FixedBytes(body[:GroupNameSize])
	r.Filename = body[GroupNameSize:]
	return nil
}

// QueryFetchReply answers QUERY_FETCH_ONE (102) and QUERY_UPDATE (103): the
// storage to talk to. 39 bytes with IPSize16, 69 with IPSize46.
type QueryFetchReply struct {
	IPSize    IPSize // set by Decode from the length
	GroupName []byte
	IP        []byte
	Port      int64
}

// QueryFetchReplySize is the reply size for ipsz: 39 or 69.
func QueryFetchReplySize(ipsz IPSize) int { return GroupNameSize + ipsz.QueryWidth() + 8 }

func (r *QueryFetchReply) Size() int { return QueryFetchReplySize(r.IPSize) }

func (r *QueryFetchReply) Append(dst []byte) []byte {
	dst = AppendFixedBytes(dst, r.GroupName, GroupNameSize)
	dst = AppendFixedBytes(dst, r.IP, r.IPSize.QueryWidth())
	return AppendInt64(dst, r.Port)
}

func (r *QueryFetchReply) Decode(body []byte) error {
	switch len(body) {
	case QueryFetchReplySize(IPSize16):
		r.IPSize = IPSize16
	case QueryFetchReplySize(IPSize46):
		r.IPSize = IPSize46
	default:
		return badLength("QueryFetchReply", len(body), "39 or 69")
	}
	w := r.IPSize.QueryWidth()
	r.GroupName = FixedBytes(body[:GroupNameSize])
	r.IP = FixedBytes(body[GroupNameSize : GroupNameSize+w])
	r.Port = Int64(body[GroupNameSize+w:])
	return nil
}

// QueryFetchAllReply answers QUERY_FETCH_ALL (105): every storage that can
// serve the file. Its layout depends on Format (client.md §4.4):
//
//	FetchAllV6_16: group[16], N × {IP[ipsz-1], port i64}     16 + N(ipsz+7)
//	FetchAllV6_15: group[16], IP[ipsz-1], port i64,
//	               (N-1) × IP[ipsz-1]                        24 + N(ipsz-1)
//
// In the old format all servers share the first port: Append writes
// Servers[0].Port and Decode gives every server that port.
type QueryFetchAllReply struct {
	IPSize    IPSize
	Format    FetchAllFormat
	GroupName []byte
	Servers   []StorageAddr // N ≥ 1; Decode reuses its capacity
}

// QueryFetchAllReplySize is the reply size for n servers.
func QueryFetchAllReplySize(f FetchAllFormat, ipsz IPSize, n int) int {
	if f == FetchAllV6_15 {
		return GroupNameSize + 8 + n*ipsz.QueryWidth()
	}
	return GroupNameSize + n*(ipsz.QueryWidth()+8)
}

func (r *QueryFetchAllReply) Size() int {
	return QueryFetchAllReplySize(r.Format, r.IPSize, len(r.Servers))
}

func (r *QueryFetchAllReply) Append(dst []byte) []byte {
	w := r.IPSize.QueryWidth()
	dst = AppendFixedBytes(dst, r.GroupName, GroupNameSize)
	for i := range r.Servers {
		dst = AppendFixedBytes(dst, r.Servers[i].IP, w)
		if i == 0 || r.Format != FetchAllV6_15 {
			dst = AppendInt64(dst, r.Servers[i].Port)
		}
	}
	return dst
}

// fetchAllServers returns how many servers a body of length n holds in the
// given format and width, or 0 when it does not fit.
func fetchAllServers(f FetchAllFormat, ipsz IPSize, n int) int {
	w := ipsz.QueryWidth()
	if f == FetchAllV6_15 {
		n -= GroupNameSize + 8
		if n < w || n%w != 0 {
			return 0
		}
		return n / w
	}
	n -= GroupNameSize
	if n < w+8 || n%(w+8) != 0 {
		return 0
	}
	return n / (w + 8)
}

// Decode tells the layouts apart by length, trying Format and IPSize as set
// by the caller first (the dialect the client expects; the zero values are
// V6.16 with 16-byte IPs), then the other width, then the other format with
// the expected width first, and records what fitted in Format and IPSize.
//
// Lengths do not always tell: one server is the same 39 or 69 bytes in both
// formats (harmless, the bytes mean the same); in the old format any body
// with 46-byte IPs also reads as three times as many 16-byte IPs (old V6.11
// to V6.14 trackers and V6.15+ ones with IPSize46 produce those), 69 bytes
// are one new-format server of width 46 or three old-format ones of width
// 16, and 384 bytes are 16 new-format servers or 24/8 old-format ones. Only
// the expected dialect resolves those: set Format and IPSize before Decode.
func (r *QueryFetchAllReply) Decode(body []byte) error {
	formats := [2]FetchAllFormat{r.Format, FetchAllV6_16}
	if r.Format != FetchAllV6_15 {
		formats[1] = FetchAllV6_15
	}
	sizes := [2]IPSize{r.IPSize.normal(), IPSize46}
	if sizes[0] == IPSize46 {
		sizes[1] = IPSize16
	}
	n := 0
	for _, f := range formats {
		for _, s := range sizes {
			if n = fetchAllServers(f, s, len(body)); n > 0 {
				r.Format, r.IPSize = f, s
				break
			}
		}
		if n > 0 {
			break
		}
	}
	if n == 0 {
		return badLength("QueryFetchAllReply", len(body), "16 + N*23, 16 + N*53, 24 + N*15 or 24 + N*45")
	}
	w := r.IPSize.QueryWidth()
	r.GroupName = FixedBytes(body[:GroupNameSize])
	r.Servers = r.Servers[:0]
	p := body[GroupNameSize:]
	var port int64
	for i := range n {
		ip := FixedBytes(p[:w])
		p = p[w:]
		if i == 0 || r.Format != FetchAllV6_15 {
			port = Int64(p)
			p = p[8:]
		}
		r.Servers = append(r.Servers, StorageAddr{IP: ip, Port: port})
	}
	return nil
}
