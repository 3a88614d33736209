package prom

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/server/storage/replica"
)

type syncLag struct {
	peer    string
	seconds float64
	bytes   int64
}

// syncLags reads every peer's mark file (<dir>/<peer>[_<port>].mark) and
// measures what of the binlog lies past it: the bytes, and the age of the
// first record not yet pushed. Marks are saved every write_mark_file_freq
// records and when a pusher idles, so this is the lag as of the last save;
// it reads files only, never a pusher's state.
func syncLags(dir string, now time.Time) []syncLag {
	if dir == "" {
		return nil
	}
	marks, _ := filepath.Glob(filepath.Join(dir, "*.mark"))
	var out []syncLag
	for _, mp := range marks {
		m, ok, err := replica.LoadMark(mp)
		if err != nil || !ok {
			continue
		}
		peer := strings.TrimSuffix(filepath.Base(mp), ".mark")
		if i := strings.LastIndexByte(peer, '_'); i > 0 {
			peer = peer[:i]
		}
		lag := syncLag{peer: peer}
		for idx := m.BinlogIndex; ; idx++ {
			st, err := os.Stat(filepath.Join(dir, replica.BinlogFileName(idx)))
			if err != nil {
				break
			}
			from := int64(0)
			if idx == m.BinlogIndex {
				from = m.BinlogOffset
			}
			if rest := st.Size() - from; rest > 0 {
				if lag.bytes == 0 {
					if ts := binlogTimestampAt(filepath.Join(dir, replica.BinlogFileName(idx)), from); ts > 0 {
						lag.seconds = max(float64(now.Unix()-ts), 0)
					}
				}
				lag.bytes += rest
			}
		}
		out = append(out, lag)
	}
	return out
}

// binlogTimestampAt is the timestamp of the binlog record at off (0 when
// unreadable).
func binlogTimestampAt(path string, off int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0
	}
	line, _ := bufio.NewReaderSize(f, 256).ReadString(' ')
	ts, _ := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	return ts
}
