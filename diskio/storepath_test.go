package diskio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// checkTree asserts data/ holds exactly the n×n tree (plus non-directory
// entries, which it ignores).
func checkTree(t *testing.T, sp *StorePath, n int) {
	t.Helper()
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("%02X", i))
	}
	dirs := func(p string) []string {
		entries, err := os.ReadDir(p)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if e.IsDir() {
				names = append(names, e.Name())
			}
		}
		return names
	}
	if got := dirs(sp.DataDir()); !slices.Equal(got, want) {
		t.Fatalf("data/ holds %v, want %v", got, want)
	}
	for _, h := range want {
		if got := dirs(filepath.Join(sp.DataDir(), h)); !slices.Equal(got, want) {
			t.Fatalf("data/%s holds %v, want %v", h, got, want)
		}
	}
}

func TestOpenCreatesTree(t *testing.T) {
	for _, n := range []int{1, 4, 16} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			root := t.TempDir()
			sp, err := Open(root, Options{SubdirCount: n})
			if err != nil {
				t.Fatal(err)
			}
			if !sp.TreeCreated() {
				t.Error("TreeCreated false on a new store path")
			}
			checkTree(t, sp, n)
			if sp.SubdirCount() != n || sp.Root() != root || sp.DataDir() != filepath.Join(root, "data") {
				t.Errorf("accessors: %d %q %q", sp.SubdirCount(), sp.Root(), sp.DataDir())
			}

			again, err := Open(root, Options{SubdirCount: n})
			if err != nil {
				t.Fatal(err)
			}
			if again.TreeCreated() {
				t.Error("TreeCreated true on an existing tree")
			}
			checkTree(t, again, n)
		})
	}
}

