package diskio

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// The ways a new small file can be created in its final directory, at the
// system-call level, for the choice CreateTempIn/Commit makes (issue 13:
// most of a 4 KiB upload's server CPU is here). Each op is one 4 KiB file:
// create, pwrite, fstat (the upload's mtime), name, close.
//
//   - tmpfile: O_TMPFILE in the final directory, linkat(AT_EMPTY_PATH) to
//     the final name (ours: a crash leaves no name at all);
//   - hidden: O_CREAT|O_EXCL of a hidden temp name in the final directory,
//     renameat2(RENAME_NOREPLACE) to the final name (a crash leaves a
//     temp name that a startup sweep must remove);
//   - direct: O_CREAT|O_EXCL of the final name (a crash can leave a
//     partial file under its final name);
//   - direct-slotpwrite, direct-slotmmap: direct with the name first
//     recorded in a 64 KiB ring file (WriteNew's data/.creating) by a
//     pwrite, or by stores into a shared mapping (what WriteNew does).
//
// The files go to 256 directories in turn, as uploads spread over
// data/XX/YY, so the directories stay small. On ext4, run it with TMPDIR
// a new top-level directory: creates in an inode area with many recent
// deletes (a busy /tmp) pay a scan that swamps the differences.
func BenchmarkCreateSmallFile(b *testing.B) {
	for _, how := range []string{"tmpfile", "hidden", "direct", "direct-slotpwrite", "direct-slotmmap"} {
		b.Run(how, func(b *testing.B) { benchCreate(b, how) })
	}
}

func benchCreate(b *testing.B, how string) {
	root := b.TempDir()
	const dirs = 256
	dfds := make([]int, dirs)
	for i := range dfds {
		d := filepath.Join(root, fmt.Sprintf("%02X", i))
		if err := os.Mkdir(d, 0o755); err != nil {
			b.Fatal(err)
		}
		fd, err := unix.Open(d, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		dfds[i] = fd
		defer unix.Close(fd)
	}
	ring, err := unix.Open(filepath.Join(root, "ring"), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(ring)
	if err := unix.Ftruncate(ring, 64<<10); err != nil {
		b.Fatal(err)
	}
	mem, err := unix.Mmap(ring, 0, 64<<10, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(mem)
	body := make([]byte, 4096)
	names := make([]string, b.N)
	for i := range names {
		names[i] = fmt.Sprintf("wKgAAGdUz%08X.jpg", i)
	}
	var st unix.Stat_t
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	var r0, r1 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &r0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dfd := dfds[i%dirs]
		name := names[i]
		var fd int
		var err error
		slot := (i % 128) * 512
		switch how {
		case "direct-slotpwrite":
			if _, err := unix.Pwrite(ring, []byte(name), int64(slot)); err != nil {
				b.Fatal(err)
			}
		case "direct-slotmmap":
			copy(mem[slot:], name)
		}
		switch how {
		case "tmpfile":
			fd, err = unix.Openat(dfd, ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o644)
		case "hidden":
			fd, err = unix.Openat(dfd, "."+name+".tmp", unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		default:
			fd, err = unix.Openat(dfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := unix.Pwrite(fd, body, 0); err != nil {
			b.Fatal(err)
		}
		if err := unix.Fstat(fd, &st); err != nil {
			b.Fatal(err)
		}
		switch how {
		case "tmpfile":
			err = unix.Linkat(fd, "", dfd, name, unix.AT_EMPTY_PATH)
		case "hidden":
			err = unix.Renameat2(dfd, "."+name+".tmp", dfd, name, unix.RENAME_NOREPLACE)
		}
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
	}
	b.StopTimer()
	_ = unix.Getrusage(unix.RUSAGE_SELF, &r1)
	cpu := func(r *unix.Rusage) int64 { return r.Utime.Nano() + r.Stime.Nano() }
	// CPU rather than wall time: the figure a server pays per file
	b.ReportMetric(float64(cpu(&r1)-cpu(&r0))/float64(b.N), "cpu-ns/op")
}

// BenchmarkCreateSlot is the slot write alone, the part of WriteNew's cost
// that BenchmarkCreateSmallFile's file-system noise hides: a pwrite into
// the 64 KiB ring file against stores into its shared mapping.
func BenchmarkCreateSlot(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ring")
	mem, err := mapCreating(path)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(mem)
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	ref := FileRef{High: 0x3F, Low: 0xA0, Name: "wKgAAGdUz00AAAAAAAAAAA1234567.jpg"}
	var buf [createSlotSize]byte
	b.Run("pwrite", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			n := encodeCreateSlot(buf[:], ref, 4096, uint32(i))
			if err := pwriteFull(fd, buf[:n], int64(i%createSlots)*createSlotSize); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mmap", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			slot := mem[(i%createSlots)*createSlotSize:]
			atomic.StoreUint32(slotMagic(slot), 0)
			encodeCreateSlot(slot, ref, 4096, uint32(i))
			atomic.StoreUint32(slotMagic(slot), createSlotMagicWord)
		}
	})
}
