package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestMakeInstallWithDestdir runs `make install` into a DESTDIR, as a
// packager does, and checks that every tool landed in usr/bin executable,
// the conf samples in etc/fdfs, and that an installed tool runs.
func TestMakeInstallWithDestdir(t *testing.T) {
	t.Parallel() // each has its own daemons, dirs and ports
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	dest := t.TempDir()
	// BIN: build into a temp dir, not the checkout's bin/
	cmd := exec.Command("make", "-s", "install", "DESTDIR="+dest, "BIN="+filepath.Join(dest, "build"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	tools, _ := filepath.Glob(filepath.Join(root, "tools", "fdfs_*"))
	if len(tools) < 18 {
		t.Fatalf("only %d tools found under tools/", len(tools))
	}
	for _, d := range tools {
		st, err := os.Stat(filepath.Join(dest, "usr", "bin", filepath.Base(d)))
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("%s not installed 0755 in usr/bin: %v", filepath.Base(d), err)
		}
	}
	for _, c := range []string{"tracker", "storage", "client"} {
		want, _ := os.ReadFile(filepath.Join(root, "conf", c+".conf"))
		got, err := os.ReadFile(filepath.Join(dest, "etc", "fdfs", c+".conf.sample"))
		if err != nil || string(got) != string(want) {
			t.Errorf("etc/fdfs/%s.conf.sample: %v", c, err)
		}
	}
	hello := write(t, filepath.Join(dest, "hello.txt"), "hello fastdfs\n")
	out, err := exec.Command(filepath.Join(dest, "usr", "bin", "fdfs_crc32"), hello).Output()
	if err != nil || string(out) != "e10ba5d\n" {
		t.Fatalf("installed fdfs_crc32: %q, %v", out, err)
	}
}
