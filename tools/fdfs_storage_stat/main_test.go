package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// With storage ids and trunk files the id leads the line and the trunk flag
// follows the status, as C's tool prints them.
func TestIDsAndTrunkFlag(t *testing.T) {
	time.Local = time.UTC
	rep := codec.StorageClusterStatReply{UseStorageID: true, UseTrunkFile: true, Storages: []codec.StorageClusterStat{
		{ID: []byte("100001"), Host: []byte("127.0.7.2:23000"), IsTrunkServer: true, Status: 7,
			Connection: codec.ConnectionStat{AllocCount: 64, CurrentCount: 2, MaxCount: 34},
			Version:    []byte("6.16.1"), UpTime: 1795299424, LastHeartbeatTime: 1795299484},
		{ID: []byte("100002"), Host: []byte("127.0.7.3:23000"), Status: 5},
	}}
	var out bytes.Buffer
	report(&out, &rep, true)
	want := "\n" +
		"100001 127.0.7.2:23000 ACTIVE, is_trunk_server: 1, connections {alloc: 64, current: 2, max: 34}\n" +
		"  version: 6.16.1, up_time: 2026-11-21 22:17:04, last_heartbeat_time: 2026-11-21 22:18:04\n\n" +
		"100002 127.0.7.3:23000 OFFLINE, is_trunk_server: 0, connections {alloc: 0, current: 0, max: 0}\n" +
		"  version: , up_time: 1970-01-01 00:00:00, last_heartbeat_time: 1970-01-01 00:00:00\n\n" +
		"\nstorage server count: 2\n\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
}
