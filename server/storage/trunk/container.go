package trunk

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/gofdfs/gofdfs/codec"
)

// containerKey names one container on one store path.
type containerKey struct {
	path, high, low byte
	id              int32
}

// WriteSlot writes a slot's header and content at its offset with one
// pwritev, creating the container (sparse) if this storage does not have
// it yet. Containers stay open once written to: an upload then costs one
// syscall here instead of open, pwrite and close. Containers are never
// removed or replaced while the store is open, so a kept descriptor always
// names the file on disk.
func (s *Store) WriteSlot(t codec.TrunkInfo, hdr, content []byte) error {
	return s.writeSlot(t, hdr, content, -1)
}

// writeSlot is WriteSlot; fileSize is trunk_file_size for a container
// that has to be created, -1 to read it under s.mu (a caller holding s.mu
// passes it).
func (s *Store) writeSlot(t codec.TrunkInfo, hdr, content []byte, fileSize int64) error {
	f, err := s.container(t, fileSize)
	if err != nil {
		return err
	}
	iov := [2][]byte{hdr, content}
	want := len(hdr) + len(content)
	n, err := unix.Pwritev(int(f.Fd()), iov[:], int64(t.Offset))
	if err == nil && n < want {
		// short write (disk full, signal): finish the rest, or learn why not
		buf := make([]byte, 0, want)
		buf = append(append(buf, hdr...), content...)
		_, err = f.WriteAt(buf[n:], int64(t.Offset)+int64(n))
	}
	if err != nil {
		return fmt.Errorf("trunk: write %s at %d: %w", f.Name(), t.Offset, err)
	}
	return nil
}

// container is the open container of a slot, created if missing with
// fileSize bytes (-1: trunk_file_size, read under s.mu).
func (s *Store) container(t codec.TrunkInfo, fileSize int64) (*os.File, error) {
	k := containerKey{path: t.StorePathIndex, high: t.SubPathHigh, low: t.SubPathLow, id: t.FileID}
	s.fmu.Lock()
	f := s.files[k]
	s.fmu.Unlock()
	if f != nil {
		return f, nil
	}
	path, err := s.ContainerPath(t)
	if err != nil {
		return nil, err
	}
	f, err = os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		if fileSize < 0 {
			err = s.EnsureContainer(t)
		} else {
			err = s.ensureContainer(t, fileSize)
		}
		if err == nil {
			f, err = os.OpenFile(path, os.O_WRONLY, 0)
		}
	}
	if err != nil {
		return nil, err
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.files == nil {
		s.files = make(map[containerKey]*os.File)
	}
	if old := s.files[k]; old != nil { // another writer opened it meanwhile
		_ = f.Close()
		return old, nil
	}
	s.files[k] = f
	return f, nil
}

// closeContainers closes the kept container descriptors.
func (s *Store) closeContainers() error {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var err error
	for k, f := range s.files {
		err = errors.Join(err, f.Close())
		delete(s.files, k)
	}
	return err
}
