package diskio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// DefaultSubdirCount is subdir_count_per_path's C default: 256×256 dirs.
	DefaultSubdirCount = 256
	// MaxSubdirCount is the largest subdir_count_per_path: two hex digits.
	MaxSubdirCount = 256
	// MaxNameLen bounds a file name inside data/HH/HH. It is the file
	// system's NAME_MAX, not a protocol limit: the protocol layer enforces
	// its own, tighter lengths; this one only keeps syscalls from failing
	// in surprising ways.
	MaxNameLen = 255
	// DefaultChunkSize is the buffer size for streamed reads and writes:
	// large enough that syscall overhead is noise, small enough that many
	// concurrent transfers stay cheap (memory per transfer is bounded by it).
	DefaultChunkSize = 256 << 10

	// MetaSuffix is appended to a data file's name to name its metadata file
	// (client.md §8: data/HH/HH/<NAME>-m).
	MetaSuffix = "-m"

	markFileName = ".fastdfs_vars"
	markKey      = "store_path_mark"
	tempPrefix   = ".cp"
	tempSuffix   = ".tmp"
	dirMode      = 0o755
	fileMode     = 0o644
)

// Options configure Open.
type Options struct {
	// SubdirCount is subdir_count_per_path (1..256); 0 means 256.
	SubdirCount int
	// ReadOnly is store_pathN_readonly: no new uploads choose this path.
	// diskio does not refuse writes on its own (appends, sync replicas and
	// deletes still write here, as in C); CheckUpload reports it.
	ReadOnly bool
	// ChunkSize is the buffer size for on-demand CRC reads; 0 means
	// DefaultChunkSize.
	ChunkSize int
	// OpenFiles bounds the read descriptors kept open for repeated
	// downloads (see openRecheck); 0 means DefaultOpenFiles, < 0 none.
	OpenFiles int
}

// StorePath is one store_pathN: its root, data/ and the data/HH/HH tree.
// It is safe for concurrent use. It holds open up to Options.OpenFiles read
// descriptors of recently downloaded files (CloseOpenFiles closes them).
type StorePath struct {
	root        string // absolute and clean
	data        string // root + "/data"
	anonPath    string // data + "/" + anonTempName, for messages about unnamed temp files
	realData    string // data with symlinks resolved (to read links others made)
	subdirs     int
	readOnly    bool
	treeCreated bool
	chunkSize   int
	tempSeq     atomic.Uint64
	noTmpfile   atomic.Bool // the file system refused O_TMPFILE: named temp files only
	chunks      sync.Pool   // *[]byte of chunkSize, for CRC reads
	open        *openCache  // nil when Options.OpenFiles < 0
	creating    createLog   // data/.creating, for WriteNew
}

// FileRef names a file of a store path: data/HH/HH/Name, HH being High and
// Low as two upper-case hex digits. It is what a remote filename
// "Mxx/HH/HH/NAME" becomes once the protocol layer has picked the store path.
type FileRef struct {
	High, Low int
	Name      string
}

// AppendLogic appends the logic name "Mxx/HH/HH/NAME" of the reference on
// store path storePath: the form file IDs and binlog lines carry.
func (r FileRef) AppendLogic(dst []byte, storePath int) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, 'M', hex[storePath>>4&0xF], hex[storePath&0xF], '/')
	return append(dst, r.String()...)
}

// String is the reference as the path below data/: "HH/HH/NAME".
func (r FileRef) String() string {
	var b strings.Builder
	b.Grow(6 + len(r.Name))
	appendHex2(&b, r.High)
	b.WriteByte('/')
	appendHex2(&b, r.Low)
	b.WriteByte('/')
	b.WriteString(r.Name)
	return b.String()
}

// Meta is the reference of r's metadata file (NAME + "-m", same directory).
func (r FileRef) Meta() FileRef {
	return FileRef{High: r.High, Low: r.Low, Name: r.Name + MetaSuffix}
}

// ParseFileRef parses "HH/HH/NAME" (upper-case hex, as the tree is named).
// It checks the shape and the name; the subdir range is checked when the
// reference is used with a StorePath.
func ParseFileRef(rel string) (FileRef, error) {
	if len(rel) < 7 || rel[2] != '/' || rel[5] != '/' {
		return FileRef{}, &os.PathError{Op: "parse", Path: rel, Err: fmt.Errorf("%w: want HH/HH/NAME", ErrInvalidName)}
	}
	hi, ok1 := parseHex2(rel[0:2])
	lo, ok2 := parseHex2(rel[3:5])
	if !ok1 || !ok2 {
		return FileRef{}, &os.PathError{Op: "parse", Path: rel, Err: fmt.Errorf("%w: directory is not two upper-case hex digits", ErrInvalidName)}
	}
	ref := FileRef{High: hi, Low: lo, Name: rel[6:]}
	if reason := checkName(ref.Name); reason != "" {
		return FileRef{}, &os.PathError{Op: "parse", Path: rel, Err: fmt.Errorf("%w: %s", ErrInvalidName, reason)}
	}
	return ref, nil
}

