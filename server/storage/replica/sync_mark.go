package replica

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Mark is a pusher's progress for one peer, the C mark file
// data/sync/<peer_ip>_<my_port>.mark (<peer_id>.mark with storage ids),
// cluster.md §4.3: where the next unsent line is, and the full-copy state.
type Mark struct {
	BinlogIndex  int
	BinlogOffset int64
	NeedSyncOld  bool // this storage is the peer's full-copy source
	SyncOldDone  bool
	Until        int64 // until_timestamp
	ScanRows     int64
	SyncRows     int64
}

// MarkFileName is C's name for the mark of peer (id or IP) seen from a
// storage listening on myPort.
func MarkFileName(peer string, useIDs bool, myPort int) string {
	if useIDs {
		return peer + ".mark"
	}
	return peer + "_" + strconv.Itoa(myPort) + ".mark"
}

// markKeys is C's key order.
var markKeys = []string{"binlog_index", "binlog_offset", "need_sync_old", "sync_old_done",
	"until_timestamp", "scan_row_count", "sync_row_count"}

func b01(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

func (m *Mark) values() []int64 {
	return []int64{int64(m.BinlogIndex), m.BinlogOffset, b01(m.NeedSyncOld), b01(m.SyncOldDone),
		m.Until, m.ScanRows, m.SyncRows}
}

// Encode is the file content, keys in C's order.
func (m *Mark) Encode() []byte {
	var b []byte
	for i, v := range m.values() {
		b = append(b, markKeys[i]...)
		b = append(b, '=')
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	return b
}

// LoadMark reads a mark file; ok is false when there is none. Like C, a
// file with fewer than the 7 items is refused.
func LoadMark(path string) (m Mark, ok bool, err error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("mark file: %w", err)
	}
	vals, lineOf := map[string]int64{}, map[string]int{}
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		k, v, found := bytes.Cut(bytes.TrimSpace(line), []byte{'='})
		if !found {
			continue
		}
		n, perr := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		if perr != nil {
			return m, false, fmt.Errorf("mark file %s:%d: bad line %q", path, i+1, line)
		}
		vals[string(bytes.TrimSpace(k))], lineOf[string(bytes.TrimSpace(k))] = n, i+1
	}
	for _, k := range markKeys {
		if _, has := vals[k]; !has {
			return m, false, fmt.Errorf("mark file %s: %s missing (need all 7 items)", path, k)
		}
	}
	for _, k := range markKeys { // positions, times and row counts alike
		if vals[k] < 0 {
			return m, false, fmt.Errorf("mark file %s:%d: negative %s", path, lineOf[k], k)
		}
	}
	m = Mark{BinlogIndex: int(vals["binlog_index"]), BinlogOffset: vals["binlog_offset"],
		NeedSyncOld: vals["need_sync_old"] != 0, SyncOldDone: vals["sync_old_done"] != 0,
		Until: vals["until_timestamp"], ScanRows: vals["scan_row_count"], SyncRows: vals["sync_row_count"]}
	return m, true, nil
}

// SaveMark writes the mark via a temp file and a rename, so a crash leaves
// the old or the new mark, never half of one.
func SaveMark(path string, m *Mark) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, m.Encode(), 0o644); err != nil {
		return fmt.Errorf("mark file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("mark file: %w", err)
	}
	return nil
}

// RetireMark renames the mark of a deleted peer to <mark>.YYYYmmddHHMMSS,
// as C does.
func RetireMark(path string, now time.Time) error {
	err := os.Rename(path, path+"."+now.Format("20060102150405"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// SetAsideMark renames an unreadable mark to <mark>.corrupt.YYYYmmddHHMMSS
// so that the fresh one saved later does not destroy it.
func SetAsideMark(path string, now time.Time) (string, error) {
	kept := path + ".corrupt." + now.Format("20060102150405")
	if err := os.Rename(path, kept); err != nil {
		return "", fmt.Errorf("mark file: %w", err)
	}
	return kept, nil
}

// AdoptMark renames the mark at old to path when path does not exist yet
// (moved false: nothing to do).
func AdoptMark(old, path string) (moved bool, err error) {
	if _, err := os.Stat(path); err == nil || !os.IsNotExist(err) {
		return false, nil
	}
	if _, err := os.Stat(old); os.IsNotExist(err) {
		return false, nil
	}
	if err := os.Rename(old, path); err != nil {
		return false, fmt.Errorf("mark file: %w", err)
	}
	return true, nil
}

func MarkPath(dir, name string) string { return filepath.Join(dir, name) }
