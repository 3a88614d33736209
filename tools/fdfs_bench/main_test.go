package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "4K": 4096, "4KiB": 4096, "256M": 256 << 20, "256MiB": 256 << 20, "1g": 1 << 30, "0": 0, "40B": 40} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-1", "4X", "K", "1.5M"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// Bad command lines are refused with a reason before anything connects.
func TestBadCommandLines(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-op", "upload"}, "needs -conf"},
		{[]string{"-op", "fly", "-conf", "x"}, "unknown op"},
		{[]string{"-op", "upload", "-conf", "x", "-count", "0"}, "count 0"},
		{[]string{"-op", "mixed", "-conf", "x", "-id", "group1/M00/00/00/x"}, "-id is for -op download only"},
		{[]string{"-op", "upload", "-conf", "x", "-duration", "2h"}, "capped"},
		{[]string{"-op", "disk-probe"}, "needs -dir"},
		{[]string{"-op", "upload", "-conf", "x", "-size", "lots"}, "not a size"},
	} {
		var out, errb bytes.Buffer
		if code := run(c.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, errb.String())
		}
	}
}
