package recovery

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// The files a recovery keeps in the store path's data directory, in C's
// names and layouts, so either server carries on from the other's:
// .recovery.flag, .binlog.recovery.N (the fetched records) and
// .recovery.mark.N (how far thread N got).

const (
	flagName   = ".recovery.flag"
	binlogName = ".binlog.recovery" // + "." thread index
	markName   = ".recovery.mark"   // + "." thread index
	// markEvery records, the mark is saved (C: 1000).
	markEvery = 1000
)

// flag is .recovery.flag.
type flag struct {
	savedStatus int
	fetchDone   bool
	threads     int
}

func fileName(dataDir, name string, thread int) string {
	if thread < 0 {
		return filepath.Join(dataDir, name)
	}
	return filepath.Join(dataDir, name+"."+strconv.Itoa(thread))
}

// writeFlag writes the flag in C's key order.
func writeFlag(dataDir string, f flag) error {
	done := "0"
	if f.fetchDone {
		done = "1"
	}
	data := "saved_storage_status=" + strconv.Itoa(f.savedStatus) + "\nfetch_binlog_done=" + done +
		"\nrecovery_threads=" + strconv.Itoa(f.threads) + "\n"
	return writeFileAtomic(fileName(dataDir, flagName, -1), []byte(data))
}

// readFlag reads the flag; ok is false when there is none.
func readFlag(dataDir string) (f flag, ok bool, err error) {
	data, err := os.ReadFile(fileName(dataDir, flagName, -1))
	if errors.Is(err, os.ErrNotExist) {
		return f, false, nil
	}
	if err != nil {
		return f, false, err
	}
	kv := parseIniLines(data)
	f.savedStatus = -1
	if v, ok := kv["saved_storage_status"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			f.savedStatus = n
		}
	}
	f.fetchDone = iniTrue(kv["fetch_binlog_done"])
	f.threads = -1
	if n, err := strconv.Atoi(kv["recovery_threads"]); err == nil {
		f.threads = n
	}
	return f, true, nil
}

// parseIniLines reads key=value lines (no sections), values trimmed.
func parseIniLines(data []byte) map[string]string {
	kv := make(map[string]string)
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(k), "#") {
			continue
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return kv
}

// iniTrue is libfastcommon's boolean: true, yes, on or a non-zero number.
func iniTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "on":
		return true
	}
	n, err := strconv.Atoi(v)
	return err == nil && n != 0
}

func writeMark(dataDir string, thread int, off int64) error {
	return writeFileAtomic(fileName(dataDir, markName, thread),
		[]byte("binlog_offset="+strconv.FormatInt(off, 10)+"\n"))
}

func readMark(dataDir string, thread int) (int64, error) {
	data, err := os.ReadFile(fileName(dataDir, markName, thread))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	off, err := strconv.ParseInt(parseIniLines(data)["binlog_offset"], 10, 64)
	if err != nil || off < 0 {
		return 0, fmt.Errorf("%s: bad binlog_offset", fileName(dataDir, markName, thread))
	}
	return off, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// MarkPath notes that the store path whose data directory is dataDir lost
// its data: its recovery runs before the next JOIN (Run).
func MarkPath(dataDir string) error {
	if err := writeFlag(dataDir, flag{savedStatus: replica.StatusNone, threads: -1}); err != nil {
		return fmt.Errorf("storage: disk recovery flag: %w", err)
	}
	return nil
}

// Pending reports whether the store path whose data directory is dataDir
// still has a recovery to do or finish (its .recovery.flag exists).
func Pending(dataDir string) bool {
	_, ok, _ := readFlag(dataDir)
	return ok
}

// finish removes the recovery files of a path (threads 0..n-1 and at
// least 0).
func finish(dataDir string, threads int) error {
	if err := os.Remove(fileName(dataDir, flagName, -1)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for i := 0; i < max(threads, 1); i++ {
		for _, name := range []string{binlogName, markName} {
			if err := os.Remove(fileName(dataDir, name, i)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}
