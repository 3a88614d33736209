package codec

import (
	"bytes"
	"slices"
)

// Metadata (client.md §5.8, §8): records "name 0x02 value" joined by 0x01,
// no trailing separator. The same bytes are the SET_METADATA payload, the
// GET_METADATA reply and the content of a file's "-m" companion.
//
// Parsing follows C's fdfs_split_metadata, which works on a NUL-terminated
// string: the bytes end at the first NUL; records are split at every 0x01;
// a record without 0x02 is dropped; the name is what precedes its first
// 0x02 and the value all that follows (further 0x02 included); names are
// cut to 64 bytes and values to 256. Sorting compares names byte-wise
// (strcmp). Empty names are kept, as in C.
const (
	MetaNameMaxLen  = 64
	MetaValueMaxLen = 256
	MetaRecordSep   = 0x01
	MetaFieldSep    = 0x02

	MetaOverwrite byte = 'O' // SET_METADATA: replace everything
	MetaMerge     byte = 'M' // SET_METADATA: new values win on equal names
)

// MetadataIter walks the records of a metadata body without allocating;
// names and values alias the body.
type MetadataIter struct {
	rest []byte
	done bool
}

// NewMetadataIter starts an iteration over b.
func NewMetadataIter(b []byte) MetadataIter {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return MetadataIter{rest: b}
}

// Next returns the next record, already truncated as C stores it.
func (it *MetadataIter) Next() (name, value []byte, ok bool) {
	for !it.done {
		rec := it.rest
		if i := bytes.IndexByte(rec, MetaRecordSep); i >= 0 {
			rec, it.rest = rec[:i], rec[i+1:]
		} else {
			it.done = true
		}
		sep := bytes.IndexByte(rec, MetaFieldSep)
		if sep < 0 {
			continue
		}
		name, value = rec[:sep], rec[sep+1:]
		if len(name) > MetaNameMaxLen {
			name = name[:MetaNameMaxLen]
		}
		if len(value) > MetaValueMaxLen {
			value = value[:MetaValueMaxLen]
		}
		return name, value, true
	}
	return nil, nil, false
}

// MetaPair is one metadata record, for callers that build or keep them.
type MetaPair struct {
	Name, Value string
}

// AppendMetadata encodes pairs in the given order, as the C client sends
// them (the storage sorts; names and values are not cut here).
func AppendMetadata(dst []byte, pairs []MetaPair) []byte {
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, MetaRecordSep)
		}
		dst = append(dst, p.Name...)
		dst = append(dst, MetaFieldSep)
		dst = append(dst, p.Value...)
	}
	return dst
}

// ParseMetadata returns the records of b as C parses them (allocates).
func ParseMetadata(b []byte) []MetaPair {
	var out []MetaPair
	it := NewMetadataIter(b)
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		out = append(out, MetaPair{Name: string(name), Value: string(value)})
	}
	return out
}

// metaRec locates one parsed record inside the buffer it came from.
type metaRec struct {
	name, value []byte
}

// metaRecs collects the records of b into recs (a caller's stack array when
// small enough).
func metaRecs(recs []metaRec, b []byte) []metaRec {
	it := NewMetadataIter(b)
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		recs = append(recs, metaRec{name, value})
	}
	return recs
}

// metaSortByName sorts records by name, stably (C's qsort leaves the order
// of equal names undefined; we keep the sender's).
func metaSortByName(recs []metaRec) {
	if len(recs) <= 32 {
		for i := 1; i < len(recs); i++ {
			for j := i; j > 0 && bytes.Compare(recs[j-1].name, recs[j].name) > 0; j-- {
				recs[j-1], recs[j] = recs[j], recs[j-1]
			}
		}
		return
	}
	slices.SortStableFunc(recs, func(a, b metaRec) int { return bytes.Compare(a.name, b.name) })
}

func metaAppendRecs(dst []byte, recs []metaRec) []byte {
	for i, r := range recs {
		if i > 0 {
			dst = append(dst, MetaRecordSep)
		}
		dst = append(dst, r.name...)
		dst = append(dst, MetaFieldSep)
		dst = append(dst, r.value...)
	}
	return dst
}

// NormalizeMetadata appends the canonical form of src that the storage
// stores for 'O' (and for 'M' when no metadata file exists yet): records
// parsed as C does (cut, dropped), sorted by name, re-joined. Canonical
// input comes out unchanged. This is what our storage writes.
func NormalizeMetadata(dst, src []byte) []byte {
	var stack [32]metaRec
	recs := metaRecs(stack[:0], src)
	metaSortByName(recs)
	return metaAppendRecs(dst, recs)
}

// NormalizeMetadataC appends the exact bytes the C storage writes for the
// same request. C splits the request buffer in place (every 0x01 before
// the first NUL becomes a NUL), packs the sorted records over its start
// with a NUL after them, and then writes len(src) bytes of that buffer. So
// whenever the canonical form is shorter than src (trailing separator,
// dropped or cut records) the stored file is the canonical records, a NUL,
// and the mangled tail of src; with no record at all it is the mangled src.
// C readers stop at the first NUL and see exactly the canonical records;
// only byte-wise copies see the tail. Our storage writes NormalizeMetadata's
// clean bytes instead (the same records for every C reader); this function
// pins the difference in tests and would serve a byte-identical mode.
func NormalizeMetadataC(dst, src []byte) []byte {
	nul := bytes.IndexByte(src, 0)
	if nul < 0 {
		nul = len(src)
	}
	start := len(dst)
	dst = NormalizeMetadata(dst, src)
	from := len(dst) - start // bytes already written over src
	if from > 0 && from < len(src) {
		dst = append(dst, 0) // the packer's terminator
		from++
	}
	for i := from; i < len(src); i++ {
		c := src[i]
		if i < nul && c == MetaRecordSep {
			c = 0
		}
		dst = append(dst, c)
	}
	return dst
}

// MergeMetadata appends the result of 'M' on an existing metadata file: the
// records of old (kept in file order, which the storage always wrote
// sorted) merged with the records of update sorted by name; on equal names
// the update's record wins. Written with its true length, as C does.
func MergeMetadata(dst, old, update []byte) []byte {
	var stackOld, stackNew [32]metaRec
	o := metaRecs(stackOld[:0], old)
	u := metaRecs(stackNew[:0], update)
	metaSortByName(u)
	i, j := 0, 0
	first := true
	put := func(r metaRec) {
		if !first {
			dst = append(dst, MetaRecordSep)
		}
		first = false
		dst = append(dst, r.name...)
		dst = append(dst, MetaFieldSep)
		dst = append(dst, r.value...)
	}
	for i < len(o) && j < len(u) {
		switch c := bytes.Compare(o[i].name, u[j].name); {
		case c < 0:
			put(o[i])
			i++
		case c == 0:
			put(u[j])
			i++
			j++
		default:
			put(u[j])
			j++
		}
	}
	for ; i < len(o); i++ {
		put(o[i])
	}
	for ; j < len(u); j++ {
		put(u[j])
	}
	return dst
}
