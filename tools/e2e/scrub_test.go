package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// groupOfTwo is our tracker (127.0.7.51) and two storages (.52, .53) of
// group1, as daemons.
type groupOfTwo struct {
	*cluster
	confs [2]string // storage.conf of A and B
	roots [2]string // their store paths
}

func startGroupOfTwo(t *testing.T) *groupOfTwo { return startGroupOfTwoWith(t, nil, nil) }

// startGroupOfTwoWith adds tracker.conf lines and per-storage lines.
func startGroupOfTwoWith(t *testing.T, trackerLines []string, storageLines func(i int) []string) *groupOfTwo {
	dir := t.TempDir()
	tport := freePort(t, "127.0.7.51")
	sport := freePort(t, "127.0.7.52")
	g := &groupOfTwo{cluster: &cluster{t: t, bin: binDir, dir: dir, trackerAddr: fmt.Sprintf("127.0.7.51:%d", tport)}}
	os.MkdirAll(filepath.Join(dir, "tracker"), 0o755)
	g.trackerConf = write(t, filepath.Join(dir, "tracker.conf"), fmt.Sprintf(
		"base_path = %s/tracker\nbind_addr = 127.0.7.51\nport = %d\nreserved_storage_space = 1%%\n%s", dir, tport,
		extraLines(trackerLines)))
	g.clientConf = write(t, filepath.Join(dir, "client.conf"), fmt.Sprintf(
		"base_path = %s\ntracker_server = 127.0.7.51:%d\nnetwork_timeout = 10\n", dir, tport))
	confs := []string{g.trackerConf}
	for i, ip := range []string{"127.0.7.52", "127.0.7.53"} {
		var extra []string
		if storageLines != nil {
			extra = storageLines(i)
		}
		root := filepath.Join(dir, fmt.Sprintf("s%d", i))
		os.MkdirAll(root, 0o755)
		g.roots[i] = root
		g.confs[i] = write(t, filepath.Join(dir, fmt.Sprintf("storage%d.conf", i)), fmt.Sprintf(
			"group_name = group1\nbase_path = %s\nstore_path0 = %s\nbind_addr = %s\nport = %d\n"+
				"tracker_server = 127.0.7.51:%d\nheart_beat_interval = 1\nstat_report_interval = 1\n"+
				"sync_wait_msec = 50\nsync_binlog_buff_interval = 1\n%s\n%s", root, root, ip, sport, tport, smallTree,
			extraLines(extra)))
		confs = append(confs, g.confs[i])
	}
	for i, cf := range confs {
		name := "fdfs_storaged"
		if i == 0 {
			name = "fdfs_trackerd"
		}
		if out, code := g.run(name, cf, "start"); code != 0 {
			t.Fatalf("%s start: exit %d\n%s", name, code, out)
		}
		t.Cleanup(func() { g.run(name, cf, "stop") })
	}
	return g
}

// local is where storage i keeps fileID.
func (g *groupOfTwo) local(i int, id string) string {
	logic := id[strings.Index(id, "/M00/")+len("/M00/"):]
	return filepath.Join(g.roots[i], "data", logic)
}

// waitCopies waits until both storages hold id with content want.
func (g *groupOfTwo) waitCopies(id string, want []byte) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		a, _ := os.ReadFile(g.local(0, id))
		b, _ := os.ReadFile(g.local(1, id))
		if bytes.Equal(a, want) && bytes.Equal(b, want) {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("%s never on both storages", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x5a
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// TestScrub: a byte flipped in B's replica is named by fdfs_scrub (exit
// 1), -repair restores it byte for byte from A, and the next scrub is
// clean; an appender file counts as not verifiable. A file bad on both
// members is reported by -repair as having no good copy and left as it was.
func TestScrub(t *testing.T) {
	t.Parallel()
	g := startGroupOfTwo(t)
	rnd := rand.New(rand.NewPCG(15, 15))
	content := make([]byte, 300<<10)
	for i := range content {
		content[i] = byte(rnd.Uint32())
	}
	src := write(t, filepath.Join(g.dir, "f.bin"), string(content))
	id := g.upload(src)
	g.waitCopies(id, content)
	if out, code := g.run("fdfs_upload_appender", g.clientConf, src); code != 0 {
		t.Fatalf("appender: %d %s", code, out)
	}

	if out, code := g.run("fdfs_scrub", g.confs[1]); code != 0 ||
		!strings.Contains(out, "bad 0, not verifiable 1") && !strings.Contains(out, "ok 1, bad 0") {
		t.Fatalf("clean scrub: exit %d\n%s", code, out)
	}
	flipByte(t, g.local(1, id), 123456)
	out, code := g.run("fdfs_scrub", g.confs[1], "-rate", "50")
	if code != 1 || !strings.Contains(out, "bad: "+id+": crc32 ") {
		t.Fatalf("scrub of a flipped byte: exit %d\n%s", code, out)
	}
	out, code = g.run("fdfs_scrub", g.confs[1], "-repair", "-path", "0")
	if code != 1 || !strings.Contains(out, "repaired: "+id+" from 127.0.7.52:") {
		t.Fatalf("repair: exit %d\n%s", code, out)
	}
	if got, _ := os.ReadFile(g.local(1, id)); !bytes.Equal(got, content) {
		t.Fatal("the repaired copy differs from the upload")
	}
	if out, code := g.run("fdfs_scrub", g.confs[1]); code != 0 || !strings.Contains(out, ", bad 0,") {
		t.Fatalf("scrub after repair: exit %d\n%s", code, out)
	}

	// bad everywhere: reported, never "repaired"
	id2 := g.upload(write(t, filepath.Join(g.dir, "g.bin"), string(content[:5000])))
	g.waitCopies(id2, content[:5000])
	flipByte(t, g.local(0, id2), 10)
	flipByte(t, g.local(1, id2), 4000)
	before, _ := os.ReadFile(g.local(0, id2))
	out, code = g.run("fdfs_scrub", g.confs[0], "-repair")
	if code != 1 || !strings.Contains(out, "bad: "+id2) || !strings.Contains(out, "not repaired: "+id2+": no peer has a good copy") {
		t.Fatalf("repair with no good copy: exit %d\n%s", code, out)
	}
	if after, _ := os.ReadFile(g.local(0, id2)); !bytes.Equal(after, before) {
		t.Fatal("a bad file was replaced by another bad copy")
	}
	if out, code = g.run("fdfs_scrub", g.confs[1]); code != 1 || !strings.Contains(out, "bad: "+id2) {
		t.Fatalf("B's bad copy: exit %d\n%s", code, out)
	}
	if out, code = g.run("fdfs_scrub", g.confs[1], "-bogus"); code != 2 || !strings.Contains(out, "Usage: fdfs_scrub") {
		t.Fatalf("bad option: exit %d\n%s", code, out)
	}
}
