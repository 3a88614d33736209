package diskio

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSlaveSymlink(t *testing.T) {
	sp := openStorePath(t, 4)
	target := FileRef{High: 1, Low: 2, Name: "wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.jpg"}
	link := FileRef{High: 1, Low: 2, Name: "wKgAZl9hKxOAV5bOAAAKmQ0oXv8683_150x150.jpg"}
	writeFile(t, sp, target, []byte("image bytes"))
	if err := sp.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	lp, _ := sp.Path(link)
	content, err := os.Readlink(lp)
	if tp, _ := sp.Path(target); err != nil || content != tp {
		t.Errorf("link holds %q (%v), want the absolute target path %q", content, err, tp)
	}
	if got, err := sp.LinkTarget(link); err != nil || got != target {
		t.Errorf("LinkTarget = %+v, %v", got, err)
	}
	st, err := sp.Stat(link)
	if err != nil || !st.IsRegular() || st.Size != 11 {
		t.Errorf("Stat follows the link: %+v %v", st, err)
	}
	lst, err := sp.Lstat(link)
	if err != nil || !lst.IsSymlink() {
		t.Errorf("Lstat sees the link: %+v %v", lst, err)
	}
	// Reads follow the link (downloading a slave).
	f, fst, err := sp.OpenRead(link)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fst.Size != 11 {
		t.Errorf("OpenRead size %d", fst.Size)
	}
	crc, n, err := sp.CRC32(link)
	if err != nil || n != 11 || crc != crc32.ChecksumIEEE([]byte("image bytes")) {
		t.Errorf("CRC32 through the link: %08x %d %v", crc, n, err)
	}
	// SetModTime on a link changes the link, never the target.
	tst, _ := sp.Stat(target)
	when := time.Unix(1700000000, 0)
	if err := sp.SetModTime(link, when); err != nil {
		t.Fatal(err)
	}
	if lst, _ := sp.Lstat(link); !lst.ModTime.Equal(when) {
		t.Errorf("link mtime %v", lst.ModTime)
	}
	if st, _ := sp.Stat(target); !st.ModTime.Equal(tst.ModTime) {
		t.Errorf("target mtime changed to %v", st.ModTime)
	}
	// Removing the link keeps the target (the caller removes both).
	if err := sp.Remove(link); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Stat(target); err != nil {
		t.Errorf("target gone: %v", err)
	}
	if err := sp.Remove(link); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("second Remove: %v", err)
	}
	if err := sp.Symlink(target, FileRef{High: 1, Low: 2, Name: "../x"}); !errors.Is(err, ErrInvalidName) {
		t.Errorf("link with an escaping name: %v", err)
	}
}

