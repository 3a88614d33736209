package diskio

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestWriterCRCAndCommit(t *testing.T) {
	policies := []SyncPolicy{{}, {AtCommit: true}, {EveryBytes: 100 << 10}, {AtCommit: true, EveryBytes: 1}}
	for i, pol := range policies {
		t.Run(fmt.Sprintf("%+v", pol), func(t *testing.T) {
			sp := openStorePath(t, 4)
			data := randomBytes(byte(i), 3<<20+777)
			w, err := sp.CreateTemp(WriteOptions{Size: int64(len(data)), Sync: pol})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			rng := rand.New(rand.NewPCG(1, uint64(i)))
			for off := 0; off < len(data); {
				n := min(1+rng.IntN(200<<10), len(data)-off)
				if m, err := w.Write(data[off : off+n]); err != nil || m != n {
					t.Fatalf("Write = %d, %v", m, err)
				}
				off += n
			}
			if w.CRC32() != crc32.ChecksumIEEE(data) {
				t.Fatalf("CRC32 %08x, want %08x", w.CRC32(), crc32.ChecksumIEEE(data))
			}
			if w.Written() != int64(len(data)) || w.Size() != int64(len(data)) {
				t.Errorf("Written %d Size %d", w.Written(), w.Size())
			}
			ref := FileRef{High: 2, Low: 3, Name: "final.bin"}
			if err := w.Commit(ref); err != nil {
				t.Fatal(err)
			}
			if got := readRef(t, sp, ref); !bytes.Equal(got, data) {
				t.Fatal("committed content differs")
			}
			if want, _ := sp.Path(ref); w.Path() != want {
				t.Errorf("Path after commit %q, want %q", w.Path(), want)
			}
			if tmp := tempFiles(t, sp); len(tmp) != 0 {
				t.Errorf("temp files left: %v", tmp)
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after Commit: %v", err)
			}
			if _, err := sp.Stat(ref); err != nil {
				t.Errorf("Abort after Commit removed the file: %v", err)
			}
			if _, err := w.Write([]byte("x")); !errors.Is(err, ErrWriterDone) {
				t.Errorf("Write after Commit: %v", err)
			}
			if err := w.Commit(ref); !errors.Is(err, ErrWriterDone) {
				t.Errorf("second Commit: %v", err)
			}
		})
	}
}

func TestCommitIsAtomic(t *testing.T) {
	sp := openStorePath(t, 4)
	ref := FileRef{High: 1, Low: 1, Name: "atomic"}
	final, _ := sp.Path(ref)
	w, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	data := randomBytes(7, 1<<20)
	for off := 0; off < len(data); off += 64 << 10 {
		w.Write(data[off : off+64<<10])
		// While the body is coming in, the final name does not exist and
		// the bytes live in exactly one temp file in data/, or in an
		// unnamed O_TMPFILE one that no name shows at all.
		if _, err := os.Lstat(final); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("final name visible before Commit: %v", err)
		}
		tmp := tempFiles(t, sp)
		if w.anon && len(tmp) != 0 || !w.anon && (len(tmp) != 1 || filepath.Join(sp.DataDir(), tmp[0]) != w.Path()) {
			t.Fatalf("temp files %v, writer at %s (unnamed %v)", tmp, w.Path(), w.anon)
		}
	}
	if err := w.Commit(ref); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, ref); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

