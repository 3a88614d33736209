package codec

import (
	"bytes"
	"iter"
	"strconv"
)

// What the tracker tells storages and clients about its configuration:
// STORAGE_PARAMETER_REQ (75, client.md §4.14) and STORAGE_FETCH_STORAGE_IDS
// (69, client.md §4.15, cluster.md §1.8). Both are text and rare: they are
// read at start-up, so Parameters trades allocations for plain strings.

// Parameter is one key=value line of the PARAMETER_REQ reply.
type Parameter struct {
	Key   string
	Value string
}

// Parameters is the body of the PARAMETER_REQ reply (the request is empty):
// "key=value\n" lines in the order the tracker chose (the C tracker's order
// is in client.md §4.14). Keep the body under 1024 bytes, the C client's
// buffer.
type Parameters []Parameter

// Get returns the value of the first line with key.
func (p Parameters) Get(key string) (string, bool) {
	for _, kv := range p {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Set replaces the value of the first line with key, or adds a line at the
// end.
func (p *Parameters) Set(key, value string) {
	for i := range *p {
		if (*p)[i].Key == key {
			(*p)[i].Value = value
			return
		}
	}
	*p = append(*p, Parameter{Key: key, Value: value})
}

func (p Parameters) Size() int {
	n := 0
	for _, kv := range p {
		n += len(kv.Key) + 1 + len(kv.Value) + 1
	}
	return n
}

// Append writes every line as "key=value\n". Keys must not contain '=' or
// '\n' and values no '\n'; they are not checked.
func (p Parameters) Append(dst []byte) []byte {
	for _, kv := range p {
		dst = append(dst, kv.Key...)
		dst = append(dst, '=')
		dst = append(dst, kv.Value...)
		dst = append(dst, '\n')
	}
	return dst
}

// Decode reads the lines as leniently as the C client's ini parser does:
// "\r\n" or "\n" ends a line, a last line needs no end, blanks around keys
// and values are dropped, empty lines, '#' comments and lines without '=' or
// without a key are skipped. It never fails. The previous lines of p are
// replaced; its capacity is reused.
func (p *Parameters) Decode(body []byte) error {
	out := (*p)[:0]
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = trimINIBlanks(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		eq := bytes.IndexByte(line, '=')
		if eq < 0 {
			continue
		}
		key := trimINIBlanks(line[:eq])
		if len(key) == 0 {
			continue
		}
		out = append(out, Parameter{Key: string(key), Value: string(trimINIBlanks(line[eq+1:]))})
	}
	*p = out
	return nil
}

// trimINIBlanks drops ASCII blanks (and a line's '\r') at both ends.
func trimINIBlanks(b []byte) []byte {
	return bytes.Trim(b, " \t\r\v\f")
}

// FetchStorageIDsRequest is the body of STORAGE_FETCH_STORAGE_IDS (69): i32
// start_index and, since V6.11.0, u8 allow_empty (5 bytes; 4 before).
type FetchStorageIDsRequest struct {
	StartIndex int32
	AllowEmpty bool // with use_storage_id off: 8 zero bytes instead of EOPNOTSUPP
	Short      bool // the 4-byte form of clients up to V6.10 (no allow_empty)
}

func (r *FetchStorageIDsRequest) Size() int {
	if r.Short {
		return 4
	}
	return 5
}

func (r *FetchStorageIDsRequest) Append(dst []byte) []byte {
	dst = AppendInt32(dst, r.StartIndex)
	if r.Short {
		return dst
	}
	return append(dst, trackerFlag(r.AllowEmpty))
}

// Decode accepts both forms (the C tracker since V6.11 only the 5-byte one)
// and rejects a negative start index.
func (r *FetchStorageIDsRequest) Decode(body []byte) error {
	switch len(body) {
	case 4:
		*r = FetchStorageIDsRequest{StartIndex: Int32(body), Short: true}
	case 5:
		*r = FetchStorageIDsRequest{StartIndex: Int32(body), AllowEmpty: body[4] != 0}
	default:
		return badLength("FetchStorageIDsRequest", len(body), "4 or 5")
	}
	if r.StartIndex < 0 {
		return invalid("FetchStorageIDsRequest", "start index "+strconv.Itoa(int(r.StartIndex)))
	}
	return nil
}

// FetchStorageIDsReply answers FETCH_STORAGE_IDS: i32 total_count, i32
// count_in_this_reply, then Count lines of text, one StorageIDLine each,
// from the requested start index. The client asks again from start+Count
// until it has Total.
type FetchStorageIDsReply struct {
	Total int32
	Count int32
	Text  []byte // the lines, each ending in '\n'
}

func (r *FetchStorageIDsReply) Size() int { return 8 + len(r.Text) }

func (r *FetchStorageIDsReply) Append(dst []byte) []byte {
	dst = AppendInt32(dst, r.Total)
	dst = AppendInt32(dst, r.Count)
	return append(dst, r.Text...)
}

// Decode checks the counts against each other and the number of lines.
// With use_storage_id off and allow_empty the tracker sends 8 zero bytes.
func (r *FetchStorageIDsReply) Decode(body []byte) error {
	if len(body) < 8 {
		return badLength("FetchStorageIDsReply", len(body), "at least 8")
	}
	r.Total, r.Count, r.Text = Int32(body), Int32(body[4:]), body[8:]
	if r.Count < 0 || r.Total < r.Count {
		return invalid("FetchStorageIDsReply", "count "+strconv.Itoa(int(r.Count))+
			" of total "+strconv.Itoa(int(r.Total)))
	}
	if n := storageIDLineCount(r.Text); n != int(r.Count) {
		return invalid("FetchStorageIDsReply", strconv.Itoa(n)+" lines, count says "+strconv.Itoa(int(r.Count)))
	}
	return nil
}

// storageIDLineCount counts non-blank lines.
func storageIDLineCount(text []byte) int {
	n := 0
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if len(trimINIBlanks(line)) > 0 {
			n++
		}
	}
	return n
}

// Lines yields the storage ids of Text in order, skipping blank lines. It
// stops after the first line that does not parse, yielding its error.
func (r *FetchStorageIDsReply) Lines() iter.Seq2[StorageIDLine, error] {
	return func(yield func(StorageIDLine, error) bool) {
		text := r.Text
		for len(text) > 0 {
			line := text
			if i := bytes.IndexByte(text, '\n'); i >= 0 {
				line, text = text[:i], text[i+1:]
			} else {
				text = nil
			}
			if len(trimINIBlanks(line)) == 0 {
				continue
			}
			var l StorageIDLine
			err := l.Parse(line)
			if !yield(l, err) || err != nil {
				return
			}
		}
	}
}

// StorageIDLine is one storage of storage_ids.conf as FETCH_STORAGE_IDS
// sends it:
//
//	<id> <group> <ip>[,<ip2>][:<port>][ rw=<none|read|write>]
//
// with the IP list in [] when it holds an IPv6 address, ":port" only when a
// port is configured and " rw=" only when the storage is not read+write
// (V6.13+; older storages do not expect it).
type StorageIDLine struct {
	ID        []byte
	GroupName []byte
	IP        []byte // inner IP
	IP2       []byte // outer IP, or empty
	Port      int    // 0: none configured
	RWMode    byte   // RWModeBoth when the line has no rw=
}

func (l *StorageIDLine) bracketed() bool {
	return bytes.IndexByte(l.IP, ':') >= 0 || bytes.IndexByte(l.IP2, ':') >= 0
}

// Size is the line's length without its '\n'.
func (l *StorageIDLine) Size() int {
	n := len(l.ID) + 1 + len(l.GroupName) + 1 + len(l.IP)
	if len(l.IP2) > 0 {
		n += 1 + len(l.IP2)
	}
	if l.bracketed() {
		n += 2
	}
	if l.Port > 0 {
		n += 1 + len(strconv.Itoa(l.Port))
	}
	if name := rwModeName(l.RWMode); name != "" {
		n += len(" rw=") + len(name)
	}
	return n
}

// Append writes the line without its '\n'.
func (l *StorageIDLine) Append(dst []byte) []byte {
	dst = append(dst, l.ID...)
	dst = append(dst, ' ')
	dst = append(dst, l.GroupName...)
	dst = append(dst, ' ')
	br := l.bracketed()
	if br {
		dst = append(dst, '[')
	}
	dst = append(dst, l.IP...)
	if len(l.IP2) > 0 {
		dst = append(dst, ',')
		dst = append(dst, l.IP2...)
	}
	if br {
		dst = append(dst, ']')
	}
	if l.Port > 0 {
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(l.Port), 10)
	}
	if name := rwModeName(l.RWMode); name != "" {
		dst = append(dst, " rw="...)
		dst = append(dst, name...)
	}
	return dst
}

