package trunk

import (
	"testing"
	"time"
)

// FuzzParseTimeOfDay: the tracker's trunk_*_time_base values come off the
// wire (PARAMETER_REQ); any string gives a time of day within one day or
// a refusal, never a panic, and FirstCall on it is never in the past.
func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"02:00", "03:00", "23:59:59", "00:00", "24:00", "", "1:2:3:4", "-1:00", "+2:00", " 02:00 "} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 15, 7, 31, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseTimeOfDay(s)
		if !ok {
			return
		}
		if d < 0 || d >= 24*time.Hour {
			t.Fatalf("%q: %s outside a day", s, d)
		}
		for _, iv := range []time.Duration{time.Second, time.Hour, 24 * time.Hour} {
			if next := FirstCall(now, d, iv); next.Before(now) || next.After(now.Add(iv)) {
				t.Fatalf("%q every %s: first call %s not within one interval of %s", s, iv, next, now)
			}
		}
	})
}
