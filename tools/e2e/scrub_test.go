package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
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
	return startGroupOfTwoOf(t, false, trackerLines, storageLines)
}

// startGroupOfTwoOf starts C's daemons (the reference build in PATH) when
// c is true, ours otherwise.
func startGroupOfTwoOf(t *testing.T, c bool, trackerLines []string, storageLines func(i int) []string) *groupOfTwo {
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
		if c {
			extra = append(extra, "thread_stack_size = 512KB")
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
		if c {
			if out, err := exec.Command(name, cf, "start").CombinedOutput(); err != nil {
				t.Fatalf("C %s start: %v\n%s", name, err, out)
			}
			t.Cleanup(func() { _ = exec.Command(name, cf, "stop").Run() })
			continue
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

// isTrunkID: the ID names a slot of a trunk container.
func isTrunkID(t *testing.T, id string) bool {
	t.Helper()
	_, remote, err := codec.SplitFileID([]byte(id))
	if err != nil {
		t.Fatal(err)
	}
	rf, err := codec.ParseRemoteFilename(remote, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, ok, err := codec.TrunkRefOf(&rf)
	return ok && err == nil
}

// trunkSlot is where storage i keeps trunk file id: its container and the
// offset of the slot's content.
func (g *groupOfTwo) trunkSlot(i int, id string) (string, int64) {
	_, remote, _ := codec.SplitFileID([]byte(id))
	rf, _ := codec.ParseRemoteFilename(remote, 1)
	ref, _, _ := codec.TrunkRefOf(&rf)
	name := string(codec.AppendTrunkContainerName(nil, ref.Slot.ID))
	return filepath.Join(g.roots[i], "data", fmt.Sprintf("%02X", rf.High), fmt.Sprintf("%02X", rf.Low), name),
		ref.ContentOffset()
}

func (g *groupOfTwo) readSlot(i int, id string, n int) []byte {
	path, off := g.trunkSlot(i, id)
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, n)
	if _, err := f.ReadAt(b, off); err != nil {
		return nil
	}
	return b
}

// TestScrubTrunkSlots: with use_trunk_file, small uploads live in slots
// of trunk containers. The group is C's (tracker and two storages), so the
// slots, the binlog and the replication into the peer's slots are the
// reference's own. fdfs_scrub finds the trunk files through the binlog and
// checks each slot; a byte flipped in a slot's content and a damaged slot
// header are named (exit 1), -repair rewrites both slots from the peer
// byte for byte, the C storage serves the repaired files again, and the
// next scrub is clean.
func TestScrubTrunkSlots(t *testing.T) {
	for _, name := range []string{"fdfs_trackerd", "fdfs_storaged"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("the C FastDFS reference (%s) is not installed: %v", name, err)
		}
	}
	t.Parallel()
	g := startGroupOfTwoOf(t, true, []string{"use_trunk_file = true", "slot_min_size = 256",
		"trunk_file_size = 4MB", "check_active_interval = 2"}, nil)
	rnd := rand.New(rand.NewPCG(14, 15))
	var ids []string
	var contents [][]byte
	for i := range 4 {
		content := make([]byte, 3000+i*1000)
		for k := range content {
			content[k] = byte(rnd.Uint32())
		}
		src := write(t, filepath.Join(g.dir, fmt.Sprintf("t%d.bin", i)), string(content))
		var id string
		deadline := time.Now().Add(60 * time.Second)
		for id = g.upload(src); !isTrunkID(t, id); id = g.upload(src) {
			if time.Now().After(deadline) {
				t.Fatalf("uploads never went to a trunk slot: %s", id)
			}
			time.Sleep(300 * time.Millisecond)
		}
		ids, contents = append(ids, id), append(contents, content)
	}
	for i, id := range ids {
		deadline := time.Now().Add(60 * time.Second)
		for !bytes.Equal(g.readSlot(0, id, len(contents[i])), contents[i]) ||
			!bytes.Equal(g.readSlot(1, id, len(contents[i])), contents[i]) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never in the slots of both storages", id)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// the scrub finds trunk files through the binlog, which C writes
	// through a buffer (sync_binlog_buff_interval)
	deadline := time.Now().Add(30 * time.Second)
	for {
		bl, _ := os.ReadFile(filepath.Join(g.roots[1], "data", "sync", "binlog.000"))
		n := 0
		for _, id := range ids {
			if bytes.Contains(bl, []byte(id[len("group1/"):])) {
				n++
			}
		}
		if n == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's binlog names %d of the %d trunk files:\n%s", n, len(ids), bl)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out, code := g.run("fdfs_scrub", g.confs[1]); code != 0 || !strings.Contains(out, "4 in trunk slots): ok ") ||
		!strings.Contains(out, ", bad 0,") { // uploads before the trunk server was elected are plain files
		t.Fatalf("clean scrub: exit %d\n%s", code, out)
	}

	// a content byte of one slot, a header byte (the mtime) of another
	container, off := g.trunkSlot(1, ids[1])
	flipByte(t, container, off+1234)
	container, off = g.trunkSlot(1, ids[2])
	flipByte(t, container, off-codec.TrunkSlotHeaderSize+14)
	out, code := g.run("fdfs_scrub", g.confs[1], "-rate", "50")
	if code != 1 || !strings.Contains(out, "bad: "+ids[1]+": crc32 ") ||
		!strings.Contains(out, "bad: "+ids[2]+": slot header at ") || !strings.Contains(out, ", bad 2,") {
		t.Fatalf("scrub of a flipped byte: exit %d\n%s", code, out)
	}
	out, code = g.run("fdfs_scrub", g.confs[1], "-repair")
	if code != 1 || !strings.Contains(out, "repaired: "+ids[1]+" from 127.0.7.52:") ||
		!strings.Contains(out, "repaired: "+ids[2]+" from 127.0.7.52:") {
		t.Fatalf("repair: exit %d\n%s", code, out)
	}
	for i, id := range ids {
		if !bytes.Equal(g.readSlot(1, id, len(contents[i])), contents[i]) {
			t.Fatalf("the repaired slot of %s differs from the upload", id)
		}
	}
	// the C storage checks the slot header before it serves a trunk file
	dl := filepath.Join(g.dir, "dl.bin")
	for _, i := range []int{1, 2} {
		os.Remove(dl)
		if out, err := exec.Command("fdfs_download_file", g.clientConf, ids[i], dl).CombinedOutput(); err != nil {
			t.Fatalf("download %s: %v %s", ids[i], err, out)
		}
		if got, _ := os.ReadFile(dl); !bytes.Equal(got, contents[i]) {
			t.Errorf("C serves %s with %d bytes, not the upload", ids[i], len(got))
		}
	}
	if out, code := g.run("fdfs_scrub", g.confs[1]); code != 0 || !strings.Contains(out, ", bad 0,") {
		t.Fatalf("scrub after repair: exit %d\n%s", code, out)
	}
}
