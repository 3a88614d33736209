package diskio

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fdLink is where /proc says descriptor fd points.
func fdLink(t *testing.T, fd int) string {
	t.Helper()
	l, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// The temp file of CreateTempIn is an unnamed file of the directory it will
// be committed into; Commit names it there, Abort leaves nothing, a taken
// name keeps the writer for another try.
func TestCreateTempInDirectory(t *testing.T) {
	sp := openStorePath(t, 4)
	var w FileWriter
	dir := FileRef{High: 2, Low: 3}
	if err := sp.CreateTempIn(&w, dir, WriteOptions{Size: 100}); err != nil {
		t.Fatal(err)
	}
	if !w.anon {
		t.Skip("the file system takes no O_TMPFILE: CreateTempIn fell back to a named temp file")
	}
	want := filepath.Join(sp.DataDir(), "02", "03") + "/#"
	if l := fdLink(t, w.fd); !strings.HasPrefix(l, want) || !strings.HasSuffix(l, " (deleted)") {
		t.Fatalf("temp file is %q, want an unnamed file in %s", l, want)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	taken := FileRef{High: 2, Low: 3, Name: "taken"}
	writeFile(t, sp, taken, []byte("first"))
	if err := w.Commit(taken); !errors.Is(err, os.ErrExist) {
		t.Fatalf("Commit onto a taken name: %v", err)
	}
	// Committed elsewhere than the directory it was opened in: still one
	// file system, so the link works.
	final := FileRef{High: 1, Low: 0, Name: "final"}
	if err := w.Commit(final); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, final); string(got) != "hello" {
		t.Fatalf("committed %q", got)
	}
	if p, _ := sp.Path(final); w.Path() != p {
		t.Fatalf("Path %q, want %q", w.Path(), p)
	}
	if st, err := sp.Stat(final); err != nil || st.Size != 5 {
		t.Fatalf("size after commit %d, %v (the reserve must be trimmed)", st.Size, err)
	}

	var a FileWriter
	if err := sp.CreateTempIn(&a, dir, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("gone"))
	if err := a.Abort(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(sp.DataDir(), "02", "03"))
	if len(entries) != 1 { // "taken"
		t.Fatalf("data/02/03 holds %d entries after an abort", len(entries))
	}

	// A directory out of range falls back to data/00/00.
	var o FileWriter
	if err := sp.CreateTempIn(&o, FileRef{High: 9, Low: -1}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	if l := fdLink(t, o.fd); !strings.HasPrefix(l, filepath.Join(sp.DataDir(), "00", "00")+"/#") {
		t.Fatalf("out-of-range directory: temp file is %q", l)
	}
}

// The small-file hot path (create in place, write, commit; open to read)
// allocates nothing.
func TestCreateCommitOpenAllocateNothing(t *testing.T) {
	sp := openStorePath(t, 4)
	names := make([]string, 200)
	for i := range names {
		names[i] = "n" + strconv.Itoa(i)
	}
	var w FileWriter
	data := []byte("small file")
	i := 0
	allocs := testing.AllocsPerRun(100, func() {
		if err := sp.CreateTempIn(&w, FileRef{High: 1, Low: 1}, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(FileRef{High: 1, Low: 1, Name: names[i]}); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("create+write+commit allocates %.1f times", allocs)
	}
	buf := make([]byte, 64)
	allocs = testing.AllocsPerRun(100, func() {
		r, st, err := sp.OpenReadFd(FileRef{High: 1, Low: 1, Name: names[0]})
		if err != nil || st.Size != int64(len(data)) {
			t.Fatal(err)
		}
		if n, err := r.ReadSmall(0, buf[:st.Size]); err != nil && !errors.Is(err, ErrWouldBlock) || n > len(data) {
			t.Fatal(n, err)
		}
		r.Close()
	})
	if allocs != 0 {
		t.Errorf("open+read+close allocates %.1f times", allocs)
	}
}
