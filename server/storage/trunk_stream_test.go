package storage

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"slices"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage/trunk"
)

// trunkSlotOf is the trunk slot an ID names (fails on a plain ID).
func trunkSlotOf(t *testing.T, id string) codec.TrunkSlot {
	t.Helper()
	rf, _ := parseID(t, id)
	ref, ok, err := codec.TrunkRefOf(&rf)
	if !ok || err != nil {
		t.Fatalf("%s is not a trunk ID (%v)", id, err)
	}
	return ref.Slot
}

// Uploads above the small-body buffer that fit a slot (header included:
// 24 + size <= slot_max_size) are streamed into a trunk slot: trunk IDs,
// byte-identical downloads and file info; one byte more is a plain file.
// A client cut off mid-body leaves its slot free for the next upload.
func TestTrunkStreamedUpload(t *testing.T) {
	e := newEnv(t, 1, WithSmallBody(4096))
	trunkOn(e.srv) // slot_max_size 64 KiB, slot_min_size 256, no alignment
	nameSelfTrunkServer(e.srv)
	ctx := context.Background()
	const slotMax = 65536
	var slots []codec.TrunkSlot
	for i, size := range []int{5000, 40000, slotMax - codec.TrunkSlotHeaderSize} {
		data := randBytes(uint64(100+i), size)
		id := e.upload(data, "jpg")
		slots = append(slots, trunkSlotOf(t, id))
		if got := e.mustDownload(id); !bytes.Equal(got, data) {
			t.Fatalf("%s (%d bytes) differs", id, size)
		}
		info, err := e.cli.FileInfo(ctx, id)
		if err != nil || info.Size != int64(size) || info.CRC32 != crc32.ChecksumIEEE(data) {
			t.Fatalf("info of %s: %+v %v", id, info, err)
		}
	}
	over := e.upload(randBytes(7, slotMax-codec.TrunkSlotHeaderSize+1), "jpg")
	if rf, _ := parseID(t, over); len(rf.Logic) != codec.NormalNameLen {
		t.Fatalf("%s: one byte over slot_max_size is not a plain file", over)
	}

	st, err := e.srv.trunkStore()
	if err != nil {
		t.Fatal(err)
	}
	// heldSlot sends half of a 40000-byte upload and waits for the slot
	// the storage takes for it (held until the body is in)
	heldSlot := func(r *raw, req []byte) codec.TrunkInfo {
		before := st.FreeSlots()
		if _, err := r.c.Write(req[:len(req)/2]); err != nil {
			t.Fatal(err)
		}
		var held codec.TrunkInfo
		waitFor(t, func() bool {
			for _, fs := range st.FreeSlots() {
				if !slices.Contains(before, fs) && st.Held(fs) {
					held = fs
					return true
				}
			}
			return false
		})
		return held
	}
	// streamed for sure: the slot is taken with half the body sent
	data := randBytes(8, 40000)
	r := dialRaw(t, e.srv.Addr().String())
	req := uploadRequest(data, "jpg")
	held := heldSlot(r, req)
	if _, err := r.c.Write(req[len(req)/2:]); err != nil {
		t.Fatal(err)
	}
	_, body := r.mustRecv()
	var reply codec.UploadReply
	if err := reply.Decode(body); err != nil {
		t.Fatal(err)
	}
	id := testGroup + "/" + string(reply.Name)
	if got := trunkSlotOf(t, id); got.ID != held.FileID || got.Offset != held.Offset || st.Held(held) {
		t.Fatalf("%s: not in the slot %s taken for it, or still held", id, trunk.String(held))
	}
	if got := e.mustDownload(id); !bytes.Equal(got, data) {
		t.Fatalf("%s differs", id)
	}

	// cut off mid-body: the slot is held while the body comes, then freed
	r = dialRaw(t, e.srv.Addr().String())
	held = heldSlot(r, uploadRequest(make([]byte, 40000), "jpg"))
	r.c.Close()
	waitFor(t, func() bool { return !st.Held(held) })
	// the next upload of that size takes the freed slot
	data = randBytes(9, 40000)
	id = e.upload(data, "jpg")
	if got := trunkSlotOf(t, id); got.ID != held.FileID || got.Offset != held.Offset {
		t.Fatalf("freed slot %s not reused: got %+v", trunk.String(held), got)
	}
	if got := e.mustDownload(id); !bytes.Equal(got, data) {
		t.Fatalf("%s differs", id)
	}
}

// BenchmarkTrunkStreamed: photo-sized streamed uploads into trunk slots
// (slot_max_size 1 MiB) against the same uploads as plain files.
func BenchmarkTrunkStreamed(b *testing.B) {
	for _, size := range []int{100 << 10, 500 << 10} {
		for _, inTrunk := range []bool{false, true} {
			name := "plain"
			if inTrunk {
				name = "trunk"
			}
			b.Run(fmt.Sprintf("%dK/%s", size>>10, name), func(b *testing.B) {
				e := newEnv(b, 1, WithSmallBody(0))
				if inTrunk {
					e.srv.noteTrunkParams(codec.Parameters{{Key: "use_trunk_file", Value: "1"},
						{Key: "slot_min_size", Value: "256"}, {Key: "slot_max_size", Value: "1048576"},
						{Key: "trunk_file_size", Value: "67108864"}})
					nameSelfTrunkServer(e.srv)
				}
				data := randBytes(1, size)
				ctx := context.Background()
				r := bytes.NewReader(data)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					r.Reset(data)
					id, err := e.cli.Upload(ctx, r, int64(size), "jpg")
					if err != nil {
						b.Fatal(err)
					}
					if rf, _ := parseID(b, id); (len(rf.Logic) != codec.NormalNameLen) != inTrunk {
						b.Fatalf("%s: trunk %v", id, inTrunk)
					}
				}
			})
		}
	}
}