// Open opens the store path at root the way the C storage does on start:
// root must be an existing directory (a store path is usually a mount
// point: creating it would turn an unmounted disk into a directory on the
// root file system), root/data is created if missing, and the subdir tree
// is created when data/00/00 or the last data/XX/XX is missing
// (TreeCreated then reports true: C starts disk recovery in that case when
// the storage had already finished its first sync).
func Open(root string, opts Options) (*StorePath, error) {
	n := opts.SubdirCount
	if n == 0 {
		n = DefaultSubdirCount
	}
	if n < 1 || n > MaxSubdirCount {
		return nil, &os.PathError{Op: "open store path", Path: root,
			Err: fmt.Errorf("subdir count %d not in 1..%d", n, MaxSubdirCount)}
	}
	if root == "" {
		return nil, &os.PathError{Op: "open store path", Path: root, Err: errors.New("empty path")}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, &os.PathError{Op: "open store path", Path: root, Err: err}
	}
	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	sp := &StorePath{
		root:      abs,
		data:      filepath.Join(abs, "data"),
		anonPath:  filepath.Join(abs, "data", anonTempName),
		subdirs:   n,
		readOnly:  opts.ReadOnly,
		chunkSize: chunk,
	}
	// Seeding the temp sequence with the clock keeps a restarted process
	// from walking through the names its predecessor may have left behind.
	switch {
	case opts.OpenFiles == 0:
		sp.open = newOpenCache(DefaultOpenFiles)
	case opts.OpenFiles > 0:
		sp.open = newOpenCache(opts.OpenFiles)
	}
	sp.tempSeq.Store(uint64(time.Now().UnixNano()))
	sp.chunks.New = func() any { b := make([]byte, sp.chunkSize); return &b }
	if fi, err := os.Stat(abs); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, &os.PathError{Op: "open store path", Path: abs, Err: unix.ENOTDIR}
	}
	if err := os.Mkdir(sp.data, dirMode); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	sp.realData = sp.data
	if real, err := filepath.EvalSymlinks(sp.data); err == nil {
		sp.realData = real
	}
	created, err := ensureTree(sp.data, n)
	if err != nil {
		return nil, err
	}
	sp.treeCreated = created
	return sp, nil
}

// Root is the store path (absolute).
func (sp *StorePath) Root() string { return sp.root }

// DataDir is root/data.
func (sp *StorePath) DataDir() string { return sp.data }

// SubdirCount is subdir_count_per_path.
func (sp *StorePath) SubdirCount() int { return sp.subdirs }

// ReadOnly reports store_pathN_readonly.
func (sp *StorePath) ReadOnly() bool { return sp.readOnly }

// TreeCreated reports whether Open had to create the subdir tree.
func (sp *StorePath) TreeCreated() bool { return sp.treeCreated }

// Path resolves ref to its absolute path. It fails with ErrInvalidName for
// anything that could name a file outside data/HH/HH: directories out of
// range, empty names, ".", "..", '/', NUL, over-long names.
func (sp *StorePath) Path(ref FileRef) (string, error) {
	if err := sp.checkRef("resolve", ref); err != nil {
		return "", err
	}
	return sp.path(ref), nil
}

func (sp *StorePath) checkRef(op string, ref FileRef) error {
	if ref.High < 0 || ref.High >= sp.subdirs || ref.Low < 0 || ref.Low >= sp.subdirs {
		return &os.PathError{Op: op, Path: sp.data + "/" + strconv.Itoa(ref.High) + "/" + strconv.Itoa(ref.Low),
			Err: fmt.Errorf("%w: directory out of range 0..%d", ErrInvalidName, sp.subdirs-1)}
	}
	if reason := checkName(ref.Name); reason != "" {
		return &os.PathError{Op: op, Path: sp.data + "/" + strconv.Quote(ref.Name),
			Err: fmt.Errorf("%w: %s", ErrInvalidName, reason)}
	}
	return nil
}

// path builds root/data/HH/HH/NAME in one allocation; ref must be checked.
func (sp *StorePath) path(ref FileRef) string {
	var b strings.Builder
	b.Grow(len(sp.data) + 7 + len(ref.Name))
	b.WriteString(sp.data)
	b.WriteByte('/')
	appendHex2(&b, ref.High)
	b.WriteByte('/')
	appendHex2(&b, ref.Low)
	b.WriteByte('/')
	b.WriteString(ref.Name)
	return b.String()
}

// dirPath is root/data/HH/HH of a checked ref.
func (sp *StorePath) dirPath(ref FileRef) string {
	var b strings.Builder
	b.Grow(len(sp.data) + 6)
	b.WriteString(sp.data)
	b.WriteByte('/')
	appendHex2(&b, ref.High)
	b.WriteByte('/')
	appendHex2(&b, ref.Low)
	return b.String()
}