func TestOpenTreeRules(t *testing.T) {
	root := t.TempDir()
	sp, err := Open(root, Options{SubdirCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	data := sp.DataDir()

	// As in C, only 00/00 and the last dir are looked at: a missing middle
	// dir is not noticed.
	if err := os.Remove(filepath.Join(data, "01", "02")); err != nil {
		t.Fatal(err)
	}
	sp, err = Open(root, Options{SubdirCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	if sp.TreeCreated() {
		t.Error("tree recreated although 00/00 and 03/03 exist")
	}
	if isDir(filepath.Join(data, "01", "02")) {
		t.Error("01/02 recreated")
	}

	// Missing last dir: the whole tree is completed, existing files kept.
	keep := filepath.Join(data, "02", "01", "keep")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(data, "03", "03")); err != nil {
		t.Fatal(err)
	}
	sp, err = Open(root, Options{SubdirCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !sp.TreeCreated() {
		t.Error("TreeCreated false after the last dir was missing")
	}
	checkTree(t, sp, 4)
	if _, err := os.Stat(keep); err != nil {
		t.Error("existing file lost:", err)
	}

	// A tree a crash interrupted: some high dirs complete, one partial,
	// the rest missing.
	root2 := t.TempDir()
	for _, d := range []string{"00/00", "00/01", "00/02", "00/03", "01/00"} {
		if err := os.MkdirAll(filepath.Join(root2, "data", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sp, err = Open(root2, Options{SubdirCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !sp.TreeCreated() {
		t.Error("TreeCreated false for a partial tree")
	}
	checkTree(t, sp, 4)
}

func TestOpenErrors(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A file where a directory of the tree must go.
	blocker := filepath.Join(root, "data", "02")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(root, Options{SubdirCount: 4})
	if err == nil || !strings.Contains(err.Error(), blocker) {
		t.Fatalf("Open with a file at data/02: %v, want an error naming %s", err, blocker)
	}
	for _, n := range []int{-1, 257} {
		if _, err := Open(t.TempDir(), Options{SubdirCount: n}); err == nil {
			t.Errorf("subdir count %d accepted", n)
		}
	}
	if _, err := Open("", Options{}); err == nil {
		t.Error("empty root accepted")
	}
	// A store path is never created: it may be an unmounted mount point.
	missing := filepath.Join(t.TempDir(), "not-mounted")
	if _, err := Open(missing, Options{SubdirCount: 1}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing root: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Error("missing root was created")
	}
	if _, err := Open(blocker, Options{SubdirCount: 1}); err == nil {
		t.Error("a regular file accepted as store path")
	}
}

func TestOpenFullTree(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 65,536 directories")
	}
	root := t.TempDir()
	// Removing 65,536 directories one by one (t.TempDir's cleanup) takes
	// longer than creating them: remove the subtrees in parallel first.
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for h := range 256 {
			wg.Go(func() { os.RemoveAll(filepath.Join(root, "data", fmt.Sprintf("%02X", h))) })
		}
		wg.Wait()
	})
	start := time.Now()
	sp, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("256×256 tree created in %v", time.Since(start))
	if sp.SubdirCount() != DefaultSubdirCount || !sp.TreeCreated() {
		t.Fatalf("subdirs %d created %v", sp.SubdirCount(), sp.TreeCreated())
	}
	checkTree(t, sp, 256)
	start = time.Now()
	again, err := Open(sp.Root(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.TreeCreated() {
		t.Error("existing full tree recreated")
	}
	t.Logf("reopen in %v", time.Since(start))
}

func TestPathRejectsEscapes(t *testing.T) {
	sp := openStorePath(t, 4)
	bad := []FileRef{
		{High: -1, Low: 0, Name: "x"},
		{High: 0, Low: -1, Name: "x"},
		{High: 4, Low: 0, Name: "x"},
		{High: 0, Low: 4, Name: "x"},
		{High: 0, Low: 0, Name: ""},
		{High: 0, Low: 0, Name: "."},
		{High: 0, Low: 0, Name: ".."},
		{High: 0, Low: 0, Name: "../../../etc/passwd"},
		{High: 0, Low: 0, Name: "a/b"},
		{High: 0, Low: 0, Name: "/etc/passwd"},
		{High: 0, Low: 0, Name: "a\x00b"},
		{High: 0, Low: 0, Name: strings.Repeat("a", MaxNameLen+1)},
	}
	for _, ref := range bad {
		if p, err := sp.Path(ref); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Path(%q) = %q, %v; want ErrInvalidName", ref, p, err)
		}
		// Every entry point checks, not just Path.
		if _, err := sp.Stat(ref); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Stat(%q): %v", ref, err)
		}
		if err := sp.Remove(ref); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Remove(%q): %v", ref, err)
		}
		if _, err := sp.OpenAppend(ref, WriteOptions{}); !errors.Is(err, ErrInvalidName) {
			t.Errorf("OpenAppend(%q): %v", ref, err)
		}
		if err := sp.WriteFileAtomic(ref, []byte("x"), false); !errors.Is(err, ErrInvalidName) {
			t.Errorf("WriteFileAtomic(%q): %v", ref, err)
		}
	}

	good := FileRef{High: 3, Low: 10 % 4, Name: "wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png"}
	p, err := sp.Path(good)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(sp.DataDir(), "03", "02", good.Name); p != want {
		t.Errorf("Path = %q, want %q", p, want)
	}
	if _, err := sp.Path(FileRef{Name: "..x"}); err != nil {
		t.Errorf("a name merely starting with dots is a name: %v", err)
	}
	if _, err := sp.Path(FileRef{Name: strings.Repeat("a", MaxNameLen)}); err != nil {
		t.Errorf("name of MaxNameLen bytes: %v", err)
	}
}

func TestParseFileRef(t *testing.T) {
	ref, err := ParseFileRef("0A/FF/abc-m")
	if err != nil {
		t.Fatal(err)
	}
	if ref != (FileRef{High: 10, Low: 255, Name: "abc-m"}) || ref.String() != "0A/FF/abc-m" {
		t.Errorf("got %+v %q", ref, ref.String())
	}
	if m := (FileRef{High: 1, Low: 2, Name: "f.jpg"}).Meta(); m.String() != "01/02/f.jpg-m" {
		t.Errorf("Meta = %q", m.String())
	}
	for _, s := range []string{"", "00/00/", "0a/00/x", "00/0g/x", "000/00/x", "00-00/x", "../00/x",
		"00/00/../../x", "00/00/.."} {
		if _, err := ParseFileRef(s); !errors.Is(err, ErrInvalidName) {
			t.Errorf("ParseFileRef(%q): %v, want ErrInvalidName", s, err)
		}
	}
}

func TestMark(t *testing.T) {
	sp := openStorePath(t, 1)
	if m, ok, err := sp.ReadMark(); err != nil || ok || m != "" {
		t.Fatalf("fresh store path: %q %v %v", m, ok, err)
	}
	const mark = "MTI3LjAuMi4yMQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAANhZAAAAAAIaAms"
	if err := sp.WriteMark(mark); err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(filepath.Join(sp.DataDir(), ".fastdfs_vars"))
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != "store_path_mark="+mark+"\n" {
		t.Errorf("file content %q", content)
	}
	if m, ok, err := sp.ReadMark(); err != nil || !ok || m != mark {
		t.Errorf("ReadMark = %q %v %v", m, ok, err)
	}
	if len(tempFiles(t, sp)) != 0 {
		t.Error("temp file left behind")
	}
	for _, m := range []string{"a\nb", " a", "a\x00"} {
		if err := sp.WriteMark(m); err == nil {
			t.Errorf("mark %q accepted", m)
		}
	}

	// Written by someone else: CRLF, blanks, other keys.
	other := "# x\r\nfoo=bar\r\n store_path_mark = abc= \r\n"
	if err := os.WriteFile(filepath.Join(sp.DataDir(), ".fastdfs_vars"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, ok, err := sp.ReadMark(); err != nil || !ok || m != "abc=" {
		t.Errorf("ReadMark of a foreign file = %q %v %v", m, ok, err)
	}
	if err := os.WriteFile(filepath.Join(sp.DataDir(), ".fastdfs_vars"), []byte("foo=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := sp.ReadMark(); err != nil || ok {
		t.Errorf("file without the key: ok %v err %v", ok, err)
	}
}

func TestSweepTemp(t *testing.T) {
	sp := openStorePath(t, 1)
	old := time.Now().Add(-time.Hour)
	stale := []string{".cp1.tmp", ".cp1763700000123.tmp"}
	for _, name := range stale {
		p := filepath.Join(sp.DataDir(), name)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	// Newer than the cut-off, or not a temp file: kept.
	keep := []string{".cp9.tmp", ".fastdfs_vars", "cp1.tmp", ".cp1.tmpx"}
	future := time.Now().Add(time.Hour)
	for _, name := range keep {
		p := filepath.Join(sp.DataDir(), name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, future, future); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(filepath.Join(sp.DataDir(), ".cp1.tmpx"), old, old); err != nil {
		t.Fatal(err)
	}
	n, err := sp.SweepTemp(time.Now())
	if err != nil || n != len(stale) {
		t.Fatalf("SweepTemp = %d, %v; want %d", n, err, len(stale))
	}
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(sp.DataDir(), name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", name, err)
		}
	}
	for _, name := range keep {
		if _, err := os.Stat(filepath.Join(sp.DataDir(), name)); err != nil {
			t.Errorf("%s removed: %v", name, err)
		}
	}
	// The tree itself is untouched.
	checkTree(t, sp, 1)
}

func TestSpace(t *testing.T) {
	sp := openStorePath(t, 1)
	s, err := sp.Space()
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalBytes == 0 || s.FreeBytes > s.TotalBytes {
		t.Fatalf("implausible %+v", s)
	}
	if s.TotalMB() != int64(s.TotalBytes/(1<<20)) || s.FreeMB() != int64(s.FreeBytes/(1<<20)) {
		t.Errorf("MB conversion: %+v %d %d", s, s.TotalMB(), s.FreeMB())
	}
	if _, err := StatSpace(filepath.Join(sp.Root(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("StatSpace of a missing path: %v", err)
	}

	// Beyond any disk: full, with the numbers in the error.
	_, err = sp.CheckReserve(Reserve{MB: 1 << 50}, 2)
	var nse *NoSpaceError
	if !errors.As(err, &nse) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("huge reserve: %v", err)
	}
	if nse.Path != sp.Root() || nse.NeedMB != 1<<49 || nse.TotalMB != s.TotalMB() {
		t.Errorf("NoSpaceError %+v", nse)
	}
	if !strings.Contains(err.Error(), sp.Root()) {
		t.Errorf("error does not name the path: %v", err)
	}
	if _, err := sp.CheckReserve(Reserve{Ratio: 0.999999}, 1); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("ratio reserve of ~100%%: %v", err)
	}
	if _, err := sp.CheckUpload(Reserve{MB: 0}, 1); err != nil && s.FreeMB() > 0 {
		t.Errorf("zero reserve on a disk with free space: %v", err)
	}
	ro, err := Open(sp.Root(), Options{SubdirCount: 1, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.CheckUpload(Reserve{}, 1); !errors.Is(err, ErrReadOnly) || !ro.ReadOnly() {
		t.Errorf("read-only path: %v", err)
	}
}

func TestReservePathHasRoom(t *testing.T) {
	s := Space{TotalBytes: 1000 << 20, FreeBytes: 300<<20 + 12345}
	cases := []struct {
		r     Reserve
		paths int
		room  bool
	}{
		{Reserve{MB: 1024}, 4, true},    // 300 > 1024/4 = 256
		{Reserve{MB: 1024}, 3, false},   // 300 > 341 fails
		{Reserve{MB: 600}, 2, false},    // exactly 300: full
		{Reserve{MB: 599}, 2, true},     // 599/2 = 299 (integer division)
		{Reserve{MB: 299}, 0, true},     // path count < 1 counts as 1
		{Reserve{Ratio: 0.3}, 1, false}, // 300/1000 is not above 0.30
		{Reserve{Ratio: 0.29}, 9, true},
		{Reserve{Ratio: 0.1, MB: 1 << 40}, 1, true}, // ratio form wins
	}
	for _, c := range cases {
		if got := c.r.PathHasRoom(s, c.paths); got != c.room {
			t.Errorf("%+v with %d paths: room %v, want %v", c.r, c.paths, got, c.room)
		}
	}
	if (Reserve{Ratio: 0.1}).PathHasRoom(Space{}, 1) {
		t.Error("ratio check on a zero-sized file system passed")
	}
}
