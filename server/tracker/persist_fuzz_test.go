package tracker

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gofdfs/gofdfs/codec/capture"
	"github.com/gofdfs/gofdfs/conf"
)

// Fuzz targets for the tracker's state-file loaders (issue 8). Each is
// seeded with the files a C tracker left (vectors/cluster/tracker_files)
// and the files our own tests write, and checks more than "no panic": a
// loaded file holds only values in their declared range, and what our
// writer makes of it loads back to the same bytes.

// cTrackerFile returns file name of both C trackers' data directories.
func cTrackerFiles(f *testing.F, name string) [][]byte {
	f.Helper()
	vec, err := capture.Dir()
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, tr := range []string{"tracker1_127.0.2.10", "tracker2_127.0.2.11"} {
		b, err := os.ReadFile(filepath.Join(vec, "cluster", "tracker_files", tr, name))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// fuzzConf is the configuration of every fuzzed registry, parsed once:
// a registry only reads it.
var fuzzConf struct {
	once sync.Once
	cfg  *conf.Tracker
}

// fuzzRegistry is a registry with no files behind it.
func fuzzRegistry(t testing.TB) *registry {
	fuzzConf.once.Do(func() { fuzzConf.cfg = testConf(t, os.TempDir(), "store_server = 1") })
	return newRegistry(fuzzConf.cfg, testLogger(t), nil, nil)
}

// fileInt is what a loaded integer key must hold: the file's number, 0
// when absent; ok is false when the file's value is no number at all, which
// the loader must have refused.
func fileInt(sec *conf.Section, key string) (n int64, ok bool) {
	it, found := sec.Last(key)
	if !found {
		return 0, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(it.Value), 10, 64)
	return n, err == nil
}

// checkFaithful fails when a loaded section does not hold what its file
// says: every number as written, and every section counted in [Global] a
// record of its own (no two merged).
func checkFaithful(t *testing.T, name string, data []byte, countKey, secFmt, idKey string, n int,
	values func(id string) map[string]int64) {
	t.Helper()
	ini, err := conf.ParseINI(name, data)
	if err != nil {
		t.Fatalf("loaded, but does not parse: %v", err)
	}
	count, _ := fileInt(ini.Section("Global"), countKey)
	if int64(n) != count {
		t.Fatalf("%s=%d, but %d records loaded", countKey, count, n)
	}
	for i := 1; i <= int(count); i++ {
		sec := ini.Section(fmt.Sprintf(secFmt, i))
		id, _ := sec.Last(idKey)
		got := values(strings.TrimSpace(id.Value))
		for key, v := range got {
			want, ok := fileInt(sec, key)
			if !ok || want != v {
				it, _ := sec.Last(key)
				t.Fatalf("[%s] %s=%q loaded as %d", sec.Name, key, it.Value, v)
			}
		}
	}
}

// checkRanges fails on any loaded value outside its declared range: what a
// loader accepts must be a state the tracker could have written itself.
func checkRanges(t *testing.T, r *registry) {
	t.Helper()
	for _, g := range r.sorted {
		if g.port < -1 || g.port > 65535 || g.storePathCount < 0 || g.subdirCount < 0 || g.currentTrunkFileID < 0 {
			t.Fatalf("group %s loaded out of range: port %d paths %d subdirs %d trunk id %d",
				g.name, g.port, g.storePathCount, g.subdirCount, g.currentTrunkFileID)
		}
		for _, m := range g.storages {
			switch m.status {
			case StatusInit, StatusWaitSync, StatusSyncing, StatusOffline:
			default:
				t.Fatalf("storage %s loaded with status %d", m.id, m.status)
			}
			if m.port <= 0 || m.port > 65535 || m.totalMB < 0 || m.freeMB < 0 || m.changelogOffset < 0 ||
				m.storePathCount < 0 || m.subdirCount < 0 || m.joinTime < 0 || m.syncUntil < 0 {
				t.Fatalf("storage %s loaded out of range: %+v", m.id, m)
			}
			for _, k := range statKeys {
				if v := *k.field(&m.stat); v < 0 {
					t.Fatalf("storage %s loaded %s=%d", m.id, k.key, v)
				}
			}
			for src, ts := range m.syncedFrom {
				if ts < 0 {
					t.Fatalf("storage %s loaded a sync timestamp %d from %s", m.id, ts, src)
				}
			}
		}
	}
}

// seedGroups loads the C tracker's groups file into r.
func seedGroups(t testing.TB, r *registry, groups []byte) {
	t.Helper()
	if err := r.loadGroups(groups); err != nil {
		t.Fatalf("seed groups: %v", err)
	}
}

func FuzzLoadGroups(f *testing.F) {
	for _, b := range cTrackerFiles(f, groupsFile) {
		f.Add(b)
	}
	f.Add([]byte("[Global]\n\tgroup_count=2\n\n[Group001]\n\tgroup_name=g1\n\tstorage_port=23000\n" +
		"\ttrunk_server=127.0.0.1:23000\n[Group002]\n\tgroup_name=g2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzRegistry(t)
		if err := r.loadGroups(data); err != nil {
			return
		}
		checkRanges(t, r)
		checkFaithful(t, groupsFile, data, "group_count", "Group%03d", "group_name", len(r.sorted),
			func(name string) map[string]int64 {
				g := r.groups[name]
				return map[string]int64{"storage_port": int64(g.port), "store_path_count": int64(g.storePathCount),
					"subdir_count_per_path": int64(g.subdirCount), "current_trunk_file_id": g.currentTrunkFileID}
			})
		first := r.formatGroups()
		again := fuzzRegistry(t)
		if err := again.loadGroups(first); err != nil {
			t.Fatalf("our own groups file does not load: %v\n%s", err, first)
		}
		if second := again.formatGroups(); !bytes.Equal(first, second) {
			t.Fatalf("groups round trip:\n%s\nthen\n%s", first, second)
		}
	})
}

func FuzzLoadServers(f *testing.F) {
	groups := cTrackerFiles(f, groupsFile)[0]
	for _, b := range cTrackerFiles(f, serversFile) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzRegistry(t)
		seedGroups(t, r, groups)
		if err := r.loadServers(data); err != nil {
			return
		}
		checkRanges(t, r)
		n := 0
		for _, g := range r.sorted {
			n += len(g.storages)
		}
		if ini, err := conf.ParseINI(serversFile, data); err == nil {
			count, _ := fileInt(ini.Section("Global"), "storage_count")
			for i := 1; i <= int(count); i++ {
				sec := ini.Section(fmt.Sprintf("Storage%03d", i))
				if it, ok := sec.Last("status"); ok {
					// C's storage statuses (tracker_types.h): 0-7, 9, 99
					switch strings.TrimSpace(it.Value) {
					case "0", "1", "2", "3", "4", "5", "6", "7", "9", "99":
					default:
						t.Fatalf("[%s] status=%q loaded", sec.Name, it.Value)
					}
				}
			}
		}
		checkFaithful(t, serversFile, data, "storage_count", "Storage%03d", "ip_addr", n,
			func(ip string) map[string]int64 {
				for _, g := range r.sorted {
					if m := g.find(ip); m != nil {
						v := map[string]int64{"join_time": m.joinTime, "sync_until_timestamp": m.syncUntil,
							"total_mb": m.totalMB, "free_mb": m.freeMB, "changelog_offset": m.changelogOffset,
							"store_path_count": int64(m.storePathCount), "subdir_count_per_path": int64(m.subdirCount),
							"upload_priority": m.uploadPriority}
						for _, k := range statKeys {
							if k.key != "last_synced_timestamp" { // recomputed from the matrix
								v[k.key] = *k.field(&m.stat)
							}
						}
						return v
					}
				}
				t.Fatalf("storage %s not loaded", ip)
				return nil
			})
		first := r.formatServers()
		again := fuzzRegistry(t)
		seedGroups(t, again, groups)
		if err := again.loadServers(first); err != nil {
			t.Fatalf("our own servers file does not load: %v\n%s", err, first)
		}
		if second := again.formatServers(); !bytes.Equal(first, second) {
			t.Fatalf("servers round trip:\n%s\nthen\n%s", first, second)
		}
	})
}