// checkName returns why name cannot be a file name in the tree, or "".
func checkName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case len(name) > MaxNameLen:
		return "name longer than " + strconv.Itoa(MaxNameLen) + " bytes"
	case name == "." || name == "..":
		return "name is a directory reference"
	case strings.IndexByte(name, '/') >= 0:
		return "name contains '/'"
	case strings.IndexByte(name, 0) >= 0:
		return "name contains NUL"
	}
	return ""
}

const upperHex = "0123456789ABCDEF"

func appendHex2(b *strings.Builder, v int) {
	b.WriteByte(upperHex[(v>>4)&0xF])
	b.WriteByte(upperHex[v&0xF])
}

func parseHex2(s string) (int, bool) {
	v := 0
	for i := 0; i < 2; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// ReadMark reads the store path mark from data/.fastdfs_vars
// ("store_path_mark=<mark>"). The mark is opaque: the owner compares it with
// the copy in its .data_init_flag. ok is false when there is no mark yet.
func (sp *StorePath) ReadMark() (mark string, ok bool, err error) {
	p := filepath.Join(sp.data, markFileName)
	content, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	// Parsed like an ini file (C reads it with its ini reader): any line
	// order, blanks and CRs around keys and values are tolerated.
	sc := bufio.NewScanner(bytes.NewReader(content))
	for sc.Scan() {
		key, value, found := strings.Cut(sc.Text(), "=")
		if found && strings.TrimSpace(key) == markKey {
			return strings.TrimSpace(value), true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", false, &os.PathError{Op: "read mark", Path: p, Err: err}
	}
	return "", false, nil
}

// WriteMark stores mark in data/.fastdfs_vars, atomically and durably.
func (sp *StorePath) WriteMark(mark string) error {
	p := filepath.Join(sp.data, markFileName)
	if strings.ContainsAny(mark, "\r\n\x00") || strings.TrimSpace(mark) != mark {
		return &os.PathError{Op: "write mark", Path: p, Err: errors.New("mark contains line breaks, NUL or surrounding blanks")}
	}
	return sp.writeAtomic(p, []byte(markKey+"="+mark+"\n"), true)
}

// createTemp creates a new, empty, unique data/.cp<seq>.tmp file.
// O_EXCL makes a clash with any other file impossible; a clash just moves
// on to the next sequence number.
func (sp *StorePath) createTemp() (*os.File, string, error) {
	var lastErr error
	for range 16 {
		name := sp.tempName()
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, fileMode)
		if err == nil {
			return f, name, nil
		}
		lastErr = err
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	return nil, "", lastErr
}

// tempName is a new data/.cpSEQ.tmp path.
func (sp *StorePath) tempName() string {
	seq := sp.tempSeq.Add(1)
	var b strings.Builder
	b.Grow(len(sp.data) + 1 + len(tempPrefix) + 20 + len(tempSuffix))
	b.WriteString(sp.data)
	b.WriteByte('/')
	b.WriteString(tempPrefix)
	var digits [20]byte
	b.Write(strconv.AppendUint(digits[:0], seq, 10))
	b.WriteString(tempSuffix)
	return b.String()
}

// writeAtomic replaces final with data via a temp file in data/ and a
// rename, so readers see the old or the new content, never a mix.
// durable adds fdatasync of the file and fsync of final's directory.
func (sp *StorePath) writeAtomic(final string, data []byte, durable bool) error {
	f, tmp, err := sp.createTemp()
	if err != nil {
		return err
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if durable {
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			return fail(&os.PathError{Op: "fdatasync", Path: tmp, Err: err})
		}
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	if durable {
		return syncDir(filepath.Dir(final))
	}
	return nil
}

// syncDir makes a rename into dir durable.
func syncDir(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil {
		return &os.PathError{Op: "fsync", Path: dir, Err: err}
	}
	return nil
}

// SweepTemp removes the temp files (data/.cp*.tmp) last modified before
// before, and the files of creates a crash interrupted (CheckCreating),
// and reports how many it removed. Call it at start with time.Now():
// anything there then was left by a crash (ours or C's, which uses the
// same names for incoming sync files).
func (sp *StorePath) SweepTemp(before time.Time) (int, error) {
	removed, firstErr := sp.CheckCreating()
	entries, err := os.ReadDir(sp.data)
	if err != nil {
		return removed, err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, tempPrefix) || !strings.HasSuffix(name, tempSuffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		if !info.ModTime().Before(before) {
			continue
		}
		if err := os.Remove(filepath.Join(sp.data, name)); err != nil {
			if !errors.Is(err, os.ErrNotExist) && firstErr == nil {
				firstErr = err
			}
			continue
		}
		removed++
	}
	return removed, firstErr
}
