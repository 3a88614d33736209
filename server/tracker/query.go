package tracker

import (
	"github.com/gofdfs/gofdfs/codec"
)

// Client queries (client.md §4.1-§4.4): where to upload, download, update.
// These are the hot commands; they decode in place, select under the lock
// and encode straight into the reply buffer without allocating.

func handleQueryStoreWithoutGroupOne(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	return s.queryStore(cs, nil, false, out)
}

func handleQueryStoreWithGroupOne(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.GroupNameRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	return s.queryStore(cs, req.GroupName, false, out)
}

func handleQueryStoreWithoutGroupAll(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	return s.queryStore(cs, nil, true, out)
}

func handleQueryStoreWithGroupAll(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.GroupNameRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	return s.queryStore(cs, req.GroupName, true, out)
}

// queryStore answers 101/104 (one server) and 106/107 (every writable
// server of the chosen group, the path of the first).
func (s *Server) queryStore(cs *connState, groupName []byte, all bool, out []byte) ([]byte, codec.Errno) {
	r := s.reg
	w := s.dialect.IPSize.QueryWidth()
	r.mu.Lock()
	defer r.mu.Unlock()
	g, st := r.storeGroup(groupName)
	if st != codec.OK {
		return out, st
	}
	// the _ALL forms compute the path for the first listed server
	srv := g.writable[0]
	if !all {
		srv = r.storeServer(g)
	}
	path, st := r.storePath(srv)
	if st != codec.OK {
		return out, st
	}
	out = codec.AppendFixedBytes(out, g.nameBytes, codec.GroupNameSize)
	if !all {
		out = codec.AppendFixedBytes(out, srv.ipFor(cs.peerClass), w)
		out = codec.AppendInt64(out, int64(srv.port))
		return append(out, byte(path)), codec.OK
	}
	for _, m := range g.writable {
		out = codec.AppendFixedBytes(out, m.ipFor(cs.peerClass), w)
		out = codec.AppendInt64(out, int64(m.port))
	}
	return append(out, byte(path)), codec.OK
}

func handleQueryFetchOne(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	return s.queryFetch(cs, body, out, false)
}

func handleQueryUpdate(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	return s.queryFetch(cs, body, out, true)
}

// queryFetch answers QUERY_FETCH_ONE (102) and QUERY_UPDATE (103).
func (s *Server) queryFetch(cs *connState, body, out []byte, update bool) ([]byte, codec.Errno) {
	var req codec.QueryFetchRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	fi := parseFetchName(req.Filename)
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(req.GroupName)
	if g == nil {
		return out, codec.ENOENT
	}
	var srv *storage
	var st codec.Errno
	if update {
		srv, st = r.update(g, fi)
	} else {
		srv, st = r.fetchOne(g, fi)
	}
	if st != codec.OK {
		return out, st
	}
	w := s.dialect.IPSize.QueryWidth()
	out = codec.AppendFixedBytes(out, g.nameBytes, codec.GroupNameSize)
	out = codec.AppendFixedBytes(out, srv.ipFor(cs.peerClass), w)
	return codec.AppendInt64(out, int64(srv.port)), codec.OK
}

// handleQueryFetchAll answers QUERY_FETCH_ALL (105): every storage that can
// serve the file, in the configured FETCH_ALL layout.
func handleQueryFetchAll(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.QueryFetchRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	fi := parseFetchName(req.Filename)
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(req.GroupName)
	if g == nil || len(g.readable) == 0 {
		return out, codec.ENOENT
	}
	w := s.dialect.IPSize.QueryWidth()
	oldFormat := s.dialect.FetchAll == codec.FetchAllV6_15
	out = codec.AppendFixedBytes(out, g.nameBytes, codec.GroupNameSize)
	n := 0
	add := func(m *storage) {
		out = codec.AppendFixedBytes(out, m.ipFor(cs.peerClass), w)
		if n == 0 || !oldFormat {
			out = codec.AppendInt64(out, int64(m.port))
		}
		n++
	}
	if fi.kind == codec.KindNormal {
		now := r.unix()
		for _, m := range g.readable {
			if r.canServe(m, fi.fields, now) {
				add(m)
			}
		}
	} else if src := sourceIn(g.readable, fi.fields); src != nil {
		add(src)
	}
	if n == 0 {
		if ss := g.storeServer; ss != nil && ss.canRead() {
			add(ss)
		} else {
			return out, codec.ENOENT
		}
	}
	return out, codec.OK
}
