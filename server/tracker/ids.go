package tracker

import (
	"net"
	"strconv"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Storage-id commands (cluster.md §1.8): FETCH_STORAGE_IDS (69),
// GET_SERVER_ID (70), GET_STATUS (71), GET_GROUP_NAME (109). A storage
// configured with use_storage_id cannot start without 69.

// idsPageReserve: C stops adding lines when fewer than 128 bytes of its send
// buffer remain.
const idsPageReserve = 128

func handleFetchStorageIDs(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.FetchStorageIDsRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	if req.Short {
		return out, codec.EINVAL // the V6.10 form: C rejects it since V6.11
	}
	ids := s.cfg.StorageIDs
	if !s.cfg.UseStorageID || ids == nil {
		if req.AllowEmpty {
			return append(out, 0, 0, 0, 0, 0, 0, 0, 0), codec.OK
		}
		return out, codec.EOPNOTSUPP
	}
	total := len(ids.Entries)
	if int(req.StartIndex) >= total {
		return out, codec.EINVAL
	}
	head := len(out)
	out = codec.AppendInt32(out, int32(total))
	out = codec.AppendInt32(out, 0)
	limit := head + int(s.maxBody) - idsPageReserve
	count := 0
	for i := int(req.StartIndex); i < total && len(out) < limit; i++ {
		e := &ids.Entries[i]
		line := codec.StorageIDLine{ID: []byte(e.ID), GroupName: []byte(e.Group), Port: e.Port,
			RWMode: wireRWMode(e.RW)}
		addrs := e.IPs
		if len(addrs) == 0 {
			addrs = e.Hosts
		}
		if len(addrs) > 0 {
			line.IP = []byte(addrs[0])
		}
		if len(addrs) > 1 {
			line.IP2 = []byte(addrs[1])
		}
		out = append(line.Append(out), '\n')
		count++
	}
	codec.PutInt32(out[head+4:], int32(count))
	return out, codec.OK
}

// lookupAddr finds the storage-id entry of group at "ip:port".
func (s *Server) lookupAddr(group, addr []byte) (*conf.StorageID, string, int, bool) {
	host, portText, err := net.SplitHostPort(string(addr))
	if err != nil {
		return nil, "", 0, false
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, "", 0, false
	}
	if !s.cfg.UseStorageID || s.cfg.StorageIDs == nil {
		return nil, host, port, true
	}
	e := s.cfg.StorageIDs.ByAddr(host, port)
	if e == nil || e.Group != string(group) {
		return nil, host, port, false
	}
	return e, host, port, true
}

func handleGetServerID(s *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.StorageLookupRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	e, host, _, ok := s.lookupAddr(req.Group, req.Addr)
	if !ok {
		return out, codec.ENOENT
	}
	if e != nil {
		return append(out, e.ID...), codec.OK
	}
	return append(out, host...), codec.OK // without ids the IP is the id
}

func handleGetStatus(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.StorageLookupRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	e, host, _, ok := s.lookupAddr(req.Group, req.Addr)
	if !ok {
		return out, codec.ENOENT
	}
	id := host
	if e != nil {
		id = e.ID
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.group(req.Group)
	if g == nil {
		return out, codec.ENOENT
	}
	m := g.find(id)
	if m == nil {
		return out, codec.ENOENT
	}
	b := m.brief(cs.peerClass)
	return b.Append(out), codec.OK
}

func handleGetGroupName(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.GetGroupNameRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	if !s.cfg.UseStorageID || s.cfg.StorageIDs == nil {
		return out, codec.EOPNOTSUPP
	}
	ip := cs.peer
	if req.IP != nil {
		ip = string(codec.FixedBytes(req.IP))
	}
	e := s.cfg.StorageIDs.ByAddr(ip, int(req.Port))
	if e == nil {
		return out, codec.ENOENT
	}
	reply := codec.GetGroupNameReply{Group: []byte(e.Group)}
	return reply.Append(out), codec.OK
}
