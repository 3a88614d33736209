package conf

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// Origin records where a typed config came from: the file, its raw items and
// the keys the loader did not know. Tracker, Storage and Client embed it.
type Origin struct {
	file    string
	ini     *INI
	unknown []Item
}

// File is the path (or name) the config was loaded from.
func (o Origin) File() string { return o.file }

// INI is the raw parsed file, for keys a caller wants to read itself.
func (o Origin) INI() *INI { return o.ini }

// Unknown lists the items whose keys the loader does not know, in file
// order. C ignores them; we keep them so tools can show them.
func (o Origin) Unknown() []Item { return o.unknown }

// Where is "file:line" of the last occurrence of a global key, or just the
// file when the key is absent: for messages about values the loader cannot
// check itself (a store path that does not exist, a port already in use).
func (o Origin) Where(key string) string {
	if o.ini != nil {
		if it, ok := o.ini.Global().Last(key); ok {
			return it.Pos()
		}
	}
	return o.file
}

// keyRef names a key in a section.
type keyRef struct{ section, key string }

// loadState is what all readers of one file share.
type loadState struct {
	ini    *INI
	file   string
	opts   *options
	known  map[keyRef]bool
	warned map[keyRef]bool
	errs   []error
}

// reader reads typed values from one section of a parsed file, remembering
// every key it was asked for (so the rest can be reported as unknown),
// logging C's silent corrections as warnings and collecting fatal problems
// as *Error.
type reader struct {
	*loadState
	section  string
	fallback bool // also look in the global section (libserverframe's "retry global")
}

func newReader(file string, ini *INI, o *options) *reader {
	return &reader{loadState: &loadState{
		ini: ini, file: file, opts: o,
		known: map[keyRef]bool{}, warned: map[keyRef]bool{},
	}}
}

// in returns a reader for section name. With fallback, a key absent from the
// section is read from the global section, as C reads the per-log sections.
func (r *reader) in(name string, fallback bool) *reader {
	return &reader{loadState: r.loadState, section: name, fallback: fallback}
}

func (r *reader) warn(msg string, it Item, args ...any) {
	r.opts.log.Warn("conf: "+msg, append([]any{"at", it.Pos(), "key", it.Key, "value", it.Value}, args...)...)
}

func (r *reader) fail(it Item, format string, args ...any) {
	r.errs = append(r.errs, errorAt(it, format, args...))
}

// failMissing reports a required key that is absent.
func (r *reader) failMissing(key, msg string) {
	r.errs = append(r.errs, &Error{File: r.file, Key: key, Msg: msg})
}

// item returns the last occurrence of key, the one C reads.
func (r *reader) item(key string) (Item, bool) {
	r.known[keyRef{r.section, key}] = true
	all := r.ini.Section(r.section).All(key)
	if r.fallback && r.section != "" {
		// The global key is the default of every such section, so it is
		// known even when this section overrides it.
		r.known[keyRef{"", key}] = true
		if len(all) == 0 {
			all = r.ini.Global().All(key)
		}
	}
	if len(all) == 0 {
		return Item{}, false
	}
	last := all[len(all)-1]
	if len(all) > 1 {
		ref := keyRef{last.Section, key}
		if !r.warned[ref] {
			r.warned[ref] = true
			r.warn("key repeated; the last one counts", last, "first", all[0].Pos())
		}
	}
	return last, true
}

// items returns every occurrence of a multi-value key.
func (r *reader) items(key string) []Item {
	r.known[keyRef{r.section, key}] = true
	return r.ini.Section(r.section).All(key)
}

// markKnown declares every key of the section that match as known: for the
// numbered families (store_path0..N).
func (r *reader) markKnown(match func(key string) bool) {
	s := r.ini.Section(r.section)
	if s == nil {
		return
	}
	for _, it := range s.Items {
		if match(it.Key) {
			r.known[keyRef{r.section, it.Key}] = true
		}
	}
}

func (r *reader) str(key, def string) string {
	if it, ok := r.item(key); ok {
		return it.Value
	}
	return def
}

