package diskio

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

func openCachedStorePath(t testing.TB, files int) *StorePath {
	t.Helper()
	sp, err := Open(t.TempDir(), Options{SubdirCount: 4, OpenFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sp.CloseOpenFiles)
	return sp
}

// readAll reads ref through OpenReadFd the way a download does: the size
// from the returned stat, the bytes with ReadSmall (or the *os.File when
// not cached in memory).
func readAll(t testing.TB, sp *StorePath, ref FileRef) ([]byte, error) {
	t.Helper()
	rf, st, err := sp.OpenReadFd(ref)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size)
	n, err := rf.ReadSmall(0, buf)
	if errors.Is(err, ErrWouldBlock) {
		f := rf.File()
		defer f.Close()
		n, err = f.ReadAt(buf, 0)
		return buf[:n], err
	}
	_ = rf.Close()
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n], nil
}

func wantContent(t *testing.T, sp *StorePath, ref FileRef, want []byte, what string) {
	t.Helper()
	got, err := readAll(t, sp, ref)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: read %d bytes (%q...), want %d, err %v", what, len(got), head(got), len(want), err)
	}
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

// A second open of a regular file is a hit: the same descriptor, no new one.
func TestOpenFileCacheHit(t *testing.T) {
	sp := openCachedStorePath(t, 0)
	ref := FileRef{High: 1, Low: 2, Name: "hot"}
	data := randomBytes(1, 4096)
	writeFile(t, sp, ref, data)
	wantContent(t, sp, ref, data, "first read")
	if n := sp.OpenFiles(); n != 1 {
		t.Fatalf("%d descriptors cached after one read, want 1", n)
	}
	a, _, err := sp.OpenReadFd(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := sp.OpenReadFd(ref)
	if err != nil {
		t.Fatal(err)
	}
	if a.fd != b.fd || a.slot < 0 {
		t.Fatalf("two hits got descriptors %d and %d (slot %d)", a.fd, b.fd, a.slot)
	}
	_ = a.Close()
	_ = b.Close()
	// A slave link is never cached (its target can go under another name).
	link := FileRef{High: 1, Low: 2, Name: "link"}
	if err := sp.Symlink(ref, link); err != nil {
		t.Fatal(err)
	}
	wantContent(t, sp, link, data, "through the link")
	if n := sp.OpenFiles(); n != 1 {
		t.Fatalf("%d descriptors cached after reading a link, want 1", n)
	}
}

// Every change made through StorePath is seen by the very next open.
func TestOpenFileCacheChangesThroughStorePath(t *testing.T) {
	sp := openCachedStorePath(t, 0)
	ref := FileRef{High: 0, Low: 3, Name: "f"}
	data := randomBytes(2, 3000)
	writeFile(t, sp, ref, data)
	wantContent(t, sp, ref, data, "cached")

	w, err := sp.OpenAppend(ref, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	more := randomBytes(3, 500)
	if _, err := w.Write(more); err != nil {
		t.Fatal(err)
	}
	// A read during the append caches the file in its half-written state.
	if _, err := readAll(t, sp, ref); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	data = append(data, more...)
	wantContent(t, sp, ref, data, "after append")

	w, err = sp.OpenModify(ref, 10, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	patch := randomBytes(4, 3490) // past the old end
	if _, err := w.Write(patch); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	data = append(data[:10], patch...)
	wantContent(t, sp, ref, data, "after modify")

	if err := sp.Truncate(ref, 100); err != nil {
		t.Fatal(err)
	}
	data = data[:100]
	wantContent(t, sp, ref, data, "after truncate")

	// Replication overwrites with a temp file committed over the name.
	w, err = sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data = randomBytes(5, 2000)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.CommitReplace(ref); err != nil {
		t.Fatal(err)
	}
	wantContent(t, sp, ref, data, "after replace")

	if err := sp.WriteFileAtomic(ref, []byte("small"), false); err != nil {
		t.Fatal(err)
	}
	wantContent(t, sp, ref, []byte("small"), "after write atomic")

	mt := time.Unix(1_600_000_000, 0)
	if err := sp.SetModTime(ref, mt); err != nil {
		t.Fatal(err)
	}
	rf, st, err := sp.OpenReadFd(ref)
	if err != nil || !st.ModTime.Equal(mt) {
		t.Fatalf("after set mtime: %v %v", st.ModTime, err)
	}
	_ = rf.Close()
	moved := FileRef{High: 0, Low: 3, Name: "moved"}
	if err := sp.Rename(ref, moved); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, sp, ref); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after rename away: %v", err)
	}
	wantContent(t, sp, moved, []byte("small"), "the new name")
	if err := sp.Remove(moved); err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(t, sp, moved); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after remove: %v", err)
	}
}

