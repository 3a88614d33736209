package tracker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
)

// maskLines blanks the values of the given keys in a state file.
func maskLines(b []byte, keys ...string) string {
	s := string(b)
	for _, k := range keys {
		s = regexp.MustCompile(`(?m)^\t`+k+`=.*$`).ReplaceAllString(s, "\t"+k+"=*")
	}
	return s
}

// Loading the state files a C tracker left and writing them back gives the
// same bytes. Masked: status (loading turns live storages OFFLINE) and
// last_synced_timestamp (recomputed from the matrix on load, cluster.md §2.5).
func TestStateFilesMatchC(t *testing.T) {
	vec, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range []string{"tracker1_127.0.2.10", "tracker2_127.0.2.11"} {
		t.Run(tr, func(t *testing.T) {
			src := filepath.Join(vec, "cluster", "tracker_files", tr)
			base := t.TempDir()
			data := filepath.Join(base, "data")
			if err := os.MkdirAll(data, 0o755); err != nil {
				t.Fatal(err)
			}
			want := map[string][]byte{}
			for _, f := range []string{groupsFile, serversFile, syncTimestampFile, changelogFile, trackerStatusFile} {
				b, err := os.ReadFile(filepath.Join(src, f))
				if err != nil {
					t.Fatal(err)
				}
				want[f] = b
				if err := os.WriteFile(filepath.Join(data, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := New(testConf(t, base, "store_server = 1"), WithLogger(testLogger(t)))
			if err != nil {
				t.Fatal(err)
			}
			r := s.reg
			r.mu.Lock()
			got := map[string][]byte{
				groupsFile:        r.formatGroups(),
				serversFile:       r.formatServers(),
				syncTimestampFile: r.formatSyncTimestamps(),
				changelogFile:     r.changelog,
			}
			r.mu.Unlock()
			for _, f := range []string{groupsFile, syncTimestampFile, changelogFile} {
				if string(got[f]) != string(want[f]) {
					t.Errorf("%s:\n got %q\nwant %q", f, got[f], want[f])
				}
			}
			g, w := maskLines(got[serversFile], "status", "last_synced_timestamp"),
				maskLines(want[serversFile], "status", "last_synced_timestamp")
			if g != w {
				t.Errorf("%s:\n got %q\nwant %q", serversFile, g, w)
			}
			var up, last int64
			if _, err := fmtSscan(string(want[trackerStatusFile]), &up, &last); err != nil {
				t.Fatal(err)
			}
			if b := formatTrackerStatus(up, last); string(b) != string(want[trackerStatusFile]) {
				t.Errorf(".tracker_status: got %q want %q", b, want[trackerStatusFile])
			}
		})
	}
}

// A tracker restarted on its data directory answers as before: same groups,
// storages, sources, changelog; storages OFFLINE until they join again.
func TestPersistenceRoundTrip(t *testing.T) {
	base := t.TempDir()
	cfg := testConf(t, base, "store_server = 1", "store_lookup = 0")
	clock := newTestClock()
	s, err := New(cfg, WithListenAddr("127.0.0.10:0"), WithLogger(testLogger(t)), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	for _, m := range defaultMembers() {
		p := dialPeer(t, s, m.ip)
		p.activate(s, m.group, m.paths...)
		if m.ip == "127.0.0.2" {
			var rep codec.SyncReport
			rep.Add(codec.SyncTimestamp{ID: []byte("127.0.0.3"), Timestamp: 1795298000})
			p.notice(codec.CmdStorageSyncReport, rep.Append(nil))
		}
	}
	// a fifth storage joins group2 fresh and gets a source: it stays WAIT_SYNC
	n := dialPeer(t, s, "127.0.0.6")
	if st, _ := n.call(codec.CmdStorageJoin, n.joinRequest(s, "group2", true, 0).Append(nil)); st != codec.OK {
		t.Fatal(st.Name())
	}
	if st, _ := n.call(codec.CmdStorageSyncDestReq, nil); st != codec.OK {
		t.Fatal(st.Name())
	}
	c := newClient(t, s)
	ctx := context.Background()
	before := snapshot(t, c)
	// .tracker_status is written when the wall clock crosses a multiple of
	// 300 s, stamped with that multiple, and not at shutdown
	start := clock.Now().Unix()
	statusPath := filepath.Join(base, "data", trackerStatusFile)
	if _, err := os.Stat(statusPath); err == nil {
		t.Fatal(".tracker_status written before the first 300 s boundary")
	}
	clock.Advance(300 * time.Second)
	slot := clock.Now().Unix() / 300 * 300
	wantStatus := string(formatTrackerStatus(start, slot))
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, _ := os.ReadFile(statusPath)
		if string(status) == wantStatus {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf(".tracker_status %q, want %q", status, wantStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
	clock.Advance(100 * time.Second) // within the same slot: no rewrite at Stop
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	saved := readState(t, base)
	if status, err := os.ReadFile(statusPath); err != nil || string(status) != wantStatus {
		t.Fatalf(".tracker_status after Stop: %q %v, want %q", status, err, wantStatus)
	}

	s2, err := New(cfg, WithListenAddr("127.0.0.10:0"), WithLogger(testLogger(t)), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s2.Stop(context.Background()) })
	c2 := newClient(t, s2)
	after := snapshot(t, c2)
	for id, b := range before {
		a, ok := after[id]
		if !ok {
			t.Errorf("%s lost in the restart", id)
			continue
		}
		wantStatus := b.Status
		switch wantStatus {
		case StatusInit, StatusWaitSync, StatusSyncing:
		default:
			wantStatus = StatusOffline
		}
		if a.Status != wantStatus || string(a.SrcID) != string(b.SrcID) || a.TotalMB != b.TotalMB ||
			a.FreeMB != b.FreeMB || a.JoinTime != b.JoinTime || string(a.Version) != string(b.Version) ||
			a.StoragePort != b.StoragePort || a.UploadPriority != b.UploadPriority ||
			a.Stat.LastSyncedTimestamp != b.Stat.LastSyncedTimestamp {
			t.Errorf("%s after restart:\n got %+v\nwant %+v", id, a, b)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d storages after restart, %d before", len(after), len(before))
	}
	// storages come back and the queries answer as before
	for _, m := range defaultMembers() {
		p := dialPeer(t, s2, m.ip)
		p.activate(s2, m.group, m.paths...)
	}
	got, err := c2.QueryStore(ctx, "group2")
	if err != nil || got.Addr != "127.0.0.4:23000" {
		t.Fatalf("QueryStore after restart: %+v %v", got, err)
	}
	if err := s2.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	resaved := readState(t, base)
	for f, b := range saved {
		if maskLines(resaved[f], "status", "last_heart_beat_time") != maskLines(b, "status", "last_heart_beat_time") {
			t.Errorf("%s changed across the restart:\n got %q\nwant %q", f, resaved[f], b)
		}
	}
}

func readState(t *testing.T, base string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range []string{groupsFile, serversFile, syncTimestampFile} {
		b, err := os.ReadFile(filepath.Join(base, "data", f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

func snapshot(t *testing.T, c interface {
	ListGroups(context.Context) ([]codec.GroupStat, error)
	ListStorages(context.Context, string, string) ([]codec.StorageStat, error)
}) map[string]codec.StorageStat {
	t.Helper()
	groups, err := c.ListGroups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]codec.StorageStat{}
	for _, g := range groups {
		list, err := c.ListStorages(context.Background(), string(g.GroupName), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			out[string(g.GroupName)+"/"+string(s.ID)] = s
		}
	}
	return out
}

func fmtSscan(s string, up, last *int64) (int, error) {
	return fmt.Sscanf(s, "up_time=%d\nlast_check_time=%d\n", up, last)
}