func FuzzLoadSyncTimestamps(f *testing.F) {
	groups, servers := cTrackerFiles(f, groupsFile)[0], cTrackerFiles(f, serversFile)[0]
	for _, b := range cTrackerFiles(f, syncTimestampFile) {
		f.Add(b)
	}
	load := func(t *testing.T) *registry {
		r := fuzzRegistry(t)
		seedGroups(t, r, groups)
		if err := r.loadServers(servers); err != nil {
			t.Fatalf("seed servers: %v", err)
		}
		return r
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := load(t)
		if err := r.loadSyncTimestamps(data); err != nil {
			return
		}
		checkRanges(t, r)
		// every cell of the matrix as the file writes it (the diagonal and
		// columns past the group's storages aside)
		for line := range strings.Lines(string(data)) {
			cols := strings.Split(strings.TrimSpace(line), ",")
			if len(cols) < 2 {
				continue
			}
			g := r.groups[cols[0]]
			for j, c := range cols[2:] {
				if j >= len(g.storages) || g.storages[j].id == cols[1] {
					continue
				}
				if want, _ := strconv.ParseInt(c, 10, 64); g.storages[j].syncedFrom[cols[1]] != want {
					got := g.storages[j].syncedFrom[cols[1]]
					t.Fatalf("%s from %s: file says %q, loaded %d", g.storages[j].id, cols[1], c, got)
				}
			}
		}
		first := r.formatSyncTimestamps()
		again := load(t)
		if err := again.loadSyncTimestamps(first); err != nil {
			t.Fatalf("our own sync timestamp file does not load: %v\n%s", err, first)
		}
		if second := again.formatSyncTimestamps(); !bytes.Equal(first, second) {
			t.Fatalf("sync timestamps round trip:\n%s\nthen\n%s", first, second)
		}
	})
}

