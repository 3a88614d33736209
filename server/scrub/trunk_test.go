package scrub

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// trunkFixture is a store path with one trunk container of three 1 KiB
// slots, written as C lays them out, and a binlog naming their files.
type trunkFixture struct {
	root, syncDir, container string
	logic                    [3]string
	content                  [3][]byte
}

func newTrunkFixture(t *testing.T) *trunkFixture {
	t.Helper()
	dir := t.TempDir()
	fx := &trunkFixture{root: filepath.Join(dir, "store"), syncDir: filepath.Join(dir, "base", "data", "sync")}
	fx.container = filepath.Join(fx.root, "data", "00", "01", "000003")
	if err := os.MkdirAll(filepath.Dir(fx.container), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(fx.syncDir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := make([]byte, 64<<10)
	for i := range fx.content {
		fx.content[i] = bytes.Repeat([]byte{byte('a' + i)}, 500+100*i)
		slot := codec.TrunkSlot{ID: 3, Offset: int32(1024 * i), Size: 1024}
		n := codec.FileName{StorePath: 0, High: 0, Low: 1, Trunk: slot, Fields: codec.NameFields{
			Source: codec.SourceFromIPv4([4]byte{127, 0, 0, 2}), Timestamp: 1796600000 + uint32(i),
			SizeField: codec.TrunkSizeField(int64(len(fx.content[i])), 77), CRC32: crc32.ChecksumIEEE(fx.content[i])}}
		copy(n.Ext7[:], fmt.Sprintf("%03d.bin", i))
		fx.logic[i] = string(n.Append(nil))
		h := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, n.Fields, slot, n.Ext7[:])
		copy(c[slot.Offset:], append(h.Append(nil), fx.content[i]...))
	}
	if err := os.WriteFile(fx.container, c, 0o644); err != nil {
		t.Fatal(err)
	}
	// binlog.000 compressed: the two first files; binlog.001: the third,
	// its delete (its slot zeroed, as C erases it), and a partial line
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintf(zw, "1796600000 C %s\n1796600001 c %s\n1796600001 C M00/00/01/notatrunkname.bin\n", fx.logic[0], fx.logic[1])
	zw.Close()
	fx.write(t, "binlog.000.gz", gz.String())
	fx.write(t, "binlog.001", fmt.Sprintf("1796600002 C %s\n1796600009 D %s\n1796600010 C M00/00", fx.logic[2], fx.logic[2]))
	fx.patch(t, 2048, make([]byte, 1024))
	return fx
}

func (fx *trunkFixture) write(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(fx.syncDir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (fx *trunkFixture) patch(t *testing.T, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(fx.container, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func (fx *trunkFixture) slot(t *testing.T, i int) []byte {
	t.Helper()
	c, err := os.ReadFile(fx.container)
	if err != nil {
		t.Fatal(err)
	}
	return c[1024*i : 1024*i+codec.TrunkSlotHeaderSize+len(fx.content[i])]
}

func (fx *trunkFixture) scrub(t *testing.T) (Summary, map[string]Finding) {
	t.Helper()
	got := map[string]Finding{}
	sum, err := TrunkStore(context.Background(), "group1", fx.syncDir, []string{fx.root}, -1, NewLimiter(1<<30),
		func(f Finding) { got[f.FileID] = f })
	if err != nil {
		t.Fatal(err)
	}
	return sum, got
}

// peerWith serves content for every ID, as a peer storage's download.
func peerWith(content map[string][]byte) Fetch {
	return func(_ context.Context, addr, fileID string, w io.Writer) error {
		b, ok := content[addr]
		if !ok {
			return fmt.Errorf("connect %s: refused", addr)
		}
		_, err := w.Write(b)
		return err
	}
}

// TestTrunkScrubAndRepair: the binlog (compressed and plain) names the
// live trunk files; a flipped content byte is found, and repaired from the
// one peer whose copy matches the ID; a bad copy everywhere is reported and
// the slot left as it was; a deleted file's slot is never checked.
func TestTrunkScrubAndRepair(t *testing.T) {
	fx := newTrunkFixture(t)
	sum, got := fx.scrub(t)
	if sum.OK != 2 || sum.Bad != 0 || sum.Trunk != 2 || len(got) != 2 {
		t.Fatalf("clean: %+v %v", sum, got)
	}
	good := append([]byte(nil), fx.slot(t, 1)...)
	fx.patch(t, 1024+codec.TrunkSlotHeaderSize+300, []byte{'X'})
	sum, got = fx.scrub(t)
	bad := got["group1/"+fx.logic[1]]
	if sum.Bad != 1 || bad.Result != Bad || !strings.HasPrefix(bad.Why, "crc32 ") || bad.Trunk == nil ||
		bad.Path != fx.container || bad.Trunk.SlotOffset != 1024 {
		t.Fatalf("flipped byte: %+v %+v", sum, bad)
	}

	// every peer bad or unreachable: reported, the slot untouched
	damaged := append([]byte(nil), fx.slot(t, 1)...)
	wrong := bytes.Repeat([]byte{'z'}, len(fx.content[1]))
	_, err := Repair(context.Background(), bad, []string{"p1", "p2", "p3"},
		peerWith(map[string][]byte{"p1": wrong, "p2": fx.content[1][:10]}))
	if !errors.Is(err, ErrNoGoodCopy) || !strings.Contains(err.Error(), "p1: crc32") ||
		!strings.Contains(err.Error(), "p2: size 10") || !strings.Contains(err.Error(), "p3: connect") {
		t.Fatalf("no good copy: %v", err)
	}
	if !bytes.Equal(fx.slot(t, 1), damaged) {
		t.Fatal("the slot changed without a good copy")
	}

	from, err := Repair(context.Background(), bad, []string{"p1", "p2"},
		peerWith(map[string][]byte{"p1": wrong, "p2": fx.content[1]}))
	if err != nil || from != "p2" {
		t.Fatalf("repair: %q %v", from, err)
	}
	if !bytes.Equal(fx.slot(t, 1), good) {
		t.Fatal("the repaired slot is not the original")
	}
	if sum, _ := fx.scrub(t); sum.OK != 2 || sum.Bad != 0 {
		t.Fatalf("after repair: %+v", sum)
	}

	// a damaged header is repaired (the binlog has the file live) ...
	fx.patch(t, 13, []byte{0xEE})
	sum, got = fx.scrub(t)
	bad = got["group1/"+fx.logic[0]]
	if sum.Bad != 1 || !strings.HasPrefix(bad.Why, "slot header at 0 ") {
		t.Fatalf("damaged header: %+v %+v", sum, bad)
	}
	if from, err := Repair(context.Background(), bad, []string{"p"}, peerWith(map[string][]byte{"p": fx.content[0]})); err != nil || from != "p" {
		t.Fatalf("header repair: %q %v", from, err)
	}
	if sum, _ := fx.scrub(t); sum.OK != 2 {
		t.Fatalf("after the header repair: %+v", sum)
	}
	// ... but not once the binlog records its delete: the slot may be free
	// or another file's by then
	fx.patch(t, 13, []byte{0xEE})
	_, got = fx.scrub(t)
	bad = got["group1/"+fx.logic[0]]
	fx.write(t, "binlog.002", "1796600020 D "+fx.logic[0]+"\n")
	before := append([]byte(nil), fx.slot(t, 0)...)
	if _, err := Repair(context.Background(), bad, []string{"p"}, peerWith(map[string][]byte{"p": fx.content[0]})); !errors.Is(err, ErrGone) {
		t.Fatalf("deleted meanwhile: %v", err)
	}
	if !bytes.Equal(fx.slot(t, 0), before) {
		t.Fatal("a deleted file's slot was written")
	}
	if sum, _ := fx.scrub(t); sum.OK != 1 || sum.Trunk != 1 {
		t.Fatalf("after the delete: %+v", sum)
	}
}
