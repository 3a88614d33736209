package cli

import (
	"reflect"
	"testing"
)

func TestGetopt(t *testing.T) {
	opts, rest, err := Getopt([]string{"-Ad", "-c", "a.conf", "-cb.conf", "-N", "x", "-L"}, "hc:ANLFd")
	want := []Opt{{'A', ""}, {'d', ""}, {'c', "a.conf"}, {'c', "b.conf"}, {'N', ""}}
	if err != nil || !reflect.DeepEqual(opts, want) || !reflect.DeepEqual(rest, []string{"x", "-L"}) {
		t.Fatalf("Getopt = %v %v %v", opts, rest, err)
	}
	if _, _, err := Getopt([]string{"-Z"}, "hc:"); err == nil || err.Error() != "invalid option -- 'Z'" {
		t.Fatalf("unknown option: %v", err)
	}
	if _, _, err := Getopt([]string{"-c"}, "hc:"); err == nil {
		t.Fatal("missing value accepted")
	}
	if opts, rest, err := Getopt([]string{"--", "-A"}, "A"); err != nil || len(opts) != 0 || rest[0] != "-A" {
		t.Fatalf("after --: %v %v %v", opts, rest, err)
	}
}