func TestLinkTargetStaysInside(t *testing.T) {
	sp := openStorePath(t, 4)
	other := openStorePath(t, 4)
	dir := filepath.Join(sp.DataDir(), "02", "02")
	cases := map[string]string{
		"abs-outside":     "/etc/passwd",
		"rel-escape":      "../../../../../etc/passwd",
		"other-storepath": filepath.Join(other.DataDir(), "00", "00", "f"),
		"data-itself":     "../../.fastdfs_vars",
		"out-of-range":    filepath.Join(sp.DataDir(), "07", "00", "f"),
		"dir":             "..",
	}
	for name, content := range cases {
		if err := os.Symlink(content, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if ref, err := sp.LinkTarget(FileRef{High: 2, Low: 2, Name: name}); !errors.Is(err, ErrOutsideStorePath) {
			t.Errorf("%s -> %s: %+v %v, want ErrOutsideStorePath", name, content, ref, err)
		}
	}
	// A relative link inside the tree is fine.
	if err := os.Symlink("../03/f", filepath.Join(dir, "rel")); err != nil {
		t.Fatal(err)
	}
	if ref, err := sp.LinkTarget(FileRef{High: 2, Low: 2, Name: "rel"}); err != nil || ref != (FileRef{High: 2, Low: 3, Name: "f"}) {
		t.Errorf("relative link: %+v %v", ref, err)
	}
	// A store path reached through a symlink: links holding either
	// spelling of the path are inside.
	alias := filepath.Join(t.TempDir(), "alias")
	if err := os.Symlink(sp.Root(), alias); err != nil {
		t.Fatal(err)
	}
	via, err := Open(alias, Options{SubdirCount: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(sp.DataDir(), "01", "01", "f"), filepath.Join(dir, "real")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(alias, "data", "01", "02", "f"), filepath.Join(dir, "aliased")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]FileRef{"real": {High: 1, Low: 1, Name: "f"}, "aliased": {High: 1, Low: 2, Name: "f"}} {
		if ref, err := via.LinkTarget(FileRef{High: 2, Low: 2, Name: name}); err != nil || ref != want {
			t.Errorf("%s through the alias: %+v %v", name, ref, err)
		}
	}
	writeFile(t, sp, FileRef{High: 2, Low: 2, Name: "plain"}, []byte("x"))
	if _, err := sp.LinkTarget(FileRef{High: 2, Low: 2, Name: "plain"}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("LinkTarget of a regular file: %v", err)
	}
}

func TestMetadataFile(t *testing.T) {
	sp := openStorePath(t, 4)
	ref := FileRef{High: 3, Low: 0, Name: "doc.txt"}
	writeFile(t, sp, ref, []byte("data"))
	meta := ref.Meta()
	if _, err := sp.ReadSmallFile(meta, 1024); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("metadata before any write: %v", err)
	}
	v1 := []byte("ext_name\x02jpg\x01file_size\x02115120\x01height\x0280\x01width\x02160")
	if err := sp.WriteFileAtomic(meta, v1, false); err != nil {
		t.Fatal(err)
	}
	if got, err := sp.ReadSmallFile(meta, 1024); err != nil || !bytes.Equal(got, v1) {
		t.Fatalf("read back %q %v", got, err)
	}
	v2 := []byte("author\x02fdfs")
	if err := sp.WriteFileAtomic(meta, v2, true); err != nil {
		t.Fatal(err)
	}
	if got, err := sp.ReadSmallFile(meta, 1024); err != nil || !bytes.Equal(got, v2) {
		t.Fatalf("after overwrite %q %v", got, err)
	}
	if _, err := sp.ReadSmallFile(meta, 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit: %v", err)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	dir := FileRef{High: 3, Low: 0, Name: "adir-m"}
	p, _ := sp.Path(dir)
	os.Mkdir(p, 0o755)
	if _, err := sp.ReadSmallFile(dir, 10); !errors.Is(err, ErrNotRegular) {
		t.Errorf("metadata path is a directory: %v", err)
	}
	if err := sp.Remove(meta); err != nil {
		t.Fatal(err)
	}
	if err := sp.Remove(dir); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("Remove of a directory: %v", err)
	}
}

func TestRenameAndSetModTime(t *testing.T) {
	sp := openStorePath(t, 4)
	a := FileRef{High: 0, Low: 3, Name: "appender"}
	b := FileRef{High: 0, Low: 3, Name: "regenerated"}
	writeFile(t, sp, a, []byte("a"))
	writeFile(t, sp, b, []byte("b"))
	if err := sp.Rename(a, b); !errors.Is(err, os.ErrExist) {
		t.Errorf("rename onto an existing file: %v", err)
	}
	c := FileRef{High: 1, Low: 3, Name: "moved"}
	if err := sp.Rename(a, c); err != nil {
		t.Fatal(err)
	}
	if got := readRef(t, sp, c); string(got) != "a" {
		t.Errorf("moved content %q", got)
	}
	when := time.Unix(1795299842, 123456789)
	if err := sp.SetModTime(c, when); err != nil {
		t.Fatal(err)
	}
	if st, err := sp.Stat(c); err != nil || !st.ModTime.Equal(when) {
		t.Errorf("mtime %v %v", st.ModTime, err)
	}
	if err := sp.SetModTime(FileRef{Name: "missing"}, when); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SetModTime of a missing file: %v", err)
	}
}

