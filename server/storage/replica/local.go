package replica

import (
	"os"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// Local is this storage's files as the pushers read them (LocalFiles):
// plain files and symlinks (sent as links to their target) on the store
// paths, and trunk-resident files through OpenTrunk.
type Local struct {
	Paths []*diskio.StorePath // the store paths, by index
	// OpenTrunk opens the trunk file holding a trunk-resident name and
	// tells where the name's content lies in it.
	OpenTrunk func(logic []byte) (f *os.File, offset, size int64, err error)
}

func (l *Local) ref(logic []byte) (*codec.RemoteFilename, diskio.FileRef, error) {
	rf, err := codec.ParseRemoteFilename(logic, len(l.Paths))
	if err != nil {
		return nil, diskio.FileRef{}, err
	}
	return &rf, diskio.FileRef{High: int(rf.High), Low: int(rf.Low), Name: string(rf.Name)}, nil
}

// Exists reports whether the name is a file (or link) here now.
func (l *Local) Exists(logic []byte) bool {
	rf, ref, err := l.ref(logic)
	if err != nil {
		return false
	}
	_, err = l.Paths[rf.StorePath].Lstat(ref)
	return err == nil
}

// Open resolves a name to its content or its link target.
func (l *Local) Open(logic []byte) (LocalFile, error) {
	rf, ref, err := l.ref(logic)
	if err != nil {
		return LocalFile{}, err
	}
	if len(ref.Name) == codec.B64PartLen+codec.TrunkPartLen+codec.Ext7Len && isTrunkName(rf) {
		f, off, n, err := l.OpenTrunk(logic)
		if err != nil {
			return LocalFile{}, err
		}
		return LocalFile{File: f, Offset: off, Size: n}, nil
	}
	disk := l.Paths[rf.StorePath]
	lst, err := disk.Lstat(ref)
	if err != nil {
		return LocalFile{}, err
	}
	if lst.IsSymlink() {
		target, err := disk.LinkTarget(ref)
		if err != nil {
			return LocalFile{}, err
		}
		return LocalFile{LinkTarget: target.AppendLogic(nil, rf.StorePath)}, nil
	}
	f, st, err := disk.OpenRead(ref)
	if err != nil {
		return LocalFile{}, err
	}
	return LocalFile{File: f, Size: st.Size}, nil
}

// isTrunkName: a name whose size field carries the trunk flag.
func isTrunkName(rf *codec.RemoteFilename) bool {
	f, err := rf.Fields()
	return err == nil && rf.Kind(f) == codec.KindTrunk
}
