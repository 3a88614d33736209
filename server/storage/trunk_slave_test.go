package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// A slave of a trunk-resident master, as C 6.16 makes it: the master is
// found in its slot, the slave is a plain file named after the master's
// whole name (trunk part included) with the prefix, in the master's
// directory; it downloads, a second one is EEXIST, and a slave of a
// deleted trunk master is ENOENT.
func TestTrunkSlaveOfTrunkMaster(t *testing.T) {
	e := newEnv(t, 1)
	trunkOn(e.srv)
	nameSelfTrunkServer(e.srv)
	ctx := context.Background()
	master := e.upload([]byte("trunk master"), "jpg")
	if rf, _ := parseID(t, master); func() bool { _, ok, _ := codec.TrunkRefOf(&rf); return !ok }() {
		t.Fatalf("%s is not a trunk ID", master)
	}
	slave, err := e.cli.UploadSlave(ctx, master, "_150x150", "jpg", strings.NewReader("slave!"), 6)
	if err != nil {
		t.Fatalf("UploadSlave of a trunk master: %v", err)
	}
	if want := strings.TrimSuffix(master, ".jpg") + "_150x150.jpg"; slave != want {
		t.Fatalf("slave %s, want %s", slave, want)
	}
	if got := e.mustDownload(slave); string(got) != "slave!" {
		t.Fatalf("slave content %q", got)
	}
	if got := e.mustDownload(master); string(got) != "trunk master" {
		t.Fatalf("master content %q", got)
	}
	// a plain file in the master's directory
	_, remote, _ := codec.SplitFileID([]byte(slave))
	rf, _ := codec.ParseRemoteFilename(remote, 1)
	path := filepath.Join(e.cfg.StorePaths[0].Path, "data", string(rf.TrueName))
	if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("slave file %s: %v", path, err)
	}
	if _, err := e.cli.UploadSlave(ctx, master, "_150x150", "jpg", strings.NewReader("again"), 5); !errors.Is(err, codec.EEXIST) {
		t.Fatalf("second slave: %v", err)
	}
	if err := e.cli.Delete(ctx, master); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.UploadSlave(ctx, master, "_small", "jpg", strings.NewReader("x"), 1); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("slave of a deleted trunk master: %v", err)
	}
}