func TestCommitNoReplace(t *testing.T) {
	sp := openStorePath(t, 4)
	taken := FileRef{High: 0, Low: 1, Name: "taken"}
	writeFile(t, sp, taken, []byte("first"))

	w, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write([]byte("second"))
	if err := w.Commit(taken); !errors.Is(err, os.ErrExist) {
		t.Fatalf("Commit onto an existing name: %v, want EEXIST", err)
	}
	if got := readRef(t, sp, taken); string(got) != "first" {
		t.Fatalf("existing file changed to %q", got)
	}
	// The writer survives the clash: the caller picks another name.
	if err := w.Commit(FileRef{High: 0, Low: 1, Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, FileRef{High: 0, Low: 1, Name: "other"}); string(got) != "second" {
		t.Fatalf("got %q", got)
	}
	if err := w.Commit(FileRef{High: 9, Name: "x"}); !errors.Is(err, ErrWriterDone) {
		t.Errorf("commit after commit: %v", err)
	}

	w2, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w2.Write([]byte("third"))
	if err := w2.Commit(FileRef{High: 7, Name: "x"}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("commit to an invalid ref: %v", err)
	}
	if err := w2.CommitReplace(taken); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, taken); string(got) != "third" {
		t.Fatalf("CommitReplace: got %q", got)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	sp := openStorePath(t, 4)
	before, _ := os.ReadDir(sp.DataDir())
	w, err := sp.CreateTemp(WriteOptions{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(randomBytes(1, 100<<10))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadDir(sp.DataDir())
	if len(after) != len(before) {
		t.Fatalf("data/ had %d entries, now %d", len(before), len(after))
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrWriterDone) {
		t.Errorf("Write after Abort: %v", err)
	}
	if err := w.Commit(FileRef{Name: "x"}); !errors.Is(err, ErrWriterDone) {
		t.Errorf("Commit after Abort: %v", err)
	}
}

func TestPreallocation(t *testing.T) {
	sp := openStorePath(t, 4)
	const reserve = 8 << 20
	w, err := sp.CreateTemp(WriteOptions{Size: reserve})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	w.Write([]byte("short body"))
	var st unix.Stat_t
	if err := unix.Fstat(w.fd, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != 10 {
		t.Errorf("reserve changed the visible size to %d", st.Size)
	}
	if st.Blocks*512 < reserve {
		t.Skipf("file system did not preallocate (%d bytes allocated)", st.Blocks*512)
	}
	ref := FileRef{High: 3, Low: 3, Name: "short"}
	if err := w.Commit(ref); err != nil {
		t.Fatal(err)
	}
	p, _ := sp.Path(ref)
	if err := unix.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != 10 || st.Blocks*512 >= reserve {
		t.Errorf("after Commit: size %d, %d bytes still allocated", st.Size, st.Blocks*512)
	}
}

// TestPreallocationENOSPC needs to mount a 1 MiB tmpfs (root); it is
// skipped where that is not allowed.
func TestPreallocationENOSPC(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	sp, err := Open(dir, Options{SubdirCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	w, err := sp.CreateTemp(WriteOptions{Size: 4 << 20})
	if !errors.Is(err, syscall.ENOSPC) {
		if w != nil {
			w.Abort()
		}
		t.Fatalf("4 MiB on a 1 MiB file system: %v, want ENOSPC", err)
	}
	var pe *os.PathError
	if !errors.As(err, &pe) || filepath.Dir(pe.Path) != sp.DataDir() {
		t.Errorf("error does not name the temp file: %v", err)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	// What fits is accepted.
	w, err = sp.CreateTemp(WriteOptions{Size: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	w.Abort()
}

func TestWriterSetModTime(t *testing.T) {
	sp := openStorePath(t, 4)
	when := time.Date(2026, 11, 21, 22, 33, 44, 0, time.UTC)
	w, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("synced"))
	w.SetModTime(when)
	ref := FileRef{High: 1, Low: 2, Name: "synced"}
	if err := w.Commit(ref); err != nil {
		t.Fatal(err)
	}
	st, err := sp.Stat(ref)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ModTime.Equal(when) {
		t.Errorf("mtime %v, want %v", st.ModTime, when)
	}
}

func TestWriterWriteAllocatesNothing(t *testing.T) {
	sp := openStorePath(t, 1)
	w, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	chunk := randomBytes(3, 64<<10)
	if allocs := testing.AllocsPerRun(50, func() { w.Write(chunk) }); allocs != 0 {
		t.Errorf("Write allocates %.1f times per call", allocs)
	}
}

func TestAppendModifyTruncate(t *testing.T) {
	sp := openStorePath(t, 4)
	ref := FileRef{High: 0, Low: 0, Name: "appender"}
	writeFile(t, sp, ref, []byte("hello"))

	a, err := sp.OpenAppend(ref, WriteOptions{Size: 6})
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte(" world"))
	if a.CRC32() != crc32.ChecksumIEEE([]byte(" world")) || a.Written() != 6 || a.Size() != 11 {
		t.Errorf("append writer: crc %08x written %d size %d", a.CRC32(), a.Written(), a.Size())
	}
	if err := a.Commit(ref); err == nil {
		t.Error("Commit accepted on an in-place writer")
	}
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, ref); string(got) != "hello world" {
		t.Fatalf("after append: %q", got)
	}

	// A failed append is cut back to the old size.
	a, err = sp.OpenAppend(ref, WriteOptions{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	a.Write(bytes.Repeat([]byte("x"), 5000))
	if err := a.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, ref); string(got) != "hello world" {
		t.Fatalf("after aborted append: %q", got)
	}

	m, err := sp.OpenModify(ref, 6, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.Write([]byte("WORLD"))
	if err := m.Finish(); err != nil {
		t.Fatal(err)
	}
	// Offset equal to the size behaves like an append.
	m, err = sp.OpenModify(ref, 11, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.Write([]byte("!"))
	m.Finish()
	if got := readRef(t, sp, ref); string(got) != "hello WORLD!" {
		t.Fatalf("after modify: %q", got)
	}
	if _, err := sp.OpenModify(ref, 13, WriteOptions{}); !errors.Is(err, ErrOffsetBeyondEOF) {
		t.Errorf("modify past the end: %v", err)
	}
	if _, err := sp.OpenModify(ref, -1, WriteOptions{}); !errors.Is(err, ErrOffsetBeyondEOF) {
		t.Errorf("negative offset: %v", err)
	}

	crc, size, err := sp.CRC32(ref)
	if err != nil || size != 12 || crc != crc32.ChecksumIEEE([]byte("hello WORLD!")) {
		t.Errorf("CRC32 = %08x, %d, %v", crc, size, err)
	}

	if err := sp.Truncate(ref, 5); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, ref); string(got) != "hello" {
		t.Fatalf("after truncate: %q", got)
	}
	if err := sp.Truncate(ref, 8); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, ref); string(got) != "hello\x00\x00\x00" {
		t.Fatalf("after extending truncate: %q", got)
	}
	if err := sp.Truncate(ref, -1); err == nil {
		t.Error("negative truncate accepted")
	}

	missing := FileRef{High: 0, Low: 0, Name: "missing"}
	if _, err := sp.OpenAppend(missing, WriteOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("append to a missing file: %v", err)
	}
	if err := sp.Truncate(missing, 0); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("truncate of a missing file: %v", err)
	}
	// Appender files are never links and never directories.
	link := FileRef{High: 0, Low: 0, Name: "link"}
	if err := sp.Symlink(ref, link); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.OpenAppend(link, WriteOptions{}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("append through a symlink: %v", err)
	}
	if err := sp.Truncate(link, 0); !errors.Is(err, ErrNotRegular) {
		t.Errorf("truncate through a symlink: %v", err)
	}
	dir := FileRef{High: 0, Low: 0, Name: "dir"}
	p, _ := sp.Path(dir)
	os.Mkdir(p, 0o755)
	if _, err := sp.OpenModify(dir, 0, WriteOptions{}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("modify of a directory: %v", err)
	}
}

func TestAppendSetModTime(t *testing.T) {
	sp := openStorePath(t, 1)
	ref := FileRef{Name: "f"}
	writeFile(t, sp, ref, []byte("a"))
	when := time.Unix(1795299936, 500)
	a, err := sp.OpenAppend(ref, WriteOptions{Sync: SyncPolicy{AtCommit: true}})
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("b"))
	a.SetModTime(when)
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := a.Finish(); !errors.Is(err, ErrWriterDone) {
		t.Errorf("second Finish: %v", err)
	}
	st, err := sp.Stat(ref)
	if err != nil || !st.ModTime.Equal(when) || st.Size != 2 {
		t.Errorf("stat %+v %v", st, err)
	}
}

// Where the file system refuses O_TMPFILE, temp files are named .cp*.tmp
// files in data/: Commit renames, Abort removes, EEXIST keeps the writer.
func TestNamedTempFallback(t *testing.T) {
	sp := openStorePath(t, 4)
	sp.noTmpfile.Store(true)
	taken := FileRef{High: 0, Low: 1, Name: "taken"}
	writeFile(t, sp, taken, []byte("first"))
	w, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.anon || len(tempFiles(t, sp)) != 1 {
		t.Fatalf("unnamed %v, temp files %v", w.anon, tempFiles(t, sp))
	}
	w.Write([]byte("second"))
	if err := w.Commit(taken); !errors.Is(err, os.ErrExist) {
		t.Fatalf("commit over a taken name: %v", err)
	}
	ref := FileRef{High: 0, Low: 2, Name: "free"}
	if err := w.Commit(ref); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, ref); string(got) != "second" || len(tempFiles(t, sp)) != 0 {
		t.Fatalf("content %q, temp files %v", got, tempFiles(t, sp))
	}
	w2, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Abort(); err != nil || len(tempFiles(t, sp)) != 0 {
		t.Fatalf("abort: %v, temp files %v", err, tempFiles(t, sp))
	}
}

// An unnamed temp file keeps the writer open when its name is taken, takes
// the mtime set for it, and CommitReplace swaps it in over an existing file.
func TestUnnamedCommit(t *testing.T) {
	sp := openStorePath(t, 4)
	taken := FileRef{High: 0, Low: 1, Name: "taken"}
	writeFile(t, sp, taken, []byte("first"))
	w, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !w.anon {
		t.Skip("file system without O_TMPFILE")
	}
	w.Write([]byte("second"))
	if err := w.Commit(taken); !errors.Is(err, os.ErrExist) {
		t.Fatalf("commit over a taken name: %v", err)
	}
	mt := time.Unix(1700000000, 0)
	w.SetModTime(mt)
	if err := w.CommitReplace(taken); err != nil {
		t.Fatal(err)
	}
	p, _ := sp.Path(taken)
	st, err := os.Stat(p)
	if got := readRef(t, sp, taken); err != nil || string(got) != "second" || !st.ModTime().Equal(mt) {
		t.Fatalf("content %q, stat %v %v", got, st, err)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Fatalf("temp files %v", tmp)
	}
}

// A region writer fills a region of a file its caller keeps open (a trunk
// container): the file keeps its size whatever was reserved, Finish and
// Abort leave the descriptor open and the open-file cache's read
// descriptor in place, and once the owner closes the file a write fails
// instead of reaching whatever reuses the descriptor number.
func TestWriteRegion(t *testing.T) {
	sp := openStorePath(t, 4)
	ref := FileRef{High: 0, Low: 0, Name: "container"}
	writeFile(t, sp, ref, make([]byte, 1<<20))
	rf, _, err := sp.OpenReadFd(ref) // cached for downloads
	if err != nil {
		t.Fatal(err)
	}
	rf.Close()
	cached := sp.OpenFiles()
	f, err := os.OpenFile(sp.path(ref), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	body := randomBytes(5, 100000)
	w, err := sp.WriteRegion(f, 4096, WriteOptions{Size: int64(len(body)) + 8192})
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(body); off += 30000 {
		if _, err := w.Write(body[off:min(off+30000, len(body))]); err != nil {
			t.Fatal(err)
		}
	}
	if w.CRC32() != crc32.ChecksumIEEE(body) || w.Written() != int64(len(body)) {
		t.Errorf("crc %08x written %d", w.CRC32(), w.Written())
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	got := readRef(t, sp, ref)
	if len(got) != 1<<20 || !bytes.Equal(got[4096:4096+len(body)], body) || !bytes.Equal(got[:4096], make([]byte, 4096)) {
		t.Fatalf("file after the region write: %d bytes, region equal %v", len(got), bytes.Equal(got[4096:4096+len(body)], body))
	}
	if sp.OpenFiles() != cached {
		t.Errorf("open-file cache %d entries after the region write, %d before", sp.OpenFiles(), cached)
	}
	// Finish left f open: the owner goes on writing through it
	if _, err := f.WriteAt([]byte("x"), 0); err != nil {
		t.Errorf("the caller's file after Finish: %v", err)
	}
	a, err := sp.WriteRegion(f, 200000, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("y"), 1); err != nil {
		t.Errorf("the caller's file after Abort: %v", err)
	}
	late, err := sp.WriteRegion(f, 300000, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := late.Write([]byte("z")); err == nil {
		t.Error("a write after the owner closed the file succeeded")
	}
}