// rwModeName is the rw= value of a mode, "" for read+write (no option).
func rwModeName(m byte) string {
	switch m {
	case RWModeNone:
		return "none"
	case RWModeRead:
		return "read"
	case RWModeWrite:
		return "write"
	}
	return ""
}

func errStorageIDLine(line []byte, reason string) *Error {
	return invalid("StorageIDLine", reason+" in "+strconv.Quote(string(line)))
}

// Parse reads one line (a trailing '\n' or '\r\n' is allowed). Fields are
// separated by blanks; the host part may be bracketed. Unknown options after
// the host are ignored, as the ini-style C reader does.
func (l *StorageIDLine) Parse(line []byte) error {
	*l = StorageIDLine{RWMode: RWModeBoth}
	rest := trimINIBlanks(line)
	var host []byte
	for i, dst := range [3]*[]byte{&l.ID, &l.GroupName, &host} {
		var f []byte
		f, rest = nextStorageIDField(rest)
		if len(f) == 0 {
			return errStorageIDLine(line, [3]string{"no id", "no group", "no IP"}[i])
		}
		*dst = f
	}
	if err := l.parseHost(host, line); err != nil {
		return err
	}
	for len(rest) > 0 {
		var opt []byte
		opt, rest = nextStorageIDField(rest)
		val, ok := bytes.CutPrefix(opt, []byte("rw="))
		if !ok {
			continue
		}
		switch string(val) {
		case "none":
			l.RWMode = RWModeNone
		case "read":
			l.RWMode = RWModeRead
		case "write":
			l.RWMode = RWModeWrite
		case "both":
			l.RWMode = RWModeBoth
		default:
			return errStorageIDLine(line, "bad rw mode")
		}
	}
	return nil
}

