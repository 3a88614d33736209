package conf

import (
	"math"
	"testing"
	"time"
)

func TestParseCInt(t *testing.T) {
	cases := []struct {
		in    string
		n     int64
		clean bool
	}{
		{"120", 120, true},
		{"-5", -5, true},
		{"+7", 7, true},
		{"0", 0, true},
		{"", 0, false},
		{"abc", 0, false},
		{" 42", 42, false},
		{"10s", 10, false},
		{"1.5", 1, false},
		{"-", 0, false},
		{"0x10", 0, false},
		{"99999999999999999999", math.MaxInt64, false},
		{"-99999999999999999999", math.MinInt64, false},
		{"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true},
	}
	for _, c := range cases {
		n, clean := ParseCInt(c.in)
		if n != c.n || clean != c.clean {
			t.Errorf("ParseCInt(%q) = %d, %v; want %d, %v", c.in, n, clean, c.n, c.clean)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{
		"true": true, "TRUE": true, "Yes": true, "on": true, "1": true,
		"false": false, "0": false, "no": false, "": false, "2": false, "ture": false, "enabled": false,
	} {
		if got := ParseBool(in); got != want {
			t.Errorf("ParseBool(%q) = %v", in, got)
		}
	}
	for in, want := range map[string]bool{"true": true, "off": true, "": true, "0": true, "ture": false, "2": false} {
		if got := isBoolWord(in); got != want {
			t.Errorf("isBoolWord(%q) = %v", in, got)
		}
	}
}

func TestParseBytes(t *testing.T) {
	ok := map[string]int64{
		"8192": 8192, "256KB": 256 << 10, "256kb": 256 << 10, "8K": 8 << 10, "64MB": 64 << 20,
		"64m": 64 << 20, "1G": 1 << 30, "20G": 20 << 30, "2TB": 2 << 40, "1t": 1 << 40,
		"": 0, "0": 0, " 12": 12, "K": 0,
	}
	for in, want := range ok {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "12X", "12KBB", "12 KB", "1.5MB", "abc", "12KiB", "9999999999999T"} {
		if got, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseReservedSpace(t *testing.T) {
	cases := []struct {
		in   string
		want ReservedSpace
		str  string
	}{
		{"20%", ReservedSpace{Ratio: 0.20}, "20.00%"},
		{"10.5%", ReservedSpace{Ratio: 0.105}, "10.50%"},
		{"1G", ReservedSpace{MB: 1024}, "1024MB"},
		{"4096", ReservedSpace{MB: 0}, "0MB"},
		{"1500MB", ReservedSpace{MB: 1500}, "1500MB"},
	}
	for _, c := range cases {
		got, err := ParseReservedSpace(c.in)
		if err != nil || math.Abs(got.Ratio-c.want.Ratio) > 1e-12 || got.MB != c.want.MB {
			t.Errorf("ParseReservedSpace(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			continue
		}
		if got.String() != c.str || got.IsRatio() != (c.want.Ratio > 0) {
			t.Errorf("%q: String() = %q, IsRatio = %v", c.in, got.String(), got.IsRatio())
		}
	}
	for _, in := range []string{"", "0%", "100%", "-5%", "150%", "abc%", "%", "20 %", "NaN%", "1X"} {
		if got, err := ParseReservedSpace(in); err == nil {
			t.Errorf("ParseReservedSpace(%q) = %+v, want an error", in, got)
		}
	}
}

func TestParseTimeOfDay(t *testing.T) {
	ok := []struct {
		in    string
		want  TimeOfDay
		clean bool
	}{
		{"02:00", TimeOfDay{Hour: 2}, true},
		{"23:59", TimeOfDay{Hour: 23, Minute: 59}, true},
		{"1:5", TimeOfDay{Hour: 1, Minute: 5}, true},
		{"01:30:15", TimeOfDay{Hour: 1, Minute: 30, Second: 15}, true},
		{" 3: 4", TimeOfDay{Hour: 3, Minute: 4}, true},
		{"03:00am", TimeOfDay{Hour: 3}, false},
	}
	for _, c := range ok {
		got, clean, err := parseTimeOfDay(c.in)
		if err != nil || got != c.want || clean != c.clean {
			t.Errorf("parseTimeOfDay(%q) = %+v, %v, %v; want %+v, %v", c.in, got, clean, err, c.want, c.clean)
		}
	}
	for _, in := range []string{"", "2", "24:00", "12:60", "12:30:60", "-1:00", "ab:cd", "12-30", "99999999999:00"} {
		if got, err := ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) = %+v, want an error", in, got)
		}
	}
	if s := (TimeOfDay{Hour: 2}).String(); s != "02:00" {
		t.Errorf("String = %q", s)
	}
	if s := (TimeOfDay{Hour: 1, Minute: 2, Second: 3}).String(); s != "01:02:03" {
		t.Errorf("String = %q", s)
	}
	if d := (TimeOfDay{Hour: 1, Minute: 30}).Offset(); d != 90*time.Minute {
		t.Errorf("Offset = %v", d)
	}
}

func TestItemGettersNameFileAndLine(t *testing.T) {
	it := Item{Key: "trunk_file_size", Value: "64XB", File: "tracker.conf", Line: 42}
	_, err := it.Bytes()
	wantErr(t, err, "tracker.conf:42: trunk_file_size: ", "unknown unit")
	it = Item{Key: "sync_start_time", Value: "25:00", File: "storage.conf", Line: 7}
	_, err = it.TimeOfDay()
	wantErr(t, err, "storage.conf:7: sync_start_time: ", "out of range")
	it = Item{Key: "reserved_storage_space", Value: "0%", File: "t.conf", Line: 3}
	_, err = it.ReservedSpace()
	wantErr(t, err, "t.conf:3: reserved_storage_space: ")
	if d, clean := (Item{Value: "250"}).Millis(); d != 250*time.Millisecond || !clean {
		t.Errorf("Millis = %v %v", d, clean)
	}
	if d, clean := (Item{Value: "30s"}).Seconds(); d != 30*time.Second || clean {
		t.Errorf("Seconds = %v %v", d, clean)
	}
	if d, _ := (Item{Value: "99999999999999999"}).Seconds(); d != math.MaxInt64 {
		t.Errorf("Seconds overflow = %v", d)
	}
}

// bind_addr takes IPv6 with or without brackets, as libserverframe.
func TestBindAddrBrackets(t *testing.T) {
	for in, want := range map[string]string{
		"[::1]":                "::1",
		"::1":                  "::1",
		"127.0.0.1, [fd00::2]": "127.0.0.1,fd00::2",
		"10.0.0.1":             "10.0.0.1",
		"":                     "",
	} {
		if got := unbracketAddrs(in); got != want {
			t.Errorf("unbracketAddrs(%q) = %q, want %q", in, got, want)
		}
	}
	s, err := ParseStorage("storage.conf", []byte("group_name=g1\nbase_path=/tmp\nbind_addr=[::1]\ntracker_server=[::1]:22122\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.BindAddr != "::1" || len(s.TrackerServers) != 1 || s.TrackerServers[0].Hosts[0] != "::1" {
		t.Fatalf("bind_addr %q, trackers %+v", s.BindAddr, s.TrackerServers)
	}
}
