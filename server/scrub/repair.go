package scrub

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
)

// Fetch downloads fileID from the storage at addr into w.
type Fetch func(ctx context.Context, addr, fileID string, w io.Writer) error

// ErrNoGoodCopy: no peer had a copy that matches the ID.
var ErrNoGoodCopy = errors.New("no peer has a good copy")

// Repair replaces the bad file of f with a copy from the first peer
// (addresses "ip:port") whose copy matches the ID's size and CRC32: the copy
// goes to a temp file beside the bad one, is checked, and is renamed over it
// (atomic), keeping the bad file's modification time (the replicas' sync
// timestamp). The local file is checked again just before: a file that has
// become good, or was deleted, is left alone. It returns the peer used;
// ErrNoGoodCopy (wrapped, with what each peer had) when none had one. A
// good file is never replaced, and never by anything unchecked. A
// trunk-resident file is rewritten in its slot (repairTrunk).
func Repair(ctx context.Context, f Finding, peers []string, fetch Fetch) (string, error) {
	if f.Trunk != nil {
		return repairTrunk(ctx, f, peers, fetch)
	}
	logic := f.FileID[strings.IndexByte(f.FileID, '/')+1:]
	var tried []string
	for _, addr := range peers {
		tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".scrub-repair-*")
		if err != nil {
			return "", err
		}
		name := tmp.Name()
		ferr := fetch(ctx, addr, f.FileID, tmp)
		if err := tmp.Sync(); ferr == nil {
			ferr = err
		}
		if err := tmp.Close(); ferr == nil {
			ferr = err
		}
		if ferr != nil {
			os.Remove(name)
			tried = append(tried, addr+": "+ferr.Error())
			continue
		}
		res, why, _, err := CheckFile(ctx, name, logic, nil)
		if err != nil || res != OK {
			os.Remove(name)
			if err != nil {
				why = err.Error()
			}
			tried = append(tried, addr+": "+why)
			continue
		}
		st, err := os.Stat(f.Path)
		if err != nil {
			os.Remove(name)
			return "", fmt.Errorf("%s: %w", f.FileID, err)
		}
		if now, _, _, err := CheckFile(ctx, f.Path, logic, nil); err == nil && now == OK {
			os.Remove(name)
			return "", nil // good again (a sync rewrote it meanwhile)
		}
		_ = os.Chtimes(name, st.ModTime(), st.ModTime())
		_ = os.Chmod(name, st.Mode().Perm())
		if err := os.Rename(name, f.Path); err != nil {
			os.Remove(name)
			return "", fmt.Errorf("%s: %w", f.FileID, err)
		}
		if d, err := os.Open(filepath.Dir(f.Path)); err == nil {
			_ = d.Sync()
			d.Close()
		}
		return addr, nil
	}
	if len(tried) == 0 {
		tried = append(tried, "no peer to ask")
	}
	return "", fmt.Errorf("%s: %w (%s)", f.FileID, ErrNoGoodCopy, strings.Join(tried, "; "))
}

// ErrGone: the file was deleted after the scrub found it bad; nothing to
// repair.
var ErrGone = errors.New("deleted meanwhile, left alone")

