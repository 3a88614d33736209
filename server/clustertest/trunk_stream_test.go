package clustertest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// streamedTrunkKeys turn trunk files on with C's usual slot_max_size of
// 1 MiB: photo-sized uploads (above the storage's small-body buffer, so
// streamed) fit a slot.
var streamedTrunkKeys = []string{"use_trunk_file = true", "slot_min_size = 256", "slot_max_size = 1MB",
	"trunk_file_size = 8MB", "check_active_interval = 2", "reserved_storage_space = 1M"}

// streamedSizes are the upload sizes checked, and whether C puts each in
// a slot: 24 header bytes + content <= slot_max_size.
var streamedSizes = []struct {
	size  int
	trunk bool
}{{100 << 10, true}, {500 << 10, true}, {900 << 10, true},
	{1<<20 - codec.TrunkSlotHeaderSize, true}, {1<<20 - codec.TrunkSlotHeaderSize + 1, false}}

func randData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func trunkSlotOfID(t *testing.T, id string) codec.TrunkSlot {
	t.Helper()
	_, remote, _ := codec.SplitFileID([]byte(id))
	rf, err := codec.ParseRemoteFilename(remote, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, ok, err := codec.TrunkRefOf(&rf)
	if !ok || err != nil {
		t.Fatalf("%s is not a trunk ID (%v)", id, err)
	}
	return ref.Slot
}

// Streamed uploads that fit a slot go into trunk files, on the trunk
// server and on a member that takes its slots from it; both serve them
// byte for byte (replication), a file one byte over slot_max_size stays a
// plain file, and a client cut off mid-body on the member leaves its slot
// free at the trunk server: the next upload of that size takes it.
func TestTrunkStreamedUploads(t *testing.T) {
	cl, trunkSrv, member := trunkGroup(t, false, false, streamedTrunkKeys...)

	type file struct {
		id   string
		data []byte
	}
	var files []file
	for i, sz := range streamedSizes {
		for j, on := range []trunkPeer{trunkSrv, member} {
			data := randData(uint64(i*2+j), sz.size)
			var id string
			waitUntil(t, "upload", func() (bool, string) {
				var err error
				id, err = cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "jpg", client.OnStorage(on.on))
				return err == nil, fmt.Sprint(err)
			})
			if got := isTrunkID(t, id); got != sz.trunk {
				t.Fatalf("%d bytes to %s: %s, trunk ID %v, want %v", sz.size, on.ip, id, got, sz.trunk)
			}
			files = append(files, file{id, data})
		}
	}
	for _, f := range files {
		for _, p := range []trunkPeer{trunkSrv, member} {
			waitUntil(t, "served by "+p.ip, func() (bool, string) {
				var buf bytes.Buffer
				_, err := cl.DownloadFrom(ctx(t), p.on, f.id, &buf, 0, 0)
				return err == nil && bytes.Equal(buf.Bytes(), f.data), fmt.Sprintf("%s: %v", f.id, err)
			})
		}
	}
	t.Logf("%d streamed files served by both members", len(files))

	// cut off mid-body on the member: it held a slot at the trunk server
	// (the trunk binlog grows with the allocation) and gives it back
	// (TRUNK_ALLOC_CONFIRM with an error) before it logs the abort
	trunkBinlog := filepath.Join(trunkSrv.base, "data", "trunk", "binlog")
	binlogSize := func() int64 {
		st, _ := os.Stat(trunkBinlog)
		if st == nil {
			return 0
		}
		return st.Size()
	}
	memberLog := filepath.Join(member.base, "logs", "storaged.log")
	aborts := func() int {
		b, _ := os.ReadFile(memberLog)
		return strings.Count(string(b), "upload aborted")
	}
	const cutSize = 300 << 10
	first := randData(100, cutSize)
	a, err := cl.Upload(ctx(t), bytes.NewReader(first), cutSize, "jpg", client.OnStorage(member.on))
	if err != nil {
		t.Fatal(err)
	}
	aSlot := trunkSlotOfID(t, a)
	sizeBefore, abortsBefore := binlogSize(), aborts()
	c, err := net.Dial("tcp", member.on.Addr)
	if err != nil {
		t.Fatal(err)
	}
	req := codec.UploadRequest{StorePathIndex: codec.StorePathAuto, FileSize: cutSize, Ext: []byte("jpg")}
	pkt := r2b(req)
	if _, err := c.Write(append(pkt, make([]byte, cutSize/2)...)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the cut-off upload's slot allocated", func() (bool, string) {
		return binlogSize() > sizeBefore, fmt.Sprint(binlogSize())
	})
	c.Close()
	waitUntil(t, "the member logs the abort", func() (bool, string) {
		return aborts() > abortsBefore, fmt.Sprint(aborts())
	})
	next := randData(101, cutSize)
	b, err := cl.Upload(ctx(t), bytes.NewReader(next), cutSize, "jpg", client.OnStorage(member.on))
	if err != nil {
		t.Fatal(err)
	}
	bSlot := trunkSlotOfID(t, b)
	// slots are taken in order from the container's free rest: the cut-off
	// upload had the one right after a's
	if bSlot.ID != aSlot.ID || bSlot.Offset != aSlot.Offset+aSlot.Size {
		t.Fatalf("after the cut-off upload: %+v, want the slot after %+v (freed)", bSlot, aSlot)
	}
	for _, p := range []trunkPeer{trunkSrv, member} {
		waitUntil(t, "served by "+p.ip, func() (bool, string) {
			var buf bytes.Buffer
			_, err := cl.DownloadFrom(ctx(t), p.on, b, &buf, 0, 0)
			return err == nil && bytes.Equal(buf.Bytes(), next), fmt.Sprintf("%s: %v", b, err)
		})
	}
}

// r2b is an UPLOAD_FILE request's header and fixed part.
func r2b(r codec.UploadRequest) []byte {
	b := codec.Request(codec.CmdUploadFile, int(r.BodyLen())).Append(nil)
	return r.Append(b)
}

// C's storage decides the same: with C as the member of our trunk
// server, the same sizes go into slots or plain files as ours put them.
func TestTrunkStreamedSizesLikeC(t *testing.T) {
	cl, ours, cPeer := trunkGroup(t, false, true, streamedTrunkKeys...) // skips without C's fdfs_storaged
	tip, cip := ours.ip, cPeer.ip
	for i, sz := range streamedSizes {
		data := randData(uint64(50+i), sz.size)
		ids := map[string]string{}
		for _, p := range []trunkPeer{ours, cPeer} {
			var id string
			waitUntil(t, "upload", func() (bool, string) {
				var err error
				id, err = cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "jpg", client.OnStorage(p.on))
				return err == nil, fmt.Sprint(err)
			})
			ids[p.ip] = id
		}
		if a, b := isTrunkID(t, ids[tip]), isTrunkID(t, ids[cip]); a != b || a != sz.trunk {
			t.Fatalf("%d bytes: ours %s (trunk %v), C %s (trunk %v), want trunk %v", sz.size, ids[tip], a, ids[cip], b, sz.trunk)
		}
		// each serves the other's file (replication both ways)
		for _, p := range []trunkPeer{ours, cPeer} {
			for _, id := range ids {
				waitUntil(t, "served by "+p.ip, func() (bool, string) {
					var buf bytes.Buffer
					_, err := cl.DownloadFrom(ctx(t), p.on, id, &buf, 0, 0)
					return err == nil && bytes.Equal(buf.Bytes(), data), fmt.Sprintf("%s: %v", id, err)
				})
			}
		}
		t.Logf("%d bytes: ours %s, C %s", sz.size, ids[tip], ids[cip])
	}
}
