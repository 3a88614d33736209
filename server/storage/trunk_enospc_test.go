package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// A slot write that meets a full disk is a clean error: the client gets
// ENOSPC, the slot goes back to the free space (not held, so the next
// upload may take it), and the files already in the container are intact.
func TestTrunkSlotWriteENOSPC(t *testing.T) {
	e := newEnv(t, 1)
	trunkOn(e.srv)
	nameSelfTrunkServer(e.srv)
	// the containers' directory on a 1 MiB tmpfs: the 4 MB container is
	// sparse, its slots fill the tmpfs
	dir := filepath.Join(e.cfg.StorePaths[0].Path, "data", "00", "00")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("mount tmpfs on %s: %v (needs CAP_SYS_ADMIN)", dir, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })

	type up struct {
		id   string
		data []byte
	}
	var ok []up
	var failed error
	for i := range 40 {
		data := randBytes(uint64(100+i), 60000)
		id, err := e.cli.Upload(context.Background(), bytes.NewReader(data), int64(len(data)), "bin")
		if err != nil {
			failed = err
			break
		}
		ok = append(ok, up{id, data})
	}
	if !errors.Is(failed, codec.ENOSPC) {
		t.Fatalf("after %d uploads into a full container: %v, want ENOSPC", len(ok), failed)
	}
	if len(ok) == 0 {
		t.Fatalf("no upload fitted before the disk was full")
	}
	st, err := e.srv.trunkStore()
	if err != nil {
		t.Fatal(err)
	}
	// the failed upload's slot (60024 bytes from the end of the last
	// good one) is free again, not held
	var last codec.TrunkRef
	{
		rf, _ := parseID(t, ok[len(ok)-1].id)
		ref, _, err := codec.TrunkRefOf(&rf)
		if err != nil {
			t.Fatal(err)
		}
		last = ref
	}
	next := last.Slot.Offset + last.Slot.Size
	var slot *codec.TrunkInfo
	for _, f := range st.FreeSlots() {
		if f.FileID == last.Slot.ID && f.Offset == next {
			slot = &f
		}
	}
	if slot == nil {
		t.Fatalf("the slot at %d is not free after the failed write: %v", next, st.FreeSlots())
	}
	if st.Held(*slot) {
		t.Fatalf("slot %+v still held after the failed write", *slot)
	}
	for _, u := range ok {
		if got := e.mustDownload(u.id); !bytes.Equal(got, u.data) {
			t.Fatalf("%s damaged by the failed write", u.id)
		}
	}
}
