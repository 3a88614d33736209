package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var (
	dateTime = `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`
	conns    = `connections \{alloc: \d+, current: \d+, max: \d+\}`
	space    = `\d+(\.\d)? +(B|KB|MB|GB|TB|PB)` // C: one decimal under 10 units, "0  B"
)

// TestStatToolsAgainstDaemons runs fdfs_tracker_stat, fdfs_storage_stat,
// fdfs_volumn_stat and fdfs_monitor set_trunk_server against a live
// tracker and storage, checking each whole output against C 6.16's layout,
// then matches the outputs the README documents against its examples.
func TestStatToolsAgainstDaemons(t *testing.T) {
	t.Parallel() // each has its own daemons, dirs and ports
	c := startCluster(t)
	c.upload(write(t, filepath.Join(c.dir, "s.txt"), "stat\n")) // the storage is ACTIVE
	tracker := regexp.QuoteMeta(c.trackerAddr)

	for _, tc := range []struct {
		name string
		args []string
		want string // the whole stdout, as a pattern
	}{
		{"tracker", []string{"fdfs_tracker_stat", "-c", c.clientConf},
			`\n` + tracker + `, is_leader: 1, is_active: 1, ` + conns + `\n\ntracker server count: 1\n`},
		{"tracker detail", []string{"fdfs_tracker_stat", "-c" + c.clientConf, "-d", "-L"},
			`\n` + tracker + `, is_leader: 1, is_active: 1, ` + conns + `\n  version: 6\.\d+(\.\d+)?, up_time: ` +
				dateTime + `\n\n\ntracker server count: 1\n`},
		{"tracker followers: none", []string{"fdfs_tracker_stat", "-c", c.clientConf, "-F"}, ``},
		{"storage", []string{"fdfs_storage_stat", "-c", c.clientConf, "-A"},
			`\n127\.0\.7\.22:\d+ ACTIVE, ` + conns + `\n\nstorage server count: 1\n\n`},
		{"storage detail", []string{"fdfs_storage_stat", "-dc", c.clientConf},
			`\n127\.0\.7\.22:\d+ ACTIVE, ` + conns + `\n  version: 6\.\d+(\.\d+)?, up_time: ` + dateTime +
				`, last_heartbeat_time: ` + dateTime + `\n\n\nstorage server count: 1\n\n`},
		{"storage not active: none", []string{"fdfs_storage_stat", "-c", c.clientConf, "-N"}, ``},
		{"volumn", []string{"fdfs_volumn_stat", "-c", c.clientConf},
			`\ngroup1 disk_available: 1, disk space \{total: ` + space + `, free: ` + space + `, reserved: ` + space +
				`, avail: ` + space + `, util: \d+\.\d\d%\}\n\nstorage volumn / group count: 1\n\n`},
		{"volumn without disk space: none", []string{"fdfs_volumn_stat", "-c", c.clientConf, "-d"}, ``},
		// trunk files are off, so the tracker answers EOPNOTSUPP as C does
		// (client.md 4.8)
		{"set trunk server", []string{"fdfs_monitor", c.clientConf, "set_trunk_server", "group1"},
			`tracker server count=1, current server index=0\n\ntracker server is ` + tracker + `\n\n` +
				`set trunk server group1:: fail, error no: 95, error info: Operation not supported\n`},
	} {
		out, code := c.run(tc.args[0], tc.args[1:]...)
		if code != 0 || !regexp.MustCompile(`^`+tc.want+`$`).MatchString(out) {
			t.Errorf("%s: exit %d:\n%q\nwant\n%q", tc.name, code, out, tc.want)
		}
	}

	out, code := c.run("fdfs_storage_stat", "-x")
	if code != 1 || !strings.Contains(out, "invalid option -- 'x'") || !strings.Contains(out, "Usage: fdfs_storage_stat") {
		t.Errorf("bad option: exit %d: %q", code, out)
	}
	out, code = c.run("fdfs_volumn_stat", "-h")
	if code != 0 || !strings.HasPrefix(out, "Usage: fdfs_volumn_stat [-c config_filename=/etc/fdfs/client.conf]\n") {
		t.Errorf("-h: exit %d: %q", code, out)
	}

	// the layouts the README documents, matched against its examples
	hello := write(t, filepath.Join(c.dir, "hello.txt"), "hello fastdfs\n")
	out, code = c.run("fdfs_upload_appender", c.clientConf, hello)
	id := strings.TrimSpace(out)
	if code != 0 {
		t.Fatalf("upload_appender: exit %d: %s", code, out)
	}
	for _, tc := range []struct {
		marker string
		args   []string
	}{
		{"`fdfs_file_info` (", []string{"fdfs_file_info", c.clientConf, id}},
		{"`fdfs_tracker_stat` (", []string{"fdfs_tracker_stat", "-d", "-c", c.clientConf}},
		{"`fdfs_storage_stat` (", []string{"fdfs_storage_stat", "-d", "-c", c.clientConf}},
		{"`fdfs_volumn_stat` (", []string{"fdfs_volumn_stat", "-c", c.clientConf}},
	} {
		want := readmeLayout(t, tc.marker)
		out, code := c.run(tc.args[0], tc.args[1:]...)
		if code != 0 || !want.MatchString(out) {
			t.Errorf("%s: exit %d:\n%q\ndoes not match the README's\n%s", tc.args[0], code, out, want)
		}
	}
}

// readmeLayout turns the README's example output that follows the line
// starting with marker into a pattern: every number (decimal, or 0x and 8
// hex digits) may differ, sizes may be in any unit and have C's one decimal, the rest must match
// byte for byte.
func readmeLayout(t *testing.T, marker string) *regexp.Regexp {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(file))), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n"+marker)
	if i < 0 {
		t.Fatalf("README has no %q", marker)
	}
	s = s[i:]
	start := strings.Index(s, "\n```\n")
	if start < 0 {
		t.Fatalf("README: no example after %q", marker)
	}
	s = s[start+len("\n```\n"):]
	end := strings.Index(s, "```\n")
	if end < 0 {
		t.Fatalf("README: unterminated example after %q", marker)
	}
	p := regexp.QuoteMeta(s[:end])
	// placeholders first: the patterns hold digits themselves
	p = regexp.MustCompile(`\b\d+(\\\.\d)? +(B|KB|MB|GB|TB|PB)\b`).ReplaceAllString(p, "\x00size\x00")
	p = regexp.MustCompile(`\b0x[0-9a-f]{8}\b`).ReplaceAllString(p, "\x00hex\x00")
	p = regexp.MustCompile(`\b\d+\b`).ReplaceAllString(p, `\d+`)
	p = strings.NewReplacer("\x00size\x00", `\d+(\.\d)? +(B|KB|MB|GB|TB|PB)`, "\x00hex\x00", `0x[0-9a-f]{8}`).Replace(p)
	return regexp.MustCompile("^" + p + "$")
}
