package clustertest

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// cBinary is the installed C reference daemon, or a skip: CI has no C.
func cBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not in PATH: the C reference FastDFS is needed for this test (build-c-reference.sh)", name)
	}
	return p
}

// startCProc runs a C daemon in the foreground (-N) until the test ends.
func startCProc(t *testing.T, bin, confPath string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "-N", confPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() && out.Len() > 0 {
			t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
		}
	})
	return cmd
}

// startCTrunkTracker runs C's fdfs_trackerd with trunk files on.
func startCTrunkTracker(t *testing.T, ip string) string {
	t.Helper()
	bin := cBinary(t, "fdfs_trackerd")
	cBinary(t, "fdfs_storaged")
	base := t.TempDir()
	port := sharedPort(t, ip)
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	text := fmt.Sprintf("base_path = %s\nbind_addr = %s\nport = %d\nconnect_timeout = 2\nnetwork_timeout = 5\n"+
		"thread_stack_size = 512KB\nuse_trunk_file = true\nslot_min_size = 256\nslot_max_size = 1MB\n"+
		"trunk_file_size = 4MB\nstore_server = 1\ncheck_active_interval = 10\n", base, ip, port)
	startCProc(t, bin, writeFile(t, filepath.Join(base, "tracker.conf"), text))
	waitUntil(t, "C tracker "+addr+" listening", func() (bool, string) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, ""
	})
	return addr
}

// stopProc ends a daemon with SIGTERM (it saves its state, as an operator's
// stop does) and waits until it is gone.
func stopProc(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "pid "+strconv.Itoa(cmd.Process.Pid)+" gone", func() (bool, string) {
		err := syscall.Kill(cmd.Process.Pid, 0)
		return errors.Is(err, syscall.ESRCH), fmt.Sprint(err)
	})
}

// isTrunkID reports a 60-character logic name with the trunk flag.
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

