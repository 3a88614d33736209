package conf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseCInt reads s the way C's atoi/strtol do: optional leading white
// space, an optional sign, then digits up to the first non-digit; no digits
// gives 0 (not the key's default). The result saturates at the int64 range.
// clean is false unless s is exactly an optional sign and digits, so callers
// can warn about "10s", "" or "abc" that C silently reads as 10, 0 and 0.
func ParseCInt(s string) (n int64, clean bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	leadingSpace := i > 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
			continue
		}
		v = v*10 + d
	}
	switch {
	case neg && (overflow || v > 1<<63):
		n, overflow = math.MinInt64, true
	case neg:
		n = -int64(v)
	case overflow || v > math.MaxInt64:
		n, overflow = math.MaxInt64, true
	default:
		n = int64(v)
	}
	return n, i > start && i == len(s) && !leadingSpace && !overflow
}

func isCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// ParseBool is libfastcommon's FAST_INI_STRING_IS_TRUE: "true", "yes", "on"
// (any case) or "1" are true, anything else is false.
func ParseBool(s string) bool {
	return strings.EqualFold(s, "true") || strings.EqualFold(s, "yes") ||
		strings.EqualFold(s, "on") || s == "1"
}

// isBoolWord reports whether s is a value ParseBool clearly means: one of
// its true words or an obvious false word. Anything else is read as false
// too, but deserves a warning ("ture", "enable").
func isBoolWord(s string) bool {
	if ParseBool(s) || s == "" || s == "0" {
		return true
	}
	return strings.EqualFold(s, "false") || strings.EqualFold(s, "no") || strings.EqualFold(s, "off")
}

// ParseBytes reads a byte size as libfastcommon's parse_bytes does: a
// non-negative decimal number (strtol rules), then optionally one unit letter
// T, G, M or K (any case, powers of 1024), then optionally "B":
// "256KB", "64MB", "1G", "8192". An empty string is 0. Other suffixes,
// negative numbers and sizes that overflow int64 are errors.
func ParseBytes(s string) (int64, error) {
	n, rest := strtol(s)
	if n < 0 {
		return 0, fmt.Errorf("byte size %q is negative", s)
	}
	if rest == "" {
		return n, nil
	}
	var shift uint
	switch rest[0] {
	case 'T', 't':
		shift = 40
	case 'G', 'g':
		shift = 30
	case 'M', 'm':
		shift = 20
	case 'K', 'k':
		shift = 10
	default:
		return 0, fmt.Errorf("byte size %q: unknown unit %q (use K, M, G or T, optionally followed by B)", s, rest)
	}
	if tail := rest[1:]; tail != "" && tail != "B" && tail != "b" {
		return 0, fmt.Errorf("byte size %q: unknown unit %q (use K, M, G or T, optionally followed by B)", s, rest)
	}
	if n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("byte size %q is too large", s)
	}
	return n << shift, nil
}

// strtol parses a leading decimal integer as C's strtol(s, &end, 10) and
// returns the value and the unparsed rest. Without digits the rest is all of
// s, as C leaves end at the start.
func strtol(s string) (int64, string) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, s
	}
	n, _ := ParseCInt(s[:j])
	return n, s[j:]
}

// ReservedSpace is reserved_storage_space (cluster.md §5.8): either a ratio
// of each store path ("20%") or an absolute size in MB over all paths.
type ReservedSpace struct {
	Ratio float64 // 0 < Ratio < 1 for the "<x>%" form, else 0
	MB    int64   // the absolute form, bytes / 1 MiB (integer division)
}

// IsRatio reports the "<x>%" form.
func (r ReservedSpace) IsRatio() bool { return r.Ratio > 0 }

// String is the form the tracker sends to storages in its parameter reply:
// "20.00%" or "1024MB".
func (r ReservedSpace) String() string {
	if r.IsRatio() {
		return strconv.FormatFloat(100*r.Ratio, 'f', 2, 64) + "%"
	}
	return strconv.FormatInt(r.MB, 10) + "MB"
}

// defaultReservedSpace is C's value when the key is absent: 1024 MB.
var defaultReservedSpace = ReservedSpace{MB: 1024}

