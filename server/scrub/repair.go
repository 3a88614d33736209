package scrub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Fetch downloads fileID from the storage at addr into w.
type Fetch func(ctx context.Context, addr, fileID string, w io.Writer) error

// ErrNoGoodCopy: no peer had a copy that matches the ID.
var ErrNoGoodCopy = errors.New("no peer has a good copy")

// Repair replaces the bad file of f with a copy from the first peer
// (addresses "ip:port") whose copy matches the ID's size and CRC32: the copy
// goes to a temp file beside the bad one, is checked, and is renamed over it
// (atomic), keeping the bad file's modification time (the replicas' sync
// timestamp). The local file is checked again just before: a file that has
// become good, or was deleted, is left alone. It returns the peer used;
// ErrNoGoodCopy (wrapped, with what each peer had) when none had one. A
// good file is never replaced, and never by anything unchecked.
func Repair(ctx context.Context, f Finding, peers []string, fetch Fetch) (string, error) {
	logic := f.FileID[strings.IndexByte(f.FileID, '/')+1:]
	var tried []string
	for _, addr := range peers {
		tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".scrub-repair-*")
		if err != nil {
			return "", err
		}
		name := tmp.Name()
		ferr := fetch(ctx, addr, f.FileID, tmp)
		if err := tmp.Sync(); ferr == nil {
			ferr = err
		}
		if err := tmp.Close(); ferr == nil {
			ferr = err
		}
		if ferr != nil {
			os.Remove(name)
			tried = append(tried, addr+": "+ferr.Error())
			continue
		}
		res, why, _, err := CheckFile(ctx, name, logic, nil)
		if err != nil || res != OK {
			os.Remove(name)
			if err != nil {
				why = err.Error()
			}
			tried = append(tried, addr+": "+why)
			continue
		}
		st, err := os.Stat(f.Path)
		if err != nil {
			os.Remove(name)
			return "", fmt.Errorf("%s: %w", f.FileID, err)
		}
		if now, _, _, err := CheckFile(ctx, f.Path, logic, nil); err == nil && now == OK {
			os.Remove(name)
			return "", nil // good again (a sync rewrote it meanwhile)
		}
		_ = os.Chtimes(name, st.ModTime(), st.ModTime())
		_ = os.Chmod(name, st.Mode().Perm())
		if err := os.Rename(name, f.Path); err != nil {
			os.Remove(name)
			return "", fmt.Errorf("%s: %w", f.FileID, err)
		}
		if d, err := os.Open(filepath.Dir(f.Path)); err == nil {
			_ = d.Sync()
			d.Close()
		}
		return addr, nil
	}
	if len(tried) == 0 {
		tried = append(tried, "no peer to ask")
	}
	return "", fmt.Errorf("%s: %w (%s)", f.FileID, ErrNoGoodCopy, strings.Join(tried, "; "))
}