// A C storage in trunk mode stores 120 small files, some with metadata,
// deletes two and stops; our storage starts on its base and store path,
// with the C tracker, and serves, describes, deletes and adds files (issue
// 14, "Taking over").
func TestTrunkTakeoverFromC(t *testing.T) {
	blk := newBlock(t)
	tracker := startCTrunkTracker(t, blk.trackerIP(0))
	ip := blk.storageIP(0)
	sp := storageSpec{group: "group1", ip: ip, port: sharedPort(t, ip), trackers: []string{tracker},
		extra: []string{"thread_stack_size = 512KB"}}
	base := t.TempDir()
	confPath := writeFile(t, filepath.Join(base, "storage.conf"), storageConfText(t, base, sp))
	seedSynced(t, base, ip, sp.port)
	cStorage := startCProc(t, cBinary(t, "fdfs_storaged"), confPath)
	cl := newClient(t, tracker)
	waitUntil(t, "C storage ACTIVE", statusIs(cl, "group1", client.StatusActive, ip))

	type stored struct {
		id   string
		data []byte
		meta []client.Meta
	}
	rng := rand.New(rand.NewPCG(14, 120))
	var files []stored
	exts := []string{"jpg", "txt", "", "tar"}
	for i := range 120 {
		data := make([]byte, 1+rng.IntN(4000))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		var id string
		waitUntil(t, "upload to the C storage", func() (bool, string) {
			var err error
			id, err = cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), exts[i%len(exts)])
			return err == nil, fmt.Sprint(err)
		})
		if !isTrunkID(t, id) {
			t.Fatalf("C stored %s outside a trunk file: trunk mode is off", id)
		}
		f := stored{id: id, data: data}
		if i%10 == 0 {
			f.meta = []client.Meta{{Name: "n", Value: strconv.Itoa(i)}, {Name: "src", Value: "c"}}
			if err := cl.SetMetadata(ctx(t), id, f.meta, false); err != nil {
				t.Fatal(err)
			}
		}
		files = append(files, f)
	}
	for _, i := range []int{3, 50} {
		if err := cl.Delete(ctx(t), files[i].id); err != nil {
			t.Fatal(err)
		}
	}
	stopProc(t, cStorage)
	if _, err := os.Stat(filepath.Join(base, "data", "trunk", "binlog")); err != nil {
		t.Fatalf("the C storage left no trunk binlog: %v", err)
	}

	// our storage on the same conf, base and store path
	ours := &storageNode{t: t, base: base, spec: sp}
	ours.start()
	t.Cleanup(ours.stop)
	waitUntil(t, "our storage ACTIVE at the C tracker", statusIs(cl, "group1", client.StatusActive, ip))
	// the C tracker ranks candidates with TRUNK_GET_BINLOG_SIZE: ours answers
	// and is the group's trunk server again
	waitUntil(t, "our storage the trunk server", func() (bool, string) {
		m, state := storages(cl, "group1")
		return m[ip].IfTrunkServer, state
	})

	for i, f := range files {
		deleted := i == 3 || i == 50
		var buf bytes.Buffer
		_, err := cl.Download(ctx(t), f.id, &buf, 0, 0)
		if deleted {
			if !errors.Is(err, codec.ENOENT) {
				t.Fatalf("file %d deleted by C: download %v", i, err)
			}
			continue
		}
		if err != nil || !bytes.Equal(buf.Bytes(), f.data) {
			t.Fatalf("file %d %s: %d bytes (want %d), %v", i, f.id, buf.Len(), len(f.data), err)
		}
		info, err := cl.FileInfo(ctx(t), f.id)
		if err != nil || info.Size != int64(len(f.data)) || info.CRC32 != crc32.ChecksumIEEE(f.data) {
			t.Fatalf("file %d info %+v %v", i, info, err)
		}
		if f.meta != nil {
			got, err := cl.GetMetadata(ctx(t), f.id)
			if err != nil || len(got) != len(f.meta) || got[0] != f.meta[0] || got[1] != f.meta[1] {
				t.Fatalf("file %d metadata %+v %v", i, got, err)
			}
		}
	}

	// deletes free the slots into C's trunk binlog, as C's trunk server logs them
	binlogPath := filepath.Join(base, "data", "trunk", "binlog")
	before, _ := os.ReadFile(binlogPath)
	for _, i := range []int{0, 7, 119} {
		if err := cl.Delete(ctx(t), files[i].id); err != nil {
			t.Fatalf("delete file %d: %v", i, err)
		}
		if _, err := cl.Download(ctx(t), files[i].id, &bytes.Buffer{}, 0, 0); !errors.Is(err, codec.ENOENT) {
			t.Fatalf("file %d after delete: %v", i, err)
		}
	}
	after, _ := os.ReadFile(binlogPath)
	added := strings.Split(strings.TrimSuffix(string(after[len(before):]), "\n"), "\n")
	if len(added) != 3 {
		t.Fatalf("trunk binlog got %q for 3 deletes", added)
	}
	for _, l := range added {
		var r codec.TrunkBinlogRecord
		if _, err := r.Parse([]byte(l + "\n")); err != nil || r.Op != codec.TrunkBinlogAdd {
			t.Fatalf("trunk binlog line %q: %v", l, err)
		}
	}
	// the neighbours of the freed slots are intact
	for _, i := range []int{1, 8, 118} {
		var buf bytes.Buffer
		if _, err := cl.Download(ctx(t), files[i].id, &buf, 0, 0); err != nil || !bytes.Equal(buf.Bytes(), files[i].data) {
			t.Fatalf("file %d after its neighbour's delete: %v", i, err)
		}
	}
	// and new files go in
	data := []byte("added after the takeover")
	id, err := cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "txt")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := cl.Download(ctx(t), id, &buf, 0, 0); err != nil || buf.String() != string(data) {
		t.Fatalf("new file %s: %q %v", id, buf.String(), err)
	}
}
