package tracker

import (
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Selection policies of cluster.md §5. Every function here runs under the
// registry's mutex and allocates nothing: they are the query path.

// storeGroup picks the group to upload to (store_lookup); name is the group
// of a _WITH_GROUP query, or nil.
func (r *registry) storeGroup(name []byte) (*group, codec.Errno) {
	rs := r.cfg.ReservedStorageSpace
	if name != nil {
		g := r.group(name)
		if g == nil || len(g.writable) == 0 {
			return nil, codec.ENOENT
		}
		if !g.hasSpace(rs) {
			return nil, codec.ENOSPC
		}
		return g, codec.OK
	}
	if len(r.sorted) == 0 {
		return nil, codec.ENOENT
	}
	if r.cfg.StoreLookup == conf.StoreLookupSpecGroup {
		g := r.groups[r.cfg.StoreGroup]
		if g == nil || len(g.writable) == 0 {
			return nil, codec.ENOENT
		}
		if !g.hasSpace(rs) {
			return nil, codec.ENOSPC
		}
		return g, codec.OK
	}
	n := len(r.sorted)
	if r.currentWriteGroup >= n {
		r.currentWriteGroup = 0
	}
	found, anyWritable := -1, false
	// the current group, then the following ones, then the preceding ones
	for k := range n {
		i := (r.currentWriteGroup + k) % n
		g := r.sorted[i]
		if len(g.writable) == 0 {
			continue
		}
		anyWritable = true
		if g.hasSpace(rs) {
			found = i
			break
		}
	}
	if found < 0 {
		if anyWritable {
			return nil, codec.ENOSPC
		}
		return nil, codec.ENOENT
	}
	r.currentWriteGroup = found
	if r.cfg.StoreLookup == conf.StoreLookupRoundRobin {
		r.currentWriteGroup = (found + 1) % n
	}
	return r.sorted[found], codec.OK
}

// storeServer picks the storage of g to upload to (store_server); g has
// writable servers.
func (r *registry) storeServer(g *group) *storage {
	switch r.cfg.StoreServer {
	case conf.StoreServerFirstByIP:
		return g.writable[0]
	case conf.StoreServerFirstByPri:
		return g.storeServer
	}
	if len(g.writable) == 1 {
		return g.writable[0]
	}
	if g.currentWriteServer >= len(g.writable) {
		g.currentWriteServer = 0
	}
	s := g.writable[g.currentWriteServer]
	g.currentWriteServer = (g.currentWriteServer + 1) % len(g.writable)
	return s
}

// storePath picks the store path of s to upload to (store_path); ENOSPC
// when no path has room above the reserve.
func (r *registry) storePath(s *storage) (int, codec.Errno) {
	n := len(s.paths)
	if n == 0 {
		return 0, codec.ENOSPC // no disk report yet: no known free space
	}
	rs := r.cfg.ReservedStorageSpace
	start := s.currentWritePath
	if start < 0 || start >= n {
		start = 0
	}
	for k := range n {
		i := (start + k) % n
		if pathHasSpace(rs, s.paths[i], n) {
			s.currentWritePath = i
			if r.cfg.StorePath == conf.StorePathRoundRobin {
				s.currentWritePath = (i + 1) % n
			}
			return i, codec.OK
		}
	}
	return 0, codec.ENOSPC
}

// fileInfo is what the tracker reads from a remote filename.
type fileInfo struct {
	fields codec.NameFields
	kind   codec.FileKind
}

// parseFetchName decodes the name fields after "Mxx/HH/HH/" the way C does
// (leniently: the tracker routes, the storage validates).
func parseFetchName(name []byte) fileInfo {
	var b64 []byte
	if len(name) > codec.LogicPathLen {
		b64 = name[codec.LogicPathLen:min(len(name), codec.LogicPathLen+codec.B64PartLen)]
	}
	f := codec.DecodeNameFieldsC(b64)
	return fileInfo{fields: f, kind: codec.ClassifyName(len(name), f)}
}

// canServe is §4.9's test whether replica s already has the normal file f.
func (r *registry) canServe(s *storage, f codec.NameFields, now int64) bool {
	if s.isSource(f) {
		return true
	}
	t := int64(f.Timestamp)
	maxDelay := int64(r.cfg.StorageSyncFileMaxDelay.Seconds())
	maxTime := int64(r.cfg.StorageSyncFileMaxTime.Seconds())
	synced := s.lastSynced()
	return t < now-maxDelay || synced > t || synced+1 >= t && now-t > maxTime
}

// sourceIn returns the member of list that created the file, or nil.
func sourceIn(list []*storage, f codec.NameFields) *storage {
	for _, s := range list {
		if s.isSource(f) {
			return s
		}
	}
	return nil
}

// fetchOne picks the storage to download a file from (QUERY_FETCH_ONE).
func (r *registry) fetchOne(g *group, fi fileInfo) (*storage, codec.Errno) {
	if len(g.readable) == 0 {
		return nil, codec.ENOENT
	}
	if fi.kind != codec.KindNormal || r.cfg.DownloadServer == conf.DownloadServerSourceFirst {
		if s := sourceIn(g.readable, fi.fields); s != nil {
			return s, codec.OK
		}
	}
	if fi.kind == codec.KindNormal {
		now := r.unix()
		n := len(g.readable)
		start := g.currentReadServer
		if start >= n {
			start = 0
		}
		for k := range n {
			i := (start + k) % n
			if s := g.readable[i]; r.canServe(s, fi.fields, now) {
				g.currentReadServer = (i + 1) % n
				return s, codec.OK
			}
		}
	}
	if s := g.storeServer; s != nil && s.canRead() {
		return s, codec.OK
	}
	return nil, codec.ENOENT
}

// update picks the storage to change a file on (QUERY_UPDATE): its source
// when writable, else any writable server by store_server.
func (r *registry) update(g *group, fi fileInfo) (*storage, codec.Errno) {
	if len(g.writable) == 0 {
		return nil, codec.ENOENT
	}
	if s := sourceIn(g.writable, fi.fields); s != nil {
		return s, codec.OK
	}
	return r.storeServer(g), codec.OK
}