// repairTrunk rewrites the slot of a bad trunk-resident file with a copy
// from the first peer whose copy has the ID's size and CRC32.
//
// A container holds many files and cannot be renamed over, so the slot is
// rewritten in place, in three synced steps: (1) the header's type byte
// is zeroed, so from then on a reader that locates the file (it compares
// the whole header with the one the ID implies) gets "no such file"
// rather than a half-written slot; (2) the content is written; (3) the
// header the ID implies is written, which makes the file readable again.
// A reader that located the file before (1) was already reading the bad
// content; one after (3) reads the good copy; none is handed a slot whose
// header vouches for content still being written. A crash between (1) and
// (3) leaves a slot that answers "no such file" and that the next scrub
// finds (header mismatch) and repairs.
//
// Before writing, the slot is checked again: a slot that has become good is
// left alone, and when its header is not the ID's, the binlog must not
// record the file's delete (its slot may be free or another file's then:
// ErrGone). The file can still be deleted in the milliseconds of the write
// itself: the storage and this tool share no lock.
func repairTrunk(ctx context.Context, f Finding, peers []string, fetch Fetch) (string, error) {
	logic := f.FileID[strings.IndexByte(f.FileID, '/')+1:]
	sl, err := trunkSlotOf(logic, f.Trunk.StorePaths)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.FileID, err)
	}
	var tried []string
	var good []byte
	from := ""
	for _, addr := range peers {
		buf := &cappedBuffer{max: sl.Size}
		if err := fetch(ctx, addr, f.FileID, buf); err != nil {
			tried = append(tried, addr+": "+err.Error())
			continue
		}
		if got := int64(len(buf.b)); got != sl.Size {
			tried = append(tried, fmt.Sprintf("%s: size %d, the ID says %d", addr, got, sl.Size))
			continue
		}
		if crc := crc32.ChecksumIEEE(buf.b); crc != sl.ref.Fields.CRC32 {
			tried = append(tried, fmt.Sprintf("%s: crc32 %08x, the ID says %08x", addr, crc, sl.ref.Fields.CRC32))
			continue
		}
		good, from = buf.b, addr
		break
	}
	if good == nil {
		if len(tried) == 0 {
			tried = append(tried, "no peer to ask")
		}
		return "", fmt.Errorf("%s: %w (%s)", f.FileID, ErrNoGoodCopy, strings.Join(tried, "; "))
	}

	_, res, why, _, err := CheckTrunk(ctx, logic, f.Trunk.StorePaths, nil)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: %w", f.FileID, err)
	case res == OK:
		return "", nil // good again
	case res == Unverifiable:
		return "", fmt.Errorf("%s: %s, left alone", f.FileID, why)
	}
	c, err := os.OpenFile(sl.Container, os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("%s: %w", f.FileID, err) // a missing container is not made here
	}
	defer c.Close()
	var hdr [codec.TrunkSlotHeaderSize]byte
	if _, err := c.ReadAt(hdr[:], sl.Offset); err != nil {
		return "", fmt.Errorf("%s: slot header at %d of %s: %w", f.FileID, sl.Offset, sl.Container, err)
	}
	if !sl.ref.Matches(hdr[:]) {
		gone, err := TrunkDeleted(ctx, f.Trunk.SyncDir, logic)
		if err != nil {
			return "", fmt.Errorf("%s: reading the binlog: %w", f.FileID, err)
		}
		if gone {
			return "", fmt.Errorf("%s: %w", f.FileID, ErrGone)
		}
	}
	steps := []struct {
		b   []byte
		off int64
	}{{[]byte{0}, sl.Offset}, {good, sl.Offset + codec.TrunkSlotHeaderSize}, {sl.header(), sl.Offset}}
	for _, st := range steps {
		if _, err := c.WriteAt(st.b, st.off); err != nil {
			return "", fmt.Errorf("%s: write %s at %d: %w", f.FileID, sl.Container, st.off, err)
		}
		if err := c.Sync(); err != nil {
			return "", fmt.Errorf("%s: sync %s: %w", f.FileID, sl.Container, err)
		}
	}
	if _, res, why, _, err := CheckTrunk(ctx, logic, f.Trunk.StorePaths, nil); err != nil || res != OK {
		return "", fmt.Errorf("%s: still bad after the rewrite: %s %v", f.FileID, why, err)
	}
	return from, nil
}

// cappedBuffer holds at most max+1 bytes: a peer sending more than the ID
// says fails the size check without filling memory.
type cappedBuffer struct {
	b   []byte
	max int64
}

func (w *cappedBuffer) Write(p []byte) (int, error) {
	if int64(len(w.b)+len(p)) > w.max+1 {
		return 0, fmt.Errorf("more than the %d bytes the ID says", w.max)
	}
	w.b = append(w.b, p...)
	return len(p), nil
}
