package main

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gofdfs/gofdfs/client"
)

func TestParseList(t *testing.T) {
	got, err := parseList("width=1024,height=768,note=a=b,empty=")
	want := []client.Meta{{Name: "width", Value: "1024"}, {Name: "height", Value: "768"},
		{Name: "note", Value: "a=b"}, {Name: "empty", Value: ""}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseList = %v, %v", got, err)
	}
	if got, err := parseList(""); err != nil || got != nil {
		t.Fatalf("empty list = %v, %v", got, err)
	}
	for _, bad := range []string{"novalue", "=x", "a=1,,b=2"} {
		if _, err := parseList(bad); err == nil {
			t.Errorf("parseList(%q) accepted", bad)
		}
	}
}

func TestBadArguments(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"client.conf", "group1/M00/00/00/x.txt", "X", "a=1"}, &out); code != 1 ||
		!bytes.HasPrefix(out.Bytes(), []byte("Usage: fdfs_set_metadata")) {
		t.Fatalf("bad op flag: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"client.conf", "group1/M00/00/00/x.txt", "O", "a"}, &out); code != 22 {
		t.Fatalf("bad list: exit %d, %q", code, out.String())
	}
}