// ParseReservedSpace reads reserved_storage_space: "<x>%" with 0 < x < 100
// (C's strtod, so "10.5%" works), otherwise a byte size (ParseBytes)
// converted to MB. An empty value is an error, as in C.
func ParseReservedSpace(s string) (ReservedSpace, error) {
	if s == "" {
		return ReservedSpace{}, errors.New("reserved storage space is empty")
	}
	if num, ok := strings.CutSuffix(s, "%"); ok {
		x, err := strconv.ParseFloat(strings.TrimLeft(num, " \t\n\v\f\r"), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return ReservedSpace{}, fmt.Errorf("reserved storage space %q is not a valid percentage", s)
		}
		if x <= 0 || x >= 100 {
			return ReservedSpace{}, fmt.Errorf("reserved storage space %q must be above 0%% and below 100%%", s)
		}
		return ReservedSpace{Ratio: x / 100}, nil
	}
	n, err := ParseBytes(s)
	if err != nil {
		return ReservedSpace{}, err
	}
	return ReservedSpace{MB: n >> 20}, nil
}

// TimeOfDay is a daily time "HH:MM" (or "HH:MM:SS"), libfastcommon's TimeInfo.
type TimeOfDay struct {
	Hour, Minute, Second int
}

// String formats "HH:MM", with ":SS" only when seconds are set.
func (t TimeOfDay) String() string {
	s := fmt.Sprintf("%02d:%02d", t.Hour, t.Minute)
	if t.Second != 0 {
		s += fmt.Sprintf(":%02d", t.Second)
	}
	return s
}

// Offset is the time since midnight.
func (t TimeOfDay) Offset() time.Duration {
	return time.Duration(t.Hour)*time.Hour + time.Duration(t.Minute)*time.Minute +
		time.Duration(t.Second)*time.Second
}

// ParseTimeOfDay reads "H:M" or "H:M:S" as C's sscanf("%d:%d:%d") does
// (white space before each number is allowed) and checks the ranges
// 0-23, 0-59, 0-59. Trailing text after the minutes or seconds is accepted,
// as in C; the typed loaders warn about it.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, _, err := parseTimeOfDay(s)
	return t, err
}

func parseTimeOfDay(s string) (t TimeOfDay, clean bool, err error) {
	invalid := fmt.Errorf("%q is not a valid time of day (HH:MM)", s)
	fields := [3]int{}
	rest := s
	count := 0
	for count < 3 {
		n, r := strtol(rest)
		if r == rest { // no number
			break
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return TimeOfDay{}, false, invalid
		}
		fields[count] = int(n)
		count++
		rest = r
		if count == 3 || !strings.HasPrefix(rest, ":") {
			break
		}
		rest = rest[1:]
	}
	if count < 2 {
		return TimeOfDay{}, false, invalid
	}
	t = TimeOfDay{Hour: fields[0], Minute: fields[1], Second: fields[2]}
	if t.Hour < 0 || t.Hour > 23 || t.Minute < 0 || t.Minute > 59 || t.Second < 0 || t.Second > 59 {
		return TimeOfDay{}, false, fmt.Errorf("%q is out of range (00:00 to 23:59)", s)
	}
	return t, rest == "", nil
}

// Int reads the item with C's atoi rules (ParseCInt).
func (it Item) Int() (n int64, clean bool) { return ParseCInt(it.Value) }

// Bool reads the item with C's rules (ParseBool).
func (it Item) Bool() bool { return ParseBool(it.Value) }

// Bytes reads a byte size (ParseBytes); the error names the item's file:line.
func (it Item) Bytes() (int64, error) {
	n, err := ParseBytes(it.Value)
	if err != nil {
		return 0, errorAt(it, "%v", err)
	}
	return n, nil
}

// ReservedSpace reads a percentage or size (ParseReservedSpace); the error
// names the item's file:line.
func (it Item) ReservedSpace() (ReservedSpace, error) {
	r, err := ParseReservedSpace(it.Value)
	if err != nil {
		return ReservedSpace{}, errorAt(it, "%v", err)
	}
	return r, nil
}

// TimeOfDay reads "HH:MM" (ParseTimeOfDay); the error names the item's
// file:line.
func (it Item) TimeOfDay() (TimeOfDay, error) {
	t, err := ParseTimeOfDay(it.Value)
	if err != nil {
		return TimeOfDay{}, errorAt(it, "%v", err)
	}
	return t, nil
}

// Seconds reads an integer number of seconds with atoi rules.
func (it Item) Seconds() (d time.Duration, clean bool) {
	n, clean := it.Int()
	return durationOf(n, time.Second), clean
}

// Millis reads an integer number of milliseconds with atoi rules.
func (it Item) Millis() (d time.Duration, clean bool) {
	n, clean := it.Int()
	return durationOf(n, time.Millisecond), clean
}

// durationOf is n units, saturating instead of overflowing.
func durationOf(n int64, unit time.Duration) time.Duration {
	if n > int64(math.MaxInt64/unit) {
		return math.MaxInt64
	}
	if n < int64(math.MinInt64/unit) {
		return math.MinInt64
	}
	return time.Duration(n) * unit
}
