package clustertest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// kill -9 under trunk uploads: every acknowledged file is served after the
// restart, no free slot overlaps an acknowledged file, and the space not
// accounted for (free or holding an acknowledged file) is at most the
// slots of the uploads in flight at the kill.
func TestTrunkKill9UnderUploads(t *testing.T) {
	t.Parallel()
	cl, on, proc, ip, base := loneTrunkServer(t, "64KB", "4MB")

	const writers = 3
	stop := make(chan struct{})
	var wg sync.WaitGroup
	files := uploadThroughKill(t, cl, on, proc, ip, writers, 200, stop, &wg, func(w, i int) ([]byte, string) {
		return bytes.Repeat([]byte(fmt.Sprintf("w%d-%d;", w, i)), 1+(i*37+w*11)%400), "bin"
	})
	checkTrunkAfterKill(t, cl, on, base, 4<<20, files, writers*(400*12+24+256))
	// and uploads go on
	if _, err := cl.Upload(ctx(t), bytes.NewReader([]byte("after")), 5, "txt", client.OnStorage(on)); err != nil {
		t.Fatal(err)
	}
}

// loneTrunkServer starts a tracker with trunk files on (slot_max_size and
// trunk_file_size as given) and one storage process, its trunk server;
// it returns a client, the storage to upload to, its process, address and
// base path.
func loneTrunkServer(t *testing.T, slotMax, fileSize string) (*client.Client, client.StorageServer, *storageProc, string, string) {
	t.Helper()
	blk := newBlock(t)
	tr := newTracker(t, blk.trackerIP(0), "use_trunk_file = true", "slot_min_size = 256", "slot_max_size = "+slotMax,
		"trunk_file_size = "+fileSize, "reserved_storage_space = 1M")
	cl := newClient(t, tr.addr)
	ip := blk.storageIP(0)
	sp := storageSpec{group: "group1", ip: ip, port: sharedPort(t, ip), trackers: []string{tr.addr}}
	proc, base := startTrunkStorageProc(t, sp, "")
	waitUntil(t, ip+" ACTIVE", statusIs(cl, "group1", client.StatusActive, ip))
	waitUntil(t, ip+" trunk server", trunkServerIs(cl, ip))
	on := client.StorageServer{Group: "group1", Addr: net.JoinHostPort(ip, strconv.Itoa(sp.port)), StorePathIndex: -1}
	return cl, on, proc, ip, base
}

// uploadThroughKill runs writers goroutines uploading file(w, i) to on
// until want uploads are acknowledged, then kills the storage with -9,
// ends the writers (close(stop), wg.Wait(): the caller's own goroutines on
// the same stop and wg end with them), restarts it and waits until it is
// ACTIVE again. It returns the acknowledged files.
func uploadThroughKill(t *testing.T, cl *client.Client, on client.StorageServer, proc *storageProc, ip string,
	writers, want int, stop chan struct{}, wg *sync.WaitGroup, file func(w, i int) ([]byte, string)) []acked {
	t.Helper()
	var (
		mu    sync.Mutex
		files []acked
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				data, ext := file(w, i)
				id, err := cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), ext, client.OnStorage(on))
				if err != nil {
					continue // in flight at the kill, or refused while down
				}
				mu.Lock()
				files = append(files, acked{id, data})
				mu.Unlock()
			}
		}()
	}
	waitUntil(t, fmt.Sprintf("%d acknowledged trunk uploads", want), func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(files) >= want, strconv.Itoa(len(files))
	})
	proc.signal(t, syscall.SIGKILL)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	proc.restart(t)
	waitUntil(t, ip+" ACTIVE after the restart", statusIs(cl, "group1", client.StatusActive, ip))
	return files
}

// acked is a file whose upload was acknowledged.
type acked struct {
	id   string
	data []byte
}

