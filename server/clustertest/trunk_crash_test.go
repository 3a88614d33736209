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
	blk := newBlock(t)
	tr := newTracker(t, blk.trackerIP(0), "use_trunk_file = true", "slot_min_size = 256", "slot_max_size = 64KB",
		"trunk_file_size = 4MB", "reserved_storage_space = 1M")
	cl := newClient(t, tr.addr)
	ip := blk.storageIP(0)
	sp := storageSpec{group: "group1", ip: ip, port: sharedPort(t, ip), trackers: []string{tr.addr}}
	proc, base := startTrunkStorageProc(t, sp, "")
	waitUntil(t, ip+" ACTIVE", statusIs(cl, "group1", client.StatusActive, ip))
	waitUntil(t, ip+" trunk server", trunkServerIs(cl, ip))
	on := client.StorageServer{Group: "group1", Addr: net.JoinHostPort(ip, strconv.Itoa(sp.port)), StorePathIndex: -1}

	const writers = 3
	type acked struct {
		id   string
		data []byte
	}
	var (
		mu    sync.Mutex
		files []acked
		wg    sync.WaitGroup
		stop  = make(chan struct{})
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
				data := bytes.Repeat([]byte(fmt.Sprintf("w%d-%d;", w, i)), 1+(i*37+w*11)%400)
				id, err := cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "bin", client.OnStorage(on))
				if err != nil {
					continue // in flight at the kill, or refused while down
				}
				mu.Lock()
				files = append(files, acked{id, data})
				mu.Unlock()
			}
		}()
	}
	waitUntil(t, "200 acknowledged trunk uploads", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(files) >= 200, strconv.Itoa(len(files))
	})
	proc.signal(t, syscall.SIGKILL)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	proc.restart(t)
	waitUntil(t, ip+" ACTIVE after the restart", statusIs(cl, "group1", client.StatusActive, ip))

	mu.Lock()
	defer mu.Unlock()
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
	var containers int64
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
	containers = int64(len(ids)) * 4 << 20
	if lost := containers - st.FreeBytes() - used; lost < 0 || lost > writers*(400*12+24+256) {
		t.Fatalf("%d containers: %d bytes free, %d in %d acknowledged files: %d unaccounted",
			len(ids), st.FreeBytes(), used, len(files), lost)
	}
	// and uploads go on
	if _, err := cl.Upload(ctx(t), bytes.NewReader([]byte("after")), 5, "txt", client.OnStorage(on)); err != nil {
		t.Fatal(err)
	}
}
