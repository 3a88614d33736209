package scrub

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
)

// Trunk-resident files (use_trunk_file = true) live in slots of trunk
// containers, <store path>/data/HH/HH/NNNNNN, behind a 24-byte header
// (codec.TrunkSlotHeader). A container cannot name its files: a slot header
// lacks the source storage and the random part of the ID. The storage's
// binlog (base_path/data/sync/binlog.NNN, and binlog.NNN.gz once
// compressed) does: every file created here, uploaded or replicated, has a
// C/c (or L/l) line and every delete a D/d line. So the trunk scrub replays
// the binlog: each trunk ID created and not deleted must have its slot
// header (the one the ID implies) and content of the ID's size and CRC32.

// TrunkIDs calls fn with every trunk file ID (logic name, "M00/…") the
// binlog in syncDir names as created and never deleted, in binlog order,
// restricted to store path only (-1: all). The binlog is read twice (the
// deletes first), so memory holds only the deleted trunk names; without a
// trunk name in it, once. Reads are paced by lim.
func TrunkIDs(ctx context.Context, syncDir string, only int, lim *Limiter, fn func(logic string) error) error {
	deleted := map[string]struct{}{}
	created := false
	err := replayBinlog(ctx, syncDir, lim, func(rec *codec.BinlogRecord) error {
		switch op := rec.Op.Source(); {
		case op == codec.BinlogDelete && isTrunkName(rec.Filename, only):
			deleted[string(rec.Filename)] = struct{}{}
		case !created && (op == codec.BinlogCreate || op == codec.BinlogLink) && isTrunkName(rec.Filename, only):
			created = true
		}
		return nil
	})
	if err != nil || !created {
		return err
	}
	return replayBinlog(ctx, syncDir, lim, func(rec *codec.BinlogRecord) error {
		if op := rec.Op.Source(); op != codec.BinlogCreate && op != codec.BinlogLink || !isTrunkName(rec.Filename, only) {
			return nil
		}
		if _, gone := deleted[string(rec.Filename)]; gone {
			return nil
		}
		return fn(string(rec.Filename))
	})
}

// TrunkDeleted reports whether the binlog in syncDir records a delete of
// logic: a slot whose file was deleted may be free or hold another file.
func TrunkDeleted(ctx context.Context, syncDir, logic string) (bool, error) {
	errFound := errors.New("found")
	err := replayBinlog(ctx, syncDir, nil, func(rec *codec.BinlogRecord) error {
		if rec.Op.Source() == codec.BinlogDelete && string(rec.Filename) == logic {
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
}

func isTrunkName(logic []byte, only int) bool {
	rf, err := codec.ParseRemoteFilename(logic, codec.MaxStorePaths)
	if err != nil || rf.Legacy || only >= 0 && rf.StorePath != only {
		return false
	}
	_, ok, err := codec.TrunkRefOf(&rf)
	return ok && err == nil
}

// replayBinlog calls fn with each well-formed line of the binlog files of
// syncDir in index order, plain or gzip-compressed; a partial last line
// (being written) and malformed lines are passed over. Reads are paced by
// lim, 64 KiB at a time.
func replayBinlog(ctx context.Context, syncDir string, lim *Limiter, fn func(*codec.BinlogRecord) error) error {
	files, err := binlogFiles(syncDir)
	if err != nil {
		return err
	}
	var rec codec.BinlogRecord
	unpaced := 0
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(syncDir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // compressed or gunzipped meanwhile: its twin is listed too
		}
		if err != nil {
			return err
		}
		var r io.Reader = f
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				f.Close()
				return fmt.Errorf("%s: %w", name, err)
			}
			r = zr
		}
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, rerr := br.ReadSlice('\n')
			if unpaced += len(line); unpaced >= 64<<10 {
				if err := lim.Wait(ctx, int64(unpaced)); err != nil {
					f.Close()
					return err
				}
				unpaced = 0
			}
			if rerr == nil {
				if _, err := rec.Parse(line); err == nil {
					if err := fn(&rec); err != nil {
						f.Close()
						return err
					}
				}
				continue
			}
			if errors.Is(rerr, bufio.ErrBufferFull) {
				for errors.Is(rerr, bufio.ErrBufferFull) { // no line is that long: skip it
					_, rerr = br.ReadSlice('\n')
				}
				continue
			}
			break // EOF (a partial last line is dropped) or a read error
		}
		f.Close()
	}
	return nil
}

// binlogFiles lists binlog.NNN and binlog.NNN.gz of dir by index; when both
// of one index exist (a compression under way) only one is read.
func binlogFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	byIndex := map[int]string{}
	for _, e := range ents {
		n := e.Name()
		num, ok := strings.CutPrefix(n, "binlog.")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		gz := strings.HasSuffix(num, ".gz")
		num = strings.TrimSuffix(num, ".gz")
		i, err := strconv.Atoi(num)
		if err != nil || i < 0 {
			continue
		}
		if _, have := byIndex[i]; !have || !gz {
			byIndex[i] = n
		}
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = byIndex[i]
	}
	return out, nil
}

// TrunkSlot is where a trunk-resident file lives.
type TrunkSlot struct {
	Container string // the container's path
	Offset    int64  // the slot's offset (its header's)
	Size      int64  // the content length the ID records
	ref       codec.TrunkRef
}

