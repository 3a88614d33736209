package replica

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// readAll drains a reader: the valid records' ops+names, and how many
// malformed lines it skipped.
func readAll(t *testing.T, r *Reader, writeIndex int) (ok []string, bad int) {
	t.Helper()
	var rec codec.BinlogRecord
	for {
		_, err := r.Next(&rec, writeIndex)
		if errors.Is(err, ErrEnd) {
			return ok, bad
		}
		var ce *codec.Error
		if err != nil && !errors.As(err, &ce) {
			t.Fatal(err)
		}
		if err != nil {
			bad++
			continue
		}
		ok = append(ok, string(rec.Op)+" "+string(rec.Filename))
	}
}

// The reader goes past C's malformed lines (the empty-name L line of
// capture 07c, garbage, an over-long line) instead of stalling on them,
// and its offset ends exactly at the end of what it consumed.
func TestBinlogReaderSkipsBadLines(t *testing.T) {
	dir := t.TempDir()
	lines := "1795300373 C M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998.jpg\n" +
		"1795300373 L  M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998.jpg\n" + // C's broken link line
		"garbage without fields\n" +
		"1795300374 X M00/00/00/a.txt\n" +
		"1795300375 C " + strings.Repeat("x", 300) + "\n" +
		"1795300376 D M00/00/00/fwACFWsCHBWAUtM8AAAAKfB1Juc998.jpg\n"
	if err := os.WriteFile(filepath.Join(dir, BinlogFileName(0)), []byte(lines+"1795300377 C M00/00/00/par"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := NewReader(dir, 0, 0)
	defer r.Close()
	ok, bad := readAll(t, r, 0)
	if len(ok) != 2 || ok[0][0] != 'C' || ok[1][0] != 'D' || bad != 4 {
		t.Fatalf("read %q, %d bad lines; want C and D and 4 bad", ok, bad)
	}
	if r.off != int64(len(lines)) {
		t.Errorf("offset %d, want %d (the partial last line is not consumed)", r.off, len(lines))
	}
	// the writer completes the partial line: it is read next
	f, _ := os.OpenFile(filepath.Join(dir, BinlogFileName(0)), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("tial.txt\n")
	f.Close()
	ok, _ = readAll(t, r, 0)
	if len(ok) != 1 || ok[0] != "C M00/00/00/partial.txt" {
		t.Fatalf("after completion read %q", ok)
	}
}

// The reader follows the writer's rotation from binlog.000 to binlog.001,
// and resumes from a saved position.
func TestBinlogReaderRotation(t *testing.T) {
	data := t.TempDir()
	b, err := OpenBinlog(data)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.rotateSize = 100
	wake, unwatch := b.Watch()
	defer unwatch()
	for i := range 10 {
		rec := codec.BinlogRecord{Timestamp: time.Now().Unix(), Op: codec.BinlogCreate,
			Filename: []byte("M00/00/00/file" + string(rune('a'+i)) + ".txt")}
		if err := b.Append(&rec); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-wake:
	default:
		t.Error("no wake-up after appends")
	}
	if b.WriteIndex() < 2 {
		t.Fatalf("write index %d after 10 lines of ~40 bytes with 100-byte files", b.WriteIndex())
	}
	r := NewReader(b.Dir(), 0, 0)
	ok, bad := readAll(t, r, b.WriteIndex())
	if len(ok) != 10 || bad != 0 {
		t.Fatalf("read %d records (%d bad) across %d files", len(ok), bad, b.WriteIndex()+1)
	}
	// resume in the middle: a fresh reader from a saved (index, offset)
	r2 := NewReader(b.Dir(), 1, 0)
	ok2, _ := readAll(t, r2, b.WriteIndex())
	if len(ok2) == 0 || len(ok2) >= 10 || ok2[len(ok2)-1] != ok[9] {
		t.Fatalf("from binlog.001 read %q", ok2)
	}
	r.Close()
	r2.Close()
}

// Mark files are C's: the 7 keys in C's order, refused with fewer.
func TestSyncMarkFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, MarkFileName("127.0.2.22", false, 23000))
	if filepath.Base(p) != "127.0.2.22_23000.mark" || MarkFileName("100001", true, 23000) != "100001.mark" {
		t.Fatalf("mark names %s, %s", filepath.Base(p), MarkFileName("100001", true, 23000))
	}
	m := Mark{BinlogOffset: 947, NeedSyncOld: true, SyncOldDone: true, Until: 1795299845, ScanRows: 15}
	if err := SaveMark(p, &m); err != nil {
		t.Fatal(err)
	}
	// byte for byte the mark C left in sync_files/storageB_127.0.2.22
	want := "binlog_index=0\nbinlog_offset=947\nneed_sync_old=1\nsync_old_done=1\nuntil_timestamp=1795299845\n" +
		"scan_row_count=15\nsync_row_count=0\n"
	if got, _ := os.ReadFile(p); string(got) != want {
		t.Fatalf("mark file\n%s\nwant\n%s", got, want)
	}
	back, ok, err := LoadMark(p)
	if err != nil || !ok || back != m {
		t.Fatalf("loaded %+v %v %v", back, ok, err)
	}
	os.WriteFile(p, []byte("binlog_index=0\nbinlog_offset=5\n"), 0o644)
	if _, _, err := LoadMark(p); err == nil {
		t.Error("a mark with 2 items was accepted")
	}
	if _, ok, err := LoadMark(filepath.Join(dir, "none.mark")); ok || err != nil {
		t.Errorf("missing mark: ok %v err %v", ok, err)
	}
	if err := RetireMark(p, time.Date(2026, 11, 21, 22, 33, 42, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + ".20261121223342"); err != nil {
		t.Errorf("retired mark: %v", err)
	}
}

// A line cut short by a crash does not swallow the next record: the binlog
// reopens with the fragment terminated.
func TestBinlogTerminatesCutLine(t *testing.T) {
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "sync"), 0o755)
	os.WriteFile(filepath.Join(data, "sync", BinlogFileName(0)), []byte("1795300373 C M00/00/00/a.txt\n1795300374 C M00/00/0"), 0o644)
	b, err := OpenBinlog(data)
	if err != nil {
		t.Fatal(err)
	}
	rec := codec.BinlogRecord{Timestamp: 1795300380, Op: codec.BinlogCreate, Filename: []byte("M00/00/00/b.txt")}
	if err := b.Append(&rec); err != nil {
		t.Fatal(err)
	}
	b.Close()
	r := NewReader(filepath.Join(data, "sync"), 0, 0)
	defer r.Close()
	ok, bad := readAll(t, r, 0)
	// the fragment is a line of its own (the pusher skips its bad name)
	if len(ok)+bad != 3 || ok[len(ok)-1] != "C M00/00/00/b.txt" {
		t.Fatalf("read %q and %d bad lines", ok, bad)
	}
}