// Changes made by another process are seen once the entry is older than
// the recheck bound.
func TestOpenFileCacheOutsideChanges(t *testing.T) {
	sp := openCachedStorePath(t, 0)
	sp.open.recheck = 20 * time.Millisecond
	ref := FileRef{High: 2, Low: 1, Name: "g"}
	data := randomBytes(6, 4096)
	writeFile(t, sp, ref, data)
	wantContent(t, sp, ref, data, "cached")
	p, _ := sp.Path(ref)

	// fdfs_scrub -repair: a good copy renamed over the file.
	good := randomBytes(7, 1000)
	if err := os.WriteFile(p+".good", good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".good", p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	wantContent(t, sp, ref, good, "renamed over by another process")

	// Edited in place with the same size: the mtime/ctime give it away.
	time.Sleep(30 * time.Millisecond)
	edit := randomBytes(8, 1000)
	if err := os.WriteFile(p, edit, 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	wantContent(t, sp, ref, edit, "edited by another process")

	// An operator deletes it.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	if _, err := readAll(t, sp, ref); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deleted by another process: %v", err)
	}
	if n := sp.OpenFiles(); n != 0 {
		t.Fatalf("%d descriptors still cached for a deleted file", n)
	}

	// Forget makes an outside rename visible at once.
	writeFile(t, sp, ref, data)
	wantContent(t, sp, ref, data, "recreated")
	sp.open.recheck = time.Hour
	if err := os.WriteFile(p+".good", good, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p+".good", p); err != nil {
		t.Fatal(err)
	}
	sp.Forget(ref)
	wantContent(t, sp, ref, good, "after Forget")
}

func openFds(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

// Many distinct files keep the descriptor count at the bound; readers
// holding every slot make further opens uncached, not failing.
func TestOpenFileCacheBounded(t *testing.T) {
	const bound = 8
	sp := openCachedStorePath(t, bound)
	refs := make([]FileRef, 100)
	for i := range refs {
		refs[i] = FileRef{High: i % 4, Low: i / 4 % 4, Name: "n" + string(rune('a'+i%26)) + string(rune('a'+i/26))}
		writeFile(t, sp, refs[i], randomBytes(byte(i), 100+i))
	}
	before := openFds(t)
	for round := 0; round < 3; round++ {
		for i, ref := range refs {
			wantContent(t, sp, ref, randomBytes(byte(i), 100+i), "distinct file")
		}
	}
	if n := sp.OpenFiles(); n != bound {
		t.Fatalf("%d descriptors cached, want the bound %d", n, bound)
	}
	if grew := openFds(t) - before; grew > bound {
		t.Fatalf("the process holds %d more descriptors, bound %d", grew, bound)
	}
	held := make([]ReadFd, 0, bound)
	for _, ref := range refs[:bound] {
		rf, _, err := sp.OpenReadFd(ref)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, rf)
	}
	rf, _, err := sp.OpenReadFd(refs[50])
	if err != nil {
		t.Fatal(err)
	}
	if rf.slot >= 0 {
		t.Fatalf("an open with every slot in use was cached")
	}
	_ = rf.Close()
	// A held entry dropped by a remove closes at its release.
	if err := sp.Remove(refs[0]); err != nil {
		t.Fatal(err)
	}
	for _, r := range held {
		_ = r.Close()
	}
	if grew := openFds(t) - before; grew > bound {
		t.Fatalf("the process holds %d more descriptors after releases, bound %d", grew, bound)
	}
	sp.CloseOpenFiles()
	if n := sp.OpenFiles(); n != 0 {
		t.Fatalf("%d descriptors cached after CloseOpenFiles", n)
	}
}

// Readers, writers and removers at once (run with -race): every read sees
// one whole version of the file or ENOENT.
func TestOpenFileCacheConcurrent(t *testing.T) {
	sp := openCachedStorePath(t, 4)
	refs := []FileRef{{High: 1, Low: 1, Name: "a"}, {High: 1, Low: 1, Name: "b"}, {High: 1, Low: 1, Name: "c"},
		{High: 1, Low: 1, Name: "d"}, {High: 1, Low: 1, Name: "e"}, {High: 1, Low: 1, Name: "f"}}
	version := func(v byte) []byte { return bytes.Repeat([]byte{v}, 256+int(v)) }
	for _, r := range refs {
		writeFile(t, sp, r, version(0))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				got, err := readAll(t, sp, refs[(i+g)%len(refs)])
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err != nil || len(got) == 0 || !bytes.Equal(got, version(got[0])) {
					t.Errorf("read %d bytes: not one version (%v)", len(got), err)
					return
				}
			}
		}(g)
	}
	for i := 1; i < 200; i++ {
		r := refs[i%len(refs)]
		if i%7 == 0 {
			_ = sp.Remove(r)
			continue
		}
		w, err := sp.CreateTemp(WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(version(byte(i)))
		if err := w.CommitReplace(r); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if n := sp.OpenFiles(); n > 4 {
		t.Fatalf("%d descriptors cached, bound 4", n)
	}
}

// A hit allocates nothing.
func TestOpenReadFdHitAllocs(t *testing.T) {
	sp := openCachedStorePath(t, 0)
	ref := FileRef{High: 1, Low: 2, Name: "hot"}
	writeFile(t, sp, ref, randomBytes(1, 4096))
	buf := make([]byte, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		rf, _, err := sp.OpenReadFd(ref)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = rf.ReadSmall(0, buf)
		_ = rf.Close()
	})
	if allocs != 0 {
		t.Fatalf("a hit allocates %v times", allocs)
	}
}

func benchOpenRead(b *testing.B, files int) {
	sp := openCachedStorePath(b, files)
	ref := FileRef{High: 1, Low: 2, Name: "hot"}
	writeFile(b, sp, ref, randomBytes(1, 4096))
	buf := make([]byte, 4096)
	b.ReportAllocs()
	for b.Loop() {
		rf, _, err := sp.OpenReadFd(ref)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rf.ReadSmall(0, buf); err != nil {
			b.Fatal(err)
		}
		_ = rf.Close()
	}
}

// BenchmarkOpenReadFdCached is a 4 KiB download's file work with the
// open-file cache; ...Uncached is openat + fstat + preadv2 + close.
func BenchmarkOpenReadFdCached(b *testing.B)   { benchOpenRead(b, 0) }
func BenchmarkOpenReadFdUncached(b *testing.B) { benchOpenRead(b, -1) }
