package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// captureOut reads a C tool's output captured in
// ../shared/protocol/vectors/client, with the C storage's IP replaced by
// ours and the timestamp line made a pattern: a regexp of the whole output.
func captureOut(t *testing.T, name, storageIP string) *regexp.Regexp {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	b, err := os.ReadFile(filepath.Join(root, "..", "shared", "protocol", "vectors", "client", name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.QuoteMeta(strings.ReplaceAll(string(b), "127.0.0.3", storageIP))
	s = regexp.MustCompile(`file create timestamp: [0-9 :\\.-]+\n`).
		ReplaceAllString(s, `file create timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n`)
	return regexp.MustCompile("^" + s + "$")
}

// captureTail is what follows after in a C tool's captured output.
func captureTail(t *testing.T, name, after string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	b, err := os.ReadFile(filepath.Join(root, "..", "shared", "protocol", "vectors", "client", name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	_, tail, ok := strings.Cut(string(b), after)
	if !ok {
		t.Fatalf("%s.out has no %q", name, after)
	}
	return tail
}

// TestAppenderToolsAgainstDaemons walks an appender file through every
// tool that changes one, as built binaries against real daemons, checking
// the content after each step by downloading it and the reported size and
// CRC32 against C's captured fdfs_file_info output.
func TestAppenderToolsAgainstDaemons(t *testing.T) {
	t.Parallel() // each has its own daemons, dirs and ports
	c := startCluster(t)
	hello := write(t, filepath.Join(c.dir, "hello.txt"), "hello fastdfs\n")
	c.upload(hello) // waits for the storage to be ACTIVE

	out, code := c.run("fdfs_upload_appender", c.clientConf, hello)
	id := strings.TrimSpace(out)
	if code != 0 || !fileIDShape.MatchString(id) {
		t.Fatalf("upload_appender: exit %d: %q", code, out)
	}
	c.expectContent(id, "hello fastdfs\n")

	if out, code := c.run("fdfs_append_file", c.clientConf, id, hello); code != 0 || out != "" {
		t.Fatalf("append: exit %d: %q", code, out)
	}
	c.expectContent(id, "hello fastdfs\nhello fastdfs\n")
	// the very state C's appender_file_info.out was captured in: two copies
	out, code = c.run("fdfs_file_info", c.clientConf, id)
	if want := captureOut(t, "appender_file_info", "127.0.7.22"); code != 0 || !want.MatchString(out) {
		t.Fatalf("appender file info: exit %d:\n%s\nwant (C capture):\n%s", code, out, want)
	}

	// -n: the storage skips the CRC (0), so the line is left out, as C's
	out, code = c.run("fdfs_file_info", "-n", "-s", c.clientConf, id)
	if code != 0 || strings.Contains(out, "crc32") || !strings.HasSuffix(out, "\nfile size: 28\n\n") {
		t.Fatalf("appender file info -n: exit %d:\n%s", code, out)
	}

	upper := write(t, filepath.Join(c.dir, "upper.txt"), "HELLO")
	if out, code := c.run("fdfs_modify_file", c.clientConf, id, "14", upper); code != 0 || out != "" {
		t.Fatalf("modify: exit %d: %q", code, out)
	}
	c.expectContent(id, "hello fastdfs\nHELLO fastdfs\n")

	if out, code := c.run("fdfs_truncate_file", c.clientConf, id, "19"); code != 0 || out != "" {
		t.Fatalf("truncate: exit %d: %q", code, out)
	}
	c.expectContent(id, "hello fastdfs\nHELLO")
	if out, code := c.run("fdfs_truncate_file", c.clientConf, id); code != 0 || out != "" {
		t.Fatalf("truncate to 0: exit %d: %q", code, out)
	}
	// (a 0-byte file cannot be downloaded since C V6.15.4: EINVAL)
	if out, code := c.run("fdfs_file_info", c.clientConf, id); code != 0 || !strings.Contains(out, "\nfile size: 0\n") ||
		!strings.Contains(out, "\nfile crc32: 0 (0x00000000)\n") {
		t.Fatalf("info after truncate to 0: exit %d:\n%s", code, out)
	}
	if out, code := c.run("fdfs_append_file", c.clientConf, id, hello); code != 0 {
		t.Fatalf("append after truncate: exit %d: %q", code, out)
	}

	out, code = c.run("fdfs_regenerate_filename", c.clientConf, id)
	newID := strings.TrimSpace(out)
	if code != 0 || !fileIDShape.MatchString(newID) || newID == id {
		t.Fatalf("regenerate: exit %d: %q", code, out)
	}
	c.expectContent(newID, "hello fastdfs\n")
	// now a normal file: its name carries size and CRC, as of hello.txt in
	// C's file_info.out
	out, code = c.run("fdfs_file_info", c.clientConf, newID)
	if want := captureOut(t, "file_info", "127.0.7.22"); code != 0 || !want.MatchString(out) {
		t.Fatalf("regenerated file info: exit %d:\n%s\nwant (C capture):\n%s", code, out, want)
	}
	// fdfs_crc32 of the local file agrees with the CRC in the file ID
	if out, code := c.run("fdfs_crc32", hello); code != 0 || out != "e10ba5d\n" {
		t.Fatalf("crc32: exit %d: %q", code, out)
	}

	// a normal file is not an appender: the storage refuses, the tool says so
	out, code = c.run("fdfs_append_file", c.clientConf, newID, hello)
	if code == 0 || !strings.HasPrefix(out, "append file fail, error no: ") {
		t.Fatalf("append to a normal file: exit %d: %q", code, out)
	}
	out, code = c.run("fdfs_upload_appender", c.clientConf, filepath.Join(c.dir, "missing.txt"))
	if code != 2 || !strings.HasPrefix(out, "open file ") ||
		!strings.HasSuffix(out, " fail, error no: 2, error info: No such file or directory\n") {
		t.Fatalf("upload of a missing file: exit %d: %q", code, out)
	}
}

// TestMetadataToolsAgainstDaemons sets, merges, reads and clears metadata
// with the built tools.
func TestMetadataToolsAgainstDaemons(t *testing.T) {
	t.Parallel() // each has its own daemons, dirs and ports
	c := startCluster(t)
	id := c.upload(write(t, filepath.Join(c.dir, "meta.txt"), "meta\n"))

	out, code := c.run("fdfs_get_metadata", c.clientConf, id)
	if code != 2 || out != "get metadata fail, error no: 2, error info: No such file or directory\n" {
		t.Fatalf("get of no metadata: exit %d: %q", code, out)
	}
	if out, code := c.run("fdfs_set_metadata", c.clientConf, id, "O", "width=1024,height=768"); code != 0 || out != "" {
		t.Fatalf("set: exit %d: %q", code, out)
	}
	if out, code := c.run("fdfs_get_metadata", c.clientConf, id); code != 0 || out != "height=768\nwidth=1024\n" {
		t.Fatalf("get: exit %d: %q", code, out)
	}
	if out, code := c.run("fdfs_set_metadata", c.clientConf, id, "M", "width=800,color=red"); code != 0 {
		t.Fatalf("merge: exit %d: %q", code, out)
	}
	if out, code := c.run("fdfs_get_metadata", c.clientConf, id); code != 0 ||
		out != "color=red\nheight=768\nwidth=800\n" {
		t.Fatalf("get after merge: exit %d: %q", code, out)
	}
	if out, code := c.run("fdfs_set_metadata", c.clientConf, id, "O", "only=1"); code != 0 {
		t.Fatalf("overwrite: exit %d: %q", code, out)
	}
	if out, code := c.run("fdfs_get_metadata", c.clientConf, id); code != 0 || out != "only=1\n" {
		t.Fatalf("get after overwrite: exit %d: %q", code, out)
	}
	// the metadata C's fdfs_test set and listed (fdfs_test_getmeta.out): the
	// same name=value lines, in the same order
	if out, code := c.run("fdfs_set_metadata", c.clientConf, id, "O",
		"ext_name=jpg,file_size=115120,height=80,width=160"); code != 0 {
		t.Fatalf("set as fdfs_test: exit %d: %q", code, out)
	}
	out, code = c.run("fdfs_get_metadata", c.clientConf, id)
	if want := captureTail(t, "fdfs_test_getmeta", "get meta data success, meta count=4\n"); code != 0 || out != want {
		t.Fatalf("get: exit %d: %q, want (C's listing) %q", code, out, want)
	}

	missing := id[:len(id)-7] + "xyz.txt"
	out, code = c.run("fdfs_set_metadata", c.clientConf, missing, "O", "a=1")
	if code == 0 || !strings.HasPrefix(out, "set metadata fail, error no: ") {
		t.Fatalf("set on a missing file: exit %d: %q", code, out)
	}
}

// expectContent downloads id with fdfs_download_file and compares.
func (c *cluster) expectContent(id, want string) {
	c.t.Helper()
	local := filepath.Join(c.dir, "check.out")
	if out, code := c.run("fdfs_download_file", c.clientConf, id, local); code != 0 {
		c.t.Fatalf("download %s: exit %d: %s", id, code, out)
	}
	if b, _ := os.ReadFile(local); string(b) != want {
		c.t.Fatalf("%s holds %q, want %q", id, b, want)
	}
}