// checkTrunkAfterKill checks a trunk server restarted after a kill -9:
// every acknowledged file is served byte for byte, no free slot overlaps
// one, and the space neither free nor holding an acknowledged file (in
// containers of containerSize bytes) is at most inFlight bytes, the slots
// of the uploads in flight at the kill.
func checkTrunkAfterKill(t *testing.T, cl *client.Client, on client.StorageServer, base string,
	containerSize int64, files []acked, inFlight int64) {
	t.Helper()
	var used int64
	taken := map[[2]int32]int32{}
	for _, f := range files {
		if !isTrunkID(t, f.id) {
			t.Fatalf("%s is not a trunk ID", f.id)
		}
		var buf bytes.Buffer
		if _, err := cl.DownloadFrom(ctx(t), on, f.id, &buf, 0, 0); err != nil || !bytes.Equal(buf.Bytes(), f.data) {
			t.Fatalf("acknowledged %s after kill -9: %v", f.id, err)
		}
		_, remote, _ := codec.SplitFileID([]byte(f.id))
		rf, _ := codec.ParseRemoteFilename(remote, 1)
		ref, _, _ := codec.TrunkRefOf(&rf)
		taken[[2]int32{ref.Slot.ID, ref.Slot.Offset}] = ref.Slot.Size
		used += int64(ref.Slot.Size)
	}
	// the free space the restarted trunk server rebuilt, read from a copy
	// of its trunk data
	copyBase := t.TempDir()
	for _, name := range []string{"data/trunk/binlog", "data/storage_trunk.dat"} {
		if b, err := os.ReadFile(filepath.Join(base, name)); err == nil {
			writeFile(t, filepath.Join(copyBase, name), string(b))
		}
	}
	st, err := trunk.Open(trunk.Config{BasePath: copyBase, StorePaths: []string{filepath.Join(base, "sp0")}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := map[int32]bool{}
	for _, fs := range st.FreeSlots() {
		for k, size := range taken {
			if k[0] == fs.FileID && fs.Offset < k[1]+size && k[1] < fs.Offset+fs.SlotSize {
				t.Fatalf("free slot %s overlaps an acknowledged file at %d+%d", trunk.String(fs), k[1], size)
			}
		}
		ids[fs.FileID] = true
	}
	for k := range taken {
		ids[k[0]] = true
	}
	containers := int64(len(ids)) * containerSize
	t.Logf("%d acknowledged files, %d bytes unaccounted for after the restart", len(files), containers-st.FreeBytes()-used)
	if lost := containers - st.FreeBytes() - used; lost < 0 || lost > inFlight {
		t.Fatalf("%d containers: %d bytes free, %d in %d acknowledged files: %d unaccounted (at most %d in flight)",
			len(ids), st.FreeBytes(), used, len(files), lost, inFlight)
	}
}

// kill -9 under streamed trunk uploads (photo-sized bodies received into
// their slots as they arrive), one of them held half-sent at the kill:
// every acknowledged file is served after the restart, no free slot
// overlaps one, and no more than the slots in flight is unaccounted for.
func TestTrunkKill9UnderStreamedUploads(t *testing.T) {
	t.Parallel()
	cl, on, proc, ip, base := loneTrunkServer(t, "1MB", "8MB")

	// the storage knows it is the trunk server once a trunk upload passes
	var files []acked
	first := randData(1, 300<<10)
	waitUntil(t, "a trunk upload", func() (bool, string) {
		id, err := cl.Upload(ctx(t), bytes.NewReader(first), int64(len(first)), "jpg", client.OnStorage(on))
		if err == nil {
			files = append(files, acked{id, first})
		}
		return err == nil, fmt.Sprint(err)
	})
	// one upload stays mid-body until the kill: its slot is allocated
	// (the trunk binlog grows) and its bytes trickle in
	trunkBinlog := filepath.Join(base, "data", "trunk", "binlog")
	binlogSize := func() int64 {
		st, _ := os.Stat(trunkBinlog)
		if st == nil {
			return 0
		}
		return st.Size()
	}
	sizeBefore := binlogSize()
	c, err := net.Dial("tcp", on.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const heldSize = 900 << 10
	req := codec.UploadRequest{StorePathIndex: codec.StorePathAuto, FileSize: heldSize, Ext: []byte("jpg")}
	if _, err := c.Write(append(r2b(req), make([]byte, heldSize/4)...)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the held upload's slot allocated", func() (bool, string) {
		return binlogSize() > sizeBefore, fmt.Sprint(binlogSize())
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // keeps the held upload under network_timeout
		defer wg.Done()
		for range heldSize / 2 / 1024 {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := c.Write(make([]byte, 1024)); err != nil {
				return
			}
		}
	}()

	const writers = 2
	files = append(files, uploadThroughKill(t, cl, on, proc, ip, writers, 20, stop, &wg, func(w, i int) ([]byte, string) {
		return randData(uint64(w<<20+i), 260<<10+(i*37+w*11)%400<<10), "jpg"
	})...)
	checkTrunkAfterKill(t, cl, on, base, 8<<20, files, (writers+1)*(1<<20))
	data := randData(77, 500<<10)
	id, err := cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "jpg", client.OnStorage(on))
	if err != nil || !isTrunkID(t, id) {
		t.Fatalf("upload after the restart: %s %v", id, err)
	}
}