// The changelog is kept as bytes; the tracker reads it only through the
// offsets of the servers file, which must stay inside it.
func FuzzLoadChangelog(f *testing.F) {
	groups, servers := cTrackerFiles(f, groupsFile)[0], cTrackerFiles(f, serversFile)[0]
	for _, b := range cTrackerFiles(f, changelogFile) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzRegistry(t)
		files := [4][]byte{groups, servers, nil, data}
		if err := r.loadFiles(&files); err != nil {
			return
		}
		if !bytes.Equal(r.changelog, data) {
			t.Fatalf("changelog not kept as read")
		}
		checkRanges(t, r)
	})
}

func FuzzTrackerStatus(f *testing.F) {
	for _, b := range cTrackerFiles(f, trackerStatusFile) {
		f.Add(b)
	}
	f.Add(formatTrackerStatus(0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		last, err := parseTrackerStatus(data)
		if err != nil {
			if !strings.Contains(err.Error(), trackerStatusFile) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if last < 0 {
			t.Fatalf("last_check_time=%d loaded", last)
		}
		again, err := parseTrackerStatus(formatTrackerStatus(1, last))
		if err != nil || again != last {
			t.Fatalf("round trip: %d -> %d, %v", last, again, err)
		}
	})
}

// legacyGroupsSeed is the CSV groups file of TestLegacyStateFilesConverted.
const legacyGroupsSeed = "group1,23000,2,256\ngroup2,23001\n"

func FuzzLoadLegacyGroups(f *testing.F) {
	f.Add([]byte(legacyGroupsSeed))
	f.Add([]byte("group1,23000,1,256\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzRegistry(t)
		if err := r.loadLegacyGroups(data); err != nil {
			return
		}
		checkRanges(t, r)
		// the conversion: what we write in the new form loads to the same
		first := r.formatGroups()
		again := fuzzRegistry(t)
		if err := again.loadGroups(first); err != nil {
			t.Fatalf("converted groups file does not load: %v\n%s", err, first)
		}
		if second := again.formatGroups(); !bytes.Equal(first, second) {
			t.Fatalf("converted groups round trip:\n%s\nthen\n%s", first, second)
		}
	})
}

func FuzzLoadLegacyServers(f *testing.F) {
	f.Add([]byte("group1,127.0.6.2,7,,0,10,9,4,4,3,3,20,19,2,2,1795290000,1795290001,0,23000,8888,1795280000,6.16.1\n" +
		"group1, 127.0.6.3 ,1,127.0.6.2,1795290005,1,1,0,0,0,0,0,0,0,0,0,0\n" +
		"group2,127.0.6.4,6,,0,0,0,0,0,0,0,0,0,0,0,0,0,99,23002,0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := fuzzRegistry(t)
		if err := r.loadLegacyGroups([]byte(legacyGroupsSeed)); err != nil {
			t.Fatal(err)
		}
		if err := r.loadLegacyServers(data); err != nil {
			return
		}
		checkRanges(t, r)
		for line := range strings.Lines(string(data)) {
			if f := csvFields(line, 22); len(f) > 2 {
				switch st := atoi(f[2]); st {
				case 0, 1, 2, 3, 4, 5, 6, 7, 9, 99: // C's storage statuses
				default:
					t.Fatalf("status %q loaded as %d", f[2], byte(st))
				}
			}
		}
		first := r.formatServers()
		again := fuzzRegistry(t)
		if err := again.loadLegacyGroups([]byte(legacyGroupsSeed)); err != nil {
			t.Fatal(err)
		}
		if err := again.loadServers(first); err != nil {
			t.Fatalf("converted servers file does not load: %v\n%s", err, first)
		}
		if second := again.formatServers(); !bytes.Equal(first, second) {
			t.Fatalf("converted servers round trip:\n%s\nthen\n%s", first, second)
		}
	})
}

// A damaged state file stops the tracker with the file and line, and the
// file stays as it was: nothing half-loaded gets saved over it.
func TestCorruptStateFileStopsTracker(t *testing.T) {
	vec, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(vec, "cluster", "tracker_files", "tracker1_127.0.2.10")
	cases := []struct{ name, file, old, new, want string }{
		{"groups port", groupsFile, "storage_port=23000", "storage_port=-23000", groupsFile + ":7: storage_port"},
		{"servers status", serversFile, "\tstatus=7\n", "\tstatus=263\n", serversFile + ":5: status"},
		{"servers counter", serversFile, "\ttotal_mb=258019\n", "\ttotal_mb=lots\n", serversFile + ":11: total_mb"},
		{"sync matrix", syncTimestampFile, ",1795299996", ",-1", syncTimestampFile + ": line 2: bad timestamp"},
		{"include", groupsFile, "[Global]\n", "[Global]\n#include storage_servers_new.dat\n", groupsFile + ":2: "},
		{"tracker status", trackerStatusFile, "last_check_time=1795300500", "last_check_time=x", trackerStatusFile + ":2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := t.TempDir()
			data := filepath.Join(base, "data")
			if err := os.MkdirAll(data, 0o755); err != nil {
				t.Fatal(err)
			}
			var before []byte
			for _, f := range []string{groupsFile, serversFile, syncTimestampFile, changelogFile, trackerStatusFile} {
				b, err := os.ReadFile(filepath.Join(src, f))
				if err != nil {
					t.Fatal(err)
				}
				if f == c.file {
					if !bytes.Contains(b, []byte(c.old)) {
						t.Fatalf("%s has no %q", f, c.old)
					}
					b = bytes.Replace(b, []byte(c.old), []byte(c.new), 1)
					before = b
				}
				if err := os.WriteFile(filepath.Join(data, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := New(testConf(t, base), WithLogger(testLogger(t)))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("New: %v, want an error with %q", err, c.want)
			}
			if testing.Verbose() {
				t.Log(err)
			}
			after, err := os.ReadFile(filepath.Join(data, c.file))
			if err != nil || !bytes.Equal(after, before) {
				t.Fatalf("%s changed by a failed start (%v)", c.file, err)
			}
		})
	}
}

// A group whose members listen on different ports has storage_port=-1
// (cluster.md §1.2 step 7, join.go): the range check must let it load.
func TestGroupPortMinusOneLoads(t *testing.T) {
	r := fuzzRegistry(t)
	if err := r.loadGroups([]byte("[Global]\n\tgroup_count=1\n[Group001]\n\tgroup_name=g1\n\tstorage_port=-1\n")); err != nil {
		t.Fatal(err)
	}
	if g := r.groups["g1"]; g == nil || g.port != -1 {
		t.Fatalf("group g1: %+v", g)
	}
	if err := fuzzRegistry(t).loadLegacyGroups([]byte("g1,-1,1,256\n")); err != nil {
		t.Fatalf("legacy: %v", err)
	}
}