// integer is iniGetIntValue: atoi of the value, def when absent. C's int is
// 32 bits, so larger values are clamped (with a warning) rather than wrapped.
func (r *reader) integer(key string, def int) int {
	it, ok := r.item(key)
	if !ok {
		return def
	}
	n, clean := it.Int()
	switch {
	case n > math.MaxInt32:
		r.warn("integer out of range, using the maximum", it)
		return math.MaxInt32
	case n < math.MinInt32:
		r.warn("integer out of range, using the minimum", it)
		return math.MinInt32
	case !clean:
		r.warn("not a clean integer; read as "+strconv.FormatInt(n, 10)+" as FastDFS does", it)
	}
	return int(n)
}

// positive is the common C pattern "if (v <= 0) v = default".
func (r *reader) positive(key string, def int) int {
	n := r.integer(key, def)
	if n <= 0 {
		it, _ := r.item(key)
		r.warn("must be > 0; using the default "+strconv.Itoa(def), it)
		return def
	}
	return n
}

// atLeast requires n >= min and reports an error otherwise.
func (r *reader) atLeast(key string, def, min int) int {
	n := r.integer(key, def)
	if n < min {
		it, _ := r.item(key)
		r.fail(it, "%d is invalid, must be >= %d", n, min)
		return def
	}
	return n
}

func (r *reader) seconds(key string, def int) time.Duration {
	return time.Duration(r.integer(key, def)) * time.Second
}

func (r *reader) positiveSeconds(key string, def int) time.Duration {
	return time.Duration(r.positive(key, def)) * time.Second
}

func (r *reader) boolean(key string, def bool) bool {
	it, ok := r.item(key)
	if !ok {
		return def
	}
	if !isBoolWord(it.Value) {
		r.warn("not a boolean word; read as false as FastDFS does (true/yes/on/1 are true)", it)
	}
	return it.Bool()
}

// bytes is a byte size with parse_bytes rules; a malformed one is an error,
// as C refuses to start.
func (r *reader) bytes(key string, def int64) int64 {
	it, ok := r.item(key)
	if !ok {
		return def
	}
	n, err := it.Bytes()
	if err != nil {
		r.errs = append(r.errs, err)
		return def
	}
	return n
}

// bytesInRange is libserverframe's iniGetByteCorrectValue: out-of-range
// sizes are corrected to the nearest bound.
func (r *reader) bytesInRange(key string, def, min, max int64) int64 {
	n := r.bytes(key, def)
	it, ok := r.item(key)
	switch {
	case ok && n < min:
		r.warn("byte size too small; using "+strconv.FormatInt(min, 10), it)
		return min
	case ok && n > max:
		r.warn("byte size too large; using "+strconv.FormatInt(max, 10), it)
		return max
	}
	return n
}

// timeOfDay is get_time_item_from_conf: an invalid time is an error.
func (r *reader) timeOfDay(key string, def TimeOfDay) TimeOfDay {
	it, ok := r.item(key)
	if !ok {
		return def
	}
	t, clean, err := parseTimeOfDay(it.Value)
	if err != nil {
		r.fail(it, "%v", err)
		return def
	}
	if !clean {
		r.warn("text after the time ignored", it)
	}
	return t
}

// oneOf reads a keyword value (compared without case) and returns its
// canonical spelling; an unknown word gives def with a warning.
func (r *reader) oneOf(key, def string, words ...string) string {
	it, ok := r.item(key)
	if !ok {
		return def
	}
	for _, w := range words {
		if strings.EqualFold(it.Value, w) {
			return w
		}
	}
	r.warn("unknown value; using "+def+" (valid: "+strings.Join(words, ", ")+")", it)
	return def
}

// finish lists and warns about the keys nobody read, and returns the
// collected errors.
func (r *reader) finish() (Origin, error) {
	o := Origin{file: r.file, ini: r.ini}
	reported := map[keyRef]bool{}
	for _, s := range r.ini.Sections() {
		for _, it := range s.Items {
			ref := keyRef{s.Name, it.Key}
			if r.known[ref] {
				continue
			}
			o.unknown = append(o.unknown, it)
			if !reported[ref] {
				reported[ref] = true
				args := []any{"at", it.Pos(), "key", it.Key}
				if s.Name != "" {
					args = append(args, "section", s.Name)
				}
				r.opts.log.Warn("conf: unknown key ignored", args...)
			}
		}
	}
	return o, errors.Join(r.errs...)
}
