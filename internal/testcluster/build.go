package testcluster

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Daemons are the two server programs.
var Daemons = []string{"fdfs_trackerd", "fdfs_storaged"}

// Builder builds programs of tools/ once per process, into one directory
// that Remove deletes. A test binary keeps one in a package variable and
// removes it in TestMain.
type Builder struct {
	mu    sync.Mutex
	dir   string
	built map[string]bool
}

// RepoRoot is the module's root directory, found from this file's place.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Bin builds what of progs is not built yet (tools/<prog>, or the package
// ./<path> for a prog with a slash, named after its last element; one go
// build for all of them, so the links run in parallel) and returns the
// directory the binaries are in. GOFDFS_BIN names a directory of prebuilt binaries
// instead (make bench and CI runs that built bin/ already).
func (b *Builder) Bin(progs ...string) (string, error) {
	if dir := os.Getenv("GOFDFS_BIN"); dir != "" {
		for _, p := range progs {
			if _, err := os.Stat(filepath.Join(dir, filepath.Base(p))); err != nil {
				return "", fmt.Errorf("GOFDFS_BIN=%s: %w", dir, err)
			}
		}
		return dir, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dir == "" {
		dir, err := os.MkdirTemp("", "gofdfs-testcluster-bin-")
		if err != nil {
			return "", err
		}
		b.dir, b.built = dir, map[string]bool{}
	}
	var want []string
	for _, p := range progs {
		if !b.built[p] {
			want = append(want, p)
		}
	}
	if len(want) == 0 {
		return b.dir, nil
	}
	sort.Strings(want)
	args := []string{"build", "-o", b.dir + "/"}
	for _, p := range want {
		args = append(args, pkgOf(p))
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", strings.Join(want, " "), err, out)
	}
	for _, p := range want {
		b.built[p] = true
	}
	return b.dir, nil
}

// pkgOf is the package a program of Bin is built from.
func pkgOf(prog string) string {
	if strings.Contains(prog, "/") {
		return "./" + strings.TrimPrefix(prog, "./")
	}
	return "./tools/" + prog
}

// Path builds prog (as Bin) and gives the path of its binary.
func (b *Builder) Path(prog string) (string, error) {
	dir, err := b.Bin(prog)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(prog)), nil
}

// CBin is the directory of the installed C reference daemon prog
// (fdfs_trackerd, fdfs_storaged): $FDFS_C_BIN if set, else where prog is on
// PATH. A Go binary there (ours, installed) is not the reference.
func CBin(prog string) (string, error) {
	p := ""
	if dir := os.Getenv("FDFS_C_BIN"); dir != "" {
		p = filepath.Join(dir, prog)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("C FastDFS %s not in FDFS_C_BIN: %w", prog, err)
		}
	} else {
		var err error
		if p, err = exec.LookPath(prog); err != nil {
			return "", fmt.Errorf("C FastDFS %s not in PATH: %w", prog, err)
		}
	}
	if _, err := buildinfo.ReadFile(p); err == nil {
		return "", fmt.Errorf("%s is a Go binary, not C FastDFS", p)
	}
	return filepath.Dir(p), nil
}

// CDaemons is the directory holding both C reference daemons (CBin of each,
// the same one), "" when there is none.
func CDaemons() string {
	dir := ""
	for _, prog := range Daemons {
		d, err := CBin(prog)
		if err != nil || (dir != "" && d != dir) {
			return ""
		}
		dir = d
	}
	return dir
}

// AllTools lists every program under tools/ (fdfs_*), for tests that run the
// client tools as a user does.
func AllTools() []string {
	dirs, _ := filepath.Glob(filepath.Join(RepoRoot(), "tools", "fdfs_*"))
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		out = append(out, filepath.Base(d))
	}
	return out
}

// Remove deletes the build directory.
func (b *Builder) Remove() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dir != "" {
		os.RemoveAll(b.dir)
		b.dir, b.built = "", nil
	}
}
