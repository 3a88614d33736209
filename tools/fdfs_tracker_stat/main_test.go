package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// A follower's detail line carries its last heartbeat; the leader's does not.
func TestLeaderAndFollowerDetail(t *testing.T) {
	time.Local = time.UTC
	trackers := []codec.TrackerStat{
		{Host: []byte("127.0.7.1:22122"), IsLeader: true, IsActive: true, Version: []byte("6.16.1"), UpTime: 1795299424,
			Connection: codec.ConnectionStat{AllocCount: 256, CurrentCount: 3, MaxCount: 5}},
		{Host: []byte("127.0.7.2:22122"), Version: []byte("6.16.1"), UpTime: 1795299424, LastHeartbeatTime: 1795299430},
	}
	var out bytes.Buffer
	report(&out, trackers, true)
	want := "\n" +
		"127.0.7.1:22122, is_leader: 1, is_active: 1, connections {alloc: 256, current: 3, max: 5}\n" +
		"  version: 6.16.1, up_time: 2026-11-21 22:17:04\n\n" +
		"127.0.7.2:22122, is_leader: 0, is_active: 0, connections {alloc: 0, current: 0, max: 0}\n" +
		"  version: 6.16.1, up_time: 2026-11-21 22:17:04, last_heartbeat_time: 2026-11-21 22:17:10\n\n" +
		"\ntracker server count: 2\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
}
