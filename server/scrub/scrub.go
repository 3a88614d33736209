// Package scrub checks stored files against the size and CRC32 their file
// ID carries, at a bounded read rate, and repairs a bad copy from a group
// peer. The fdfs_scrub tool and the storage's background scrub share it.
package scrub

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Result is what a check found for one file.
type Result uint8

const (
	OK           Result = iota // size and CRC32 match the ID
	Bad                        // they do not
	Unverifiable               // the ID does not describe the content: appender (maybe modified), slave, trunk link slot
)

func (r Result) String() string {
	switch r {
	case OK:
		return "ok"
	case Bad:
		return "bad"
	}
	return "unverifiable"
}

// Finding is one checked file.
type Finding struct {
	FileID string // group/Mxx/HH/HH/name
	Path   string // on disk (a trunk-resident file's: its container)
	Result Result
	Why    string     // for Bad: what differs
	Trunk  *TrunkInfo // a trunk-resident file's slot; nil for a file of its own
}

// Summary counts a pass.
type Summary struct {
	OK, Bad, Unverifiable int64
	Bytes                 int64
	Trunk                 int64 // of the files counted, those in trunk slots
}

// Add adds o's counts to s.
func (s *Summary) Add(o Summary) {
	s.OK += o.OK
	s.Bad += o.Bad
	s.Unverifiable += o.Unverifiable
	s.Bytes += o.Bytes
	s.Trunk += o.Trunk
}

// Limiter paces reads to a rate in bytes per second.
type Limiter struct {
	rate  int64
	start time.Time
	done  int64
	sleep func(context.Context, time.Duration) error
}

// NewLimiter reads at most rate bytes per second (<= 0: unlimited).
func NewLimiter(rate int64) *Limiter {
	return &Limiter{rate: rate, start: time.Now(), sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wait accounts for n bytes read and sleeps as long as the pace requires.
func (l *Limiter) Wait(ctx context.Context, n int64) error {
	if l == nil || l.rate <= 0 {
		return ctx.Err()
	}
	l.done += n
	due := l.start.Add(time.Duration(float64(l.done) / float64(l.rate) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		return l.sleep(ctx, d)
	}
	return ctx.Err()
}

// Expected is what a stored name promises: its kind and, for a normal
// file, its size and CRC32. ok is false for names that are not file IDs
// (metadata files, temp files, anything else in the tree).
func Expected(logic string) (kind codec.FileKind, size int64, crc uint32, ok bool) {
	rf, err := codec.ParseRemoteFilename([]byte(logic), codec.MaxStorePaths)
	if err != nil || rf.Legacy {
		return 0, 0, 0, false
	}
	f, err := rf.Fields()
	if err != nil {
		return 0, 0, 0, false
	}
	kind = codec.ClassifyName(len(logic), f)
	return kind, f.FileSize(), f.CRC32, true
}

// CheckFile reads path (paced by lim) and compares it with what logic
// promises.
func CheckFile(ctx context.Context, path, logic string, lim *Limiter) (Result, string, int64, error) {
	kind, size, crc, ok := Expected(logic)
	if !ok {
		return Unverifiable, "not a file ID", 0, nil
	}
	if kind != codec.KindNormal {
		return Unverifiable, kind.String(), 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Bad, "", 0, err
	}
	defer f.Close()
	h := crc32.NewIEEE()
	n, err := copyPaced(ctx, h, f, lim)
	if err != nil {
		return Bad, "", n, err
	}
	switch {
	case n != size:
		return Bad, fmt.Sprintf("size %d, the ID says %d", n, size), n, nil
	case h.Sum32() != crc:
		return Bad, fmt.Sprintf("crc32 %08x, the ID says %08x", h.Sum32(), crc), n, nil
	}
	return OK, "", n, nil
}

// StorePath walks store path index's data tree (root/data/HH/HH) and
// checks every file with an ID, calling found for each; errors reading a
// file are reported in the Finding (Why) and the walk goes on.
func StorePath(ctx context.Context, group string, index int, root string, lim *Limiter, found func(Finding)) (Summary, error) {
	var sum Summary
	data := filepath.Join(root, "data")
	highs, err := subdirs(data)
	if err != nil {
		return sum, err
	}
	for _, hi := range highs {
		lows, err := subdirs(filepath.Join(data, hi))
		if err != nil {
			return sum, err
		}
		for _, lo := range lows {
			dir := filepath.Join(data, hi, lo)
			ents, err := os.ReadDir(dir)
			if err != nil {
				return sum, err
			}
			for _, e := range ents {
				if err := ctx.Err(); err != nil {
					return sum, err
				}
				if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), "-m") {
					continue // links (slaves by link), metadata files
				}
				logic := fmt.Sprintf("M%02X/%s/%s/%s", index, hi, lo, e.Name())
				if _, _, _, ok := Expected(logic); !ok {
					continue // temp files and strangers
				}
				path := filepath.Join(dir, e.Name())
				res, why, n, err := CheckFile(ctx, path, logic, lim)
				if err != nil {
					if ctx.Err() != nil {
						return sum, ctx.Err()
					}
					if errors.Is(err, os.ErrNotExist) {
						continue // deleted while we walked
					}
					why = err.Error()
				}
				sum.Bytes += n
				switch res {
				case OK:
					sum.OK++
				case Bad:
					sum.Bad++
				default:
					sum.Unverifiable++
				}
				found(Finding{FileID: group + "/" + logic, Path: path, Result: res, Why: why})
			}
		}
	}
	return sum, nil
}

// subdirs lists the two-hex-digit directories of dir, sorted.
func subdirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); e.IsDir() && len(n) == 2 && isHex(n[0]) && isHex(n[1]) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }
