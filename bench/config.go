package bench

import (
	"fmt"
	"time"
)

// Config is one scenario run.
type Config struct {
	Op          string        // see Ops
	Size        int64         // file size in bytes (upload, download, mixed, delete, repl, probes)
	Concurrency int           // workers, each with its own connections
	Count       int           // operations to time (idle: connections to hold)
	Duration    time.Duration // time limit of the timed part; the run stops at Count or Duration, whichever first
	Warmup      time.Duration // untimed operations before the timed part
	Group       string        // upload group ("" lets the tracker choose)
	FileID      string        // download: use this stored file instead of uploading a working set
	WorkingSet  int           // download, mixed: files uploaded first (0: derived from Count and Size)
	Cleanup     bool          // delete what the run uploaded, untimed
	Hold        time.Duration // idle: how long the connections stay open
	ReplTimeout time.Duration // repl: longest wait for one file on the peer
	ProbeFile   string        // sendfile probe: serve this file (else a temp file of Size)
	Dir         string        // disk probe and large payload files: directory to write in
	ServerExe   string        // sendfile probe: run the server as this executable (fdfs_bench itself), "" in-process
}

// Ops are the scenarios Run knows.
var Ops = []string{"upload", "download", "delete", "query", "mixed", "idle", "repl", "sendfile-probe", "disk-probe"}

// Hard bounds: a typo in a flag must not run for an hour or fill a disk.
const (
	MaxDuration = 30 * time.Minute
	MaxCount    = 10_000_000
	MaxSize     = 64 << 30
	MaxWorkers  = 20_000
)

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.Duration <= 0 {
		c.Duration = time.Minute
	}
	if c.Hold <= 0 {
		c.Hold = 5 * time.Second
	}
	if c.ReplTimeout <= 0 {
		c.ReplTimeout = 2 * time.Second
	}
	if c.Size < 0 {
		c.Size = 0
	}
}

// Validate says what is wrong with c, after Defaults.
func (c *Config) Validate() error {
	known := false
	for _, op := range Ops {
		known = known || op == c.Op
	}
	switch {
	case !known:
		return fmt.Errorf("unknown op %q (one of %v)", c.Op, Ops)
	case c.Count <= 0 || c.Count > MaxCount:
		return fmt.Errorf("count %d: must be 1..%d", c.Count, MaxCount)
	case c.Duration > MaxDuration || c.Warmup > MaxDuration || c.Hold > MaxDuration:
		return fmt.Errorf("duration, warm-up and hold are capped at %v", MaxDuration)
	case c.Size > MaxSize:
		return fmt.Errorf("size %d: capped at %d", c.Size, int64(MaxSize))
	case c.Concurrency > MaxWorkers:
		return fmt.Errorf("concurrency %d: capped at %d", c.Concurrency, MaxWorkers)
	case c.FileID != "" && c.Op != "download":
		return fmt.Errorf("-id is for -op download only")
	case c.Op == "disk-probe" && c.Dir == "":
		return fmt.Errorf("disk-probe needs -dir (the store path to measure)")
	}
	return nil
}

// workingSet is how many files download and mixed read from: enough that
// requests spread over files, at most 1 GiB of them.
func (c *Config) workingSet() int {
	if c.WorkingSet > 0 {
		return c.WorkingSet
	}
	n := min(c.Count, 1000)
	if c.Size > 0 {
		n = min(n, int(max(1, (1<<30)/c.Size)))
	}
	return max(n, 1)
}