// trunkSlotOf locates logic's slot under the store paths.
func trunkSlotOf(logic string, storePaths []string) (TrunkSlot, error) {
	rf, err := codec.ParseRemoteFilename([]byte(logic), codec.MaxStorePaths)
	if err != nil {
		return TrunkSlot{}, err
	}
	ref, ok, err := codec.TrunkRefOf(&rf)
	if !ok || err != nil {
		return TrunkSlot{}, fmt.Errorf("%s: not a trunk file ID (%v)", logic, err)
	}
	if rf.StorePath >= len(storePaths) {
		return TrunkSlot{}, fmt.Errorf("%s: store path %d not in the conf", logic, rf.StorePath)
	}
	const hex = "0123456789ABCDEF"
	dir := []byte{hex[rf.High>>4], hex[rf.High&15], '/', hex[rf.Low>>4], hex[rf.Low&15], '/'}
	name := string(codec.AppendTrunkContainerName(dir, ref.Slot.ID))
	return TrunkSlot{Container: filepath.Join(storePaths[rf.StorePath], "data", name),
		Offset: int64(ref.Slot.Offset), Size: ref.FileSize(), ref: ref}, nil
}

// header is the 24 bytes the slot must carry for this file (a regular
// file's: link slots are not verifiable).
func (s *TrunkSlot) header() []byte {
	h := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, s.ref.Fields, s.ref.Slot, s.ref.Ext7)
	return h.Append(make([]byte, 0, codec.TrunkSlotHeaderSize))
}

// CheckTrunk checks the slot of trunk file logic: its header must be the
// one the ID implies, its content the ID's size and CRC32 (read paced by
// lim). A link slot is Unverifiable. It returns the slot too.
func CheckTrunk(ctx context.Context, logic string, storePaths []string, lim *Limiter) (TrunkSlot, Result, string, int64, error) {
	sl, err := trunkSlotOf(logic, storePaths)
	if err != nil {
		return sl, Unverifiable, err.Error(), 0, nil
	}
	f, err := os.Open(sl.Container)
	if errors.Is(err, os.ErrNotExist) {
		return sl, Bad, "trunk container " + sl.Container + " is missing", 0, nil
	}
	if err != nil {
		return sl, Bad, "", 0, err
	}
	defer f.Close()
	var hdr [codec.TrunkSlotHeaderSize]byte
	if _, err := f.ReadAt(hdr[:], sl.Offset); err != nil {
		if errors.Is(err, io.EOF) {
			return sl, Bad, fmt.Sprintf("slot at %d lies beyond the end of %s", sl.Offset, sl.Container), 0, nil
		}
		return sl, Bad, "", 0, err
	}
	if !sl.ref.Matches(hdr[:]) {
		return sl, Bad, fmt.Sprintf("slot header at %d of %s is not the one the ID implies", sl.Offset, sl.Container), 0, nil
	}
	if hdr[0] == codec.TrunkSlotLink {
		return sl, Unverifiable, "trunk link slot", 0, nil
	}
	h := crc32.NewIEEE()
	n, err := copyPaced(ctx, h, io.NewSectionReader(f, sl.Offset+codec.TrunkSlotHeaderSize, sl.Size), lim)
	if err != nil {
		return sl, Bad, "", n, err
	}
	switch {
	case n != sl.Size:
		return sl, Bad, fmt.Sprintf("slot content %d bytes (the container ends), the ID says %d", n, sl.Size), n, nil
	case h.Sum32() != sl.ref.Fields.CRC32:
		return sl, Bad, fmt.Sprintf("crc32 %08x, the ID says %08x", h.Sum32(), sl.ref.Fields.CRC32), n, nil
	}
	return sl, OK, "", n, nil
}

// copyPaced copies r to w in 256 KiB reads, paced by lim.
func copyPaced(ctx context.Context, w io.Writer, r io.Reader, lim *Limiter) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			w.Write(buf[:k])
			n += int64(k)
			if err := lim.Wait(ctx, int64(k)); err != nil {
				return n, err
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// TrunkStore scrubs the trunk-resident files that the binlog in syncDir
// names (store path only, -1: all), calling found for each.
func TrunkStore(ctx context.Context, group, syncDir string, storePaths []string, only int, lim *Limiter,
	found func(Finding)) (Summary, error) {
	var sum Summary
	err := TrunkIDs(ctx, syncDir, only, lim, func(logic string) error {
		sl, res, why, n, err := CheckTrunk(ctx, logic, storePaths, lim)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			why = err.Error()
		}
		sum.Bytes += n
		sum.Trunk++
		switch res {
		case OK:
			sum.OK++
		case Bad:
			sum.Bad++
		default:
			sum.Unverifiable++
		}
		found(Finding{FileID: group + "/" + logic, Path: sl.Container, Result: res, Why: why,
			Trunk: &TrunkInfo{SlotOffset: sl.Offset, SyncDir: syncDir, StorePaths: storePaths}})
		return nil
	})
	return sum, err
}

// TrunkInfo marks a Finding of a trunk-resident file: what its repair
// needs besides the ID.
type TrunkInfo struct {
	SlotOffset int64    // the slot's offset in the container (Finding.Path)
	SyncDir    string   // the binlog, to tell a deleted file from a damaged header
	StorePaths []string // the store paths, in conf order
}
