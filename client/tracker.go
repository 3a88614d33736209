package client

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
)

// StorageServer is a storage a tracker handed out.
type StorageServer struct {
	Group          string
	Addr           string // "ip:port"
	StorePathIndex int    // for uploads: the path the tracker chose (store replies only)
}

func storageAddr(ip []byte, port int64) string {
	return net.JoinHostPort(string(ip), strconv.FormatInt(port, 10))
}

// splitFileID cuts "group/M00/..." at the first '/'.
func splitFileID(fileID string) (group, name string, err error) {
	group, name, ok := strings.Cut(fileID, "/")
	if !ok || group == "" || name == "" || len(group) > codec.GroupNameSize {
		return "", "", &codec.Error{Errno: codec.EINVAL, Layout: "file ID", Reason: "malformed file ID " + strconv.Quote(fileID)}
	}
	return group, name, nil
}

// exchange sends a request without content and reads a small reply.
func (cn *conn) exchange(ctx context.Context, cmd, status byte, body []byte, fileID string, maxReply int) ([]byte, error) {
	return cn.Call(ctx, cmd, status, body, nil, 0, fileID, maxReply)
}

// exchangeOwned is exchange for replies the caller keeps: the body is a fresh
// slice, not the connection's buffer.
func (cn *conn) exchangeOwned(ctx context.Context, cmd byte, body []byte, maxReply int) ([]byte, error) {
	b, err := cn.exchange(ctx, cmd, 0, body, "", maxReply)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

func (cn *conn) badReply(cmd byte, err error) error {
	cn.Broken = true
	return &ProtocolError{Op: codec.CmdName(cmd), Addr: cn.Peer, Reason: err.Error()}
}

// QueryStore asks a tracker where to upload: any group when group is "",
// else that group (QUERY_STORE_WITHOUT_GROUP_ONE / _WITH_GROUP_ONE).
func (c *Client) QueryStore(ctx context.Context, group string) (StorageServer, error) {
	var s StorageServer
	err := c.onTracker(ctx, func(cn *conn) error {
		cmd, body := storeRequest(cn, group, codec.CmdQueryStoreWithoutGroupOne, codec.CmdQueryStoreWithGroupOne)
		b, err := cn.exchange(ctx, cmd, 0, body, "", 256)
		if err != nil {
			return err
		}
		var r codec.QueryStoreReply
		if err := r.Decode(b); err != nil {
			return cn.badReply(cmd, err)
		}
		s = StorageServer{Group: string(r.GroupName), Addr: storageAddr(r.IP, r.Port), StorePathIndex: int(r.StorePathIndex)}
		return nil
	})
	return s, err
}

func storeRequest(cn *conn, group string, without, with byte) (byte, []byte) {
	if group == "" {
		return without, nil
	}
	cn.Buf = codec.AppendFixed(cn.Buf[:0], group, codec.GroupNameSize)
	return with, cn.Buf
}

// QueryStoreAll returns every storage the tracker would accept an upload on
// (QUERY_STORE_*_ALL). The store path index applies to the first one.
func (c *Client) QueryStoreAll(ctx context.Context, group string) ([]StorageServer, error) {
	var out []StorageServer
	err := c.onTracker(ctx, func(cn *conn) error {
		cmd, body := storeRequest(cn, group, codec.CmdQueryStoreWithoutGroupAll, codec.CmdQueryStoreWithGroupAll)
		b, err := cn.exchange(ctx, cmd, 0, body, "", 64<<10)
		if err != nil {
			return err
		}
		var r codec.QueryStoreAllReply
		if err := r.Decode(b); err != nil {
			return cn.badReply(cmd, err)
		}
		out = make([]StorageServer, 0, len(r.Servers))
		for i, a := range r.Servers {
			s := StorageServer{Group: string(r.GroupName), Addr: storageAddr(a.IP, a.Port)}
			if i == 0 {
				s.StorePathIndex = int(r.StorePathIndex)
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// QueryFetch asks which storage to read fileID from (QUERY_FETCH_ONE).
func (c *Client) QueryFetch(ctx context.Context, fileID string) (StorageServer, error) {
	return c.queryOne(ctx, codec.CmdQueryFetchOne, fileID)
}

// QueryUpdate asks which storage to change fileID on, its source
// (QUERY_UPDATE): used for delete, metadata, append, modify, truncate.
func (c *Client) QueryUpdate(ctx context.Context, fileID string) (StorageServer, error) {
	return c.queryOne(ctx, codec.CmdQueryUpdate, fileID)
}

func (c *Client) queryOne(ctx context.Context, cmd byte, fileID string) (StorageServer, error) {
	group, name, err := splitFileID(fileID)
	if err != nil {
		return StorageServer{}, err
	}
	var s StorageServer
	err = c.onTracker(ctx, func(cn *conn) error {
		req := codec.QueryFetchRequest{GroupName: []byte(group), Filename: []byte(name)}
		cn.Buf = req.Append(cn.Buf[:0])
		b, err := cn.exchange(ctx, cmd, 0, cn.Buf, fileID, 256)
		if err != nil {
			return err
		}
		var r codec.QueryFetchReply
		if err := r.Decode(b); err != nil {
			return cn.badReply(cmd, err)
		}
		s = StorageServer{Group: string(r.GroupName), Addr: storageAddr(r.IP, r.Port)}
		return nil
	})
	return s, err
}

// QueryFetchAll returns every storage that can serve fileID
// (QUERY_FETCH_ALL), read in the client's dialect (V6.16 by default).
func (c *Client) QueryFetchAll(ctx context.Context, fileID string) ([]StorageServer, error) {
	group, name, err := splitFileID(fileID)
	if err != nil {
		return nil, err
	}
	var out []StorageServer
	err = c.onTracker(ctx, func(cn *conn) error {
		req := codec.QueryFetchRequest{GroupName: []byte(group), Filename: []byte(name)}
		cn.Buf = req.Append(cn.Buf[:0])
		b, err := cn.exchange(ctx, codec.CmdQueryFetchAll, 0, cn.Buf, fileID, 64<<10)
		if err != nil {
			return err
		}
		r := codec.QueryFetchAllReply{Format: c.dialect.FetchAll, IPSize: c.dialect.IPSize}
		if err := r.Decode(b); err != nil {
			return cn.badReply(codec.CmdQueryFetchAll, err)
		}
		out = make([]StorageServer, 0, len(r.Servers))
		for _, a := range r.Servers {
			out = append(out, StorageServer{Group: string(r.GroupName), Addr: storageAddr(a.IP, a.Port)})
		}
		return nil
	})
	return out, err
}

// ListGroups returns every group's stat record (SERVER_LIST_ALL_GROUPS). The
// records own their memory.
func (c *Client) ListGroups(ctx context.Context) ([]codec.GroupStat, error) {
	var out []codec.GroupStat
	err := c.onTracker(ctx, func(cn *conn) error {
		b, err := cn.exchangeOwned(ctx, codec.CmdServerListAllGroups, nil, 8<<20)
		if err != nil {
			return err
		}
		out, err = codec.DecodeGroupStats(nil, b, c.dialect.List)
		if err != nil {
			return cn.badReply(codec.CmdServerListAllGroups, err)
		}
		return nil
	})
	return out, err
}

// ListGroup returns one group's stat record (SERVER_LIST_ONE_GROUP).
func (c *Client) ListGroup(ctx context.Context, group string) (codec.GroupStat, error) {
	var g codec.GroupStat
	err := c.onTracker(ctx, func(cn *conn) error {
		body := codec.AppendFixed(nil, group, codec.GroupNameSize)
		b, err := cn.exchangeOwned(ctx, codec.CmdServerListOneGroup, body, 4096)
		if err != nil {
			return err
		}
		g.Dialect = c.dialect.List
		if err := g.Decode(b); err != nil {
			return cn.badReply(codec.CmdServerListOneGroup, err)
		}
		return nil
	})
	return g, err
}

// ListStorages returns the stat records of a group's storages, or of the one
// with storageID when it is not "" (SERVER_LIST_STORAGE).
func (c *Client) ListStorages(ctx context.Context, group, storageID string) ([]codec.StorageStat, error) {
	var out []codec.StorageStat
	err := c.onTracker(ctx, func(cn *conn) error {
		req := codec.ListStorageRequest{GroupName: []byte(group), StorageID: []byte(storageID)}
		b, err := cn.exchangeOwned(ctx, codec.CmdServerListStorage, req.Append(nil), 8<<20)
		if err != nil {
			return err
		}
		out, err = codec.DecodeStorageStats(nil, b, c.dialect.List)
		if err != nil {
			return cn.badReply(codec.CmdServerListStorage, err)
		}
		return nil
	})
	return out, err
}

// DeleteStorage removes a storage that is not online from every tracker, as
// fdfs_monitor does: first it checks on every tracker that the storage is
// not ONLINE/ACTIVE (EBUSY otherwise), then deletes it everywhere, counting
// ENOENT and EALREADY from a tracker as done.
func (c *Client) DeleteStorage(ctx context.Context, group, storageID string) error {
	err := c.onEveryTracker(ctx, func(addr string, cn *conn) error {
		req := codec.ListStorageRequest{GroupName: []byte(group), StorageID: []byte(storageID)}
		b, err := cn.exchange(ctx, codec.CmdServerListStorage, 0, req.Append(cn.Buf[:0]), "", 1<<20)
		if errors.Is(err, codec.ENOENT) {
			return nil
		}
		if err != nil {
			return err
		}
		stats, err := codec.DecodeStorageStats(nil, b, c.dialect.List)
		if err != nil {
			return cn.badReply(codec.CmdServerListStorage, err)
		}
		for _, s := range stats {
			if s.Status == StatusOnline || s.Status == StatusActive {
				return &StatusError{Op: "SERVER_DELETE_STORAGE", Addr: addr, Status: codec.EBUSY}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.onEveryTracker(ctx, func(addr string, cn *conn) error {
		req := codec.DeleteStorageRequest{GroupName: []byte(group), StorageID: []byte(storageID)}
		_, err := cn.exchange(ctx, codec.CmdServerDeleteStorage, 0, req.Append(cn.Buf[:0]), "", 0)
		if errors.Is(err, codec.ENOENT) || errors.Is(err, codec.EALREADY) {
			return nil
		}
		return err
	})
}

// DeleteGroup removes an empty group from every tracker (SERVER_DELETE_GROUP).
func (c *Client) DeleteGroup(ctx context.Context, group string) error {
	return c.onEveryTracker(ctx, func(addr string, cn *conn) error {
		body := codec.AppendFixed(cn.Buf[:0], group, codec.GroupNameSize)
		_, err := cn.exchange(ctx, codec.CmdServerDeleteGroup, 0, body, "", 0)
		if errors.Is(err, codec.ENOENT) {
			return nil
		}
		return err
	})
}

// Leader returns the "ip:port" of the trackers' leader (SERVER_GET_LEADER).
func (c *Client) Leader(ctx context.Context) (string, error) {
	var leader string
	err := c.onTracker(ctx, func(cn *conn) error {
		b, err := cn.exchange(ctx, codec.CmdServerGetLeader, 0, nil, "", 256)
		if err != nil {
			return err
		}
		var r codec.LeaderReply
		if err := r.Decode(b); err != nil {
			return cn.badReply(codec.CmdServerGetLeader, err)
		}
		leader = string(r.Addr)
		return nil
	})
	return leader, err
}

// Storage statuses as trackers report them (cluster.md §3.1).
const (
	StatusInit      byte = 0
	StatusWaitSync  byte = 1
	StatusSyncing   byte = 2
	StatusIPChanged byte = 3
	StatusDeleted   byte = 4
	StatusOffline   byte = 5
	StatusOnline    byte = 6
	StatusActive    byte = 7
	StatusRecovery  byte = 9
	StatusNone      byte = 99
)
