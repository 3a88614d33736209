package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// npmSDKs are the V4/V5-era npm FastDFS SDKs pinned in npm/package.json, each
// driven by its script in npm/, with the tracker's list layout it reads:
// fdfs 1.0.4 takes only 600-byte LIST_STORAGE records (V5.02-V5.03);
// fastdfs-client 1.0.2 takes 600 or 612 and its script checks the 612-byte
// (V5.04-V6.10) connection counters.
var npmSDKs = []struct{ script, dialect string }{
	{"fdfs.js", "v5.02"},
	{"fastdfs-client.js", "v5"},
}

// TestNpmSDKs runs independent clients against our daemons: upload (buffer,
// file, stream), download (whole, ranged), file info, metadata, appender
// upload/append/modify, LIST_GROUPS/LIST_STORAGE and delete, as the SDKs do
// them on the wire (a new connection per operation, QUIT after it).
func TestNpmSDKs(t *testing.T) {
	t.Parallel() // each has its own daemons, dirs and ports
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: skipping the npm SDK interop test", tool)
		}
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "npm")

	// Install exactly what the lockfile records.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ci := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	ci.Dir = dir
	ci.Env = append(os.Environ(), "npm_config_update_notifier=false")
	if out, err := ci.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}

	for _, sdk := range npmSDKs {
		t.Run(strings.TrimSuffix(sdk.script, ".js"), func(t *testing.T) {
			t.Parallel()
			c := startCluster(t, "response_list_dialect = "+sdk.dialect)
			// Wait until the storage has joined and turned ACTIVE.
			c.upload(write(t, filepath.Join(c.dir, "ready.txt"), "ready\n"))

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, "node", sdk.script, c.trackerAddr, filepath.Join(c.dir, "work"))
			cmd.Dir = dir
			cmd.WaitDelay = 5 * time.Second
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("node %s: timed out after %v\n%s", sdk.script, time.Since(start).Round(time.Second), out.String())
			}
			if err != nil {
				t.Fatalf("node %s: %v\n%s", sdk.script, err, out.String())
			}
			if !strings.Contains(out.String(), "PASS ") {
				t.Fatalf("node %s: exit 0 without PASS\n%s", sdk.script, out.String())
			}
			t.Logf("node %s (%v):\n%s", sdk.script, time.Since(start).Round(time.Millisecond), out.String())
		})
	}
}