func TestCRC32LargeFile(t *testing.T) {
	sp, err := Open(t.TempDir(), Options{SubdirCount: 1, ChunkSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(9, 3*4096+17)
	ref := FileRef{Name: "big"}
	writeFile(t, sp, ref, data)
	crc, n, err := sp.CRC32(ref)
	if err != nil || n != int64(len(data)) || crc != crc32.ChecksumIEEE(data) {
		t.Errorf("CRC32 = %08x %d %v", crc, n, err)
	}
}

func TestReadSmall(t *testing.T) {
	sp := openStorePath(t, 1)
	data := randomBytes(5, 100<<10)
	ref := FileRef{Name: "small"}
	writeFile(t, sp, ref, data)
	f, _, err := sp.OpenRead(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	// Just written: in the page cache.
	buf := make([]byte, 64<<10)
	n, err := ReadSmall(f, 1000, buf)
	if errors.Is(err, ErrWouldBlock) {
		t.Skip("kernel or file system without RWF_NOWAIT for buffered reads")
	}
	if err != nil || n != len(buf) || !bytes.Equal(buf, data[1000:1000+len(buf)]) {
		t.Fatalf("cached read: %d %v", n, err)
	}
	// Across the end of the file: short, no error.
	n, err = ReadSmall(f, int64(len(data))-10, buf)
	if err != nil || n != 10 || !bytes.Equal(buf[:10], data[len(data)-10:]) {
		t.Errorf("read at the end: %d %v", n, err)
	}
	n, err = ReadSmall(f, int64(len(data))+5, buf)
	if err != nil || n != 0 {
		t.Errorf("read past the end: %d %v", n, err)
	}
	if allocs := testing.AllocsPerRun(100, func() { ReadSmall(f, 0, buf) }); allocs != 0 {
		t.Errorf("ReadSmall allocates %.1f times", allocs)
	}

	// Out of the page cache: clean pages can be dropped on request.
	if err := unix.Fsync(int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	var probe [1]byte
	if _, err := ReadSmall(f, 50<<10, probe[:]); !errors.Is(err, ErrWouldBlock) {
		// tmpfs and friends keep their pages: nothing to test there.
		t.Skipf("page cache not dropped on this file system (%v)", err)
	}
	// A blocking read brings the range back, then ReadSmall serves it.
	if _, err := f.ReadAt(buf[:4096], 0); err != nil {
		t.Fatal(err)
	}
	if n, err := ReadSmall(f, 0, buf[:4096]); err != nil || n != 4096 || !bytes.Equal(buf[:4096], data[:4096]) {
		t.Errorf("after re-reading: %d %v", n, err)
	}
}

// OpenReadFd follows slave links, refuses what is not a regular file, reads
// small ranges like ReadSmall and hands its descriptor to an *os.File.
func TestOpenReadFd(t *testing.T) {
	sp := openStorePath(t, 4)
	data := randomBytes(6, 10<<10)
	target := FileRef{High: 1, Low: 2, Name: "target"}
	writeFile(t, sp, target, data)
	link := FileRef{High: 1, Low: 2, Name: "link"}
	if err := sp.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	rf, st, err := sp.OpenReadFd(link)
	if err != nil || st.Size != int64(len(data)) {
		t.Fatalf("open through the link: %+v %v", st, err)
	}
	buf := make([]byte, 4096)
	n, err := rf.ReadSmall(100, buf)
	if err == nil && (n != len(buf) || !bytes.Equal(buf, data[100:100+len(buf)])) {
		t.Fatalf("read %d bytes, content differs", n)
	} else if err != nil && !errors.Is(err, ErrWouldBlock) {
		t.Fatal(err)
	}
	f := rf.File()
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("through the *os.File: %d bytes, %v", len(got), err)
	}
	f.Close()
	dir := FileRef{High: 1, Low: 2, Name: "dir"}
	p, _ := sp.Path(dir)
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sp.OpenReadFd(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a directory: %v", err)
	}
	if _, _, err := sp.OpenReadFd(FileRef{High: 1, Low: 2, Name: "missing"}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
