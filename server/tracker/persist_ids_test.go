package tracker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// A tracker switched to storage ids starts on the state files it wrote
// without them: the IP-keyed records (and the sync matrix rows and sync
// sources that name them) become the ids storage_ids.conf gives their
// addresses, as C converts them, instead of refusing to start.
func TestStateFilesConvertedToStorageIDs(t *testing.T) {
	base := t.TempDir()
	s := startTracker(t, testConf(t, base))
	for _, m := range defaultMembers() {
		p := dialPeer(t, s, m.ip)
		p.activate(s, m.group, m.paths...)
	}
	// a fresh member of group2 with a sync source (WAIT_SYNC)
	n := dialPeer(t, s, "127.0.0.6")
	if st, _ := n.call(codec.CmdStorageJoin, n.joinRequest(s, "group2", true, 0).Append(nil)); st != codec.OK {
		t.Fatal(st.Name())
	}
	if st, _ := n.call(codec.CmdStorageSyncDestReq, nil); st != codec.OK {
		t.Fatal(st.Name())
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	saved := readState(t, base)
	if !strings.Contains(string(saved[syncTimestampFile]), "group1,127.0.0.2,") {
		t.Fatalf("the sync matrix is not IP-keyed:\n%s", saved[syncTimestampFile])
	}
	// row 127.0.0.3 (a source), column 0 (127.0.0.2): what 127.0.0.2 has
	// synced from 127.0.0.3, as a C tracker's matrix would hold it
	matrix := strings.Replace(string(saved[syncTimestampFile]), "group1,127.0.0.3,0,", "group1,127.0.0.3,1795298000,", 1)
	if err := os.WriteFile(filepath.Join(base, "data", syncTimestampFile), []byte(matrix), 0o644); err != nil {
		t.Fatal(err)
	}

	ids := "100001 group1 127.0.0.2\n100002 group1 127.0.0.3\n100003 group2 127.0.0.4\n" +
		"100004 group2 127.0.0.5\n100005 group2 127.0.0.6\n"
	if err := os.WriteFile(filepath.Join(base, "storage_ids.conf"), []byte(ids), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConf(t, base, "use_storage_id = true", "storage_ids_filename = storage_ids.conf")
	s2, err := New(cfg, WithListenAddr("127.0.0.10:0"), WithLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("restart with storage ids on IP-keyed state: %v", err)
	}
	if err := s2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s2.Stop(context.Background()) })
	got := snapshot(t, newClient(t, s2))
	for _, want := range []string{"group1/100001", "group1/100002", "group2/100003", "group2/100004", "group2/100005"} {
		st, ok := got[want]
		if !ok {
			t.Errorf("%s missing after the conversion: %v", want, got)
			continue
		}
		if strings.HasPrefix(string(st.ID), "127.") {
			t.Errorf("%s still keyed by IP", want)
		}
	}
	s2.reg.mu.Lock()
	defer s2.reg.mu.Unlock()
	if ts := s2.reg.groups["group1"].find("100001").syncedFrom["100002"]; ts != 1795298000 {
		t.Errorf("sync matrix: 100001 synced from 100002 at %d, want 1795298000", ts)
	}
	if src := s2.reg.groups["group2"].find("100005").syncSrcID; src != "100003" && src != "100004" {
		t.Errorf("the new member's sync source is %q, want the id of 127.0.0.4 or 127.0.0.5", src)
	}
}