// nextStorageIDField splits off the next blank-separated field.
func nextStorageIDField(b []byte) (field, rest []byte) {
	b = bytes.TrimLeft(b, " \t")
	i := bytes.IndexAny(b, " \t")
	if i < 0 {
		return b, nil
	}
	return b[:i], b[i:]
}

// parseHost reads "ip[,ip2][:port]" or "[ip[,ip2]][:port]".
func (l *StorageIDLine) parseHost(host, line []byte) error {
	var ips, port []byte
	if host[0] == '[' {
		end := bytes.IndexByte(host, ']')
		if end < 0 {
			return errStorageIDLine(line, "no ']'")
		}
		ips = host[1:end]
		after := host[end+1:]
		if len(after) > 0 {
			p, ok := bytes.CutPrefix(after, []byte(":"))
			if !ok {
				return errStorageIDLine(line, "text after ']'")
			}
			port = p
		}
	} else if i := bytes.LastIndexByte(host, ':'); i >= 0 {
		ips, port = host[:i], host[i+1:]
	} else {
		ips = host
	}
	if port != nil {
		n, err := strconv.Atoi(string(port))
		if err != nil || n <= 0 || n > 65535 {
			return errStorageIDLine(line, "bad port")
		}
		l.Port = n
	}
	ip, ip2, two := bytes.Cut(ips, []byte(","))
	if len(ip) == 0 || (two && len(ip2) == 0) || bytes.ContainsAny(ips, "[]") ||
		bytes.IndexByte(ip2, ',') >= 0 {
		return errStorageIDLine(line, "bad IP list")
	}
	l.IP, l.IP2 = ip, ip2
	return nil
}
