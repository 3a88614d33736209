package report

import (
	"fmt"
	"strconv"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// lookUpOwnID finds this storage's id in the trackers' storage_ids.conf
// (FETCH_STORAGE_IDS, 69): the entry of our group with our IP and our port
// (or no port). It is what a C storage does when use_storage_id is on and
// storage.conf names no server_id; peers then know us by that id (JOIN,
// member lists, SYNC_SRC_REQ, mark files <id>.mark).
func (r *Reporter) lookUpOwnID(c *peercall.Conn) (string, error) {
	ip, ok := r.cfg.Host.MyIP()
	if !ok {
		return "", fmt.Errorf("own IP unknown (GET_MY_IP not answered)")
	}
	var start int32
	for range 32 { // C's bound on the rounds
		req := codec.FetchStorageIDsRequest{StartIndex: start}
		st, reply, err := r.exchange(c, codec.CmdStorageFetchStorageIDs, req.Append(nil), 256<<10)
		if err != nil {
			return "", fmt.Errorf("FETCH_STORAGE_IDS: %w", err)
		}
		if st != codec.OK {
			return "", fmt.Errorf("FETCH_STORAGE_IDS to %s: status %d", c.Peer, st)
		}
		var rep codec.FetchStorageIDsReply
		if err := rep.Decode(reply); err != nil {
			return "", fmt.Errorf("FETCH_STORAGE_IDS from %s: %w", c.Peer, err)
		}
		for line, err := range rep.Lines() {
			if err != nil {
				return "", fmt.Errorf("FETCH_STORAGE_IDS from %s: %w", c.Peer, err)
			}
			if string(line.GroupName) != string(r.cfg.Group) || line.Port != 0 && line.Port != r.port {
				continue
			}
			if string(line.IP) == ip.String() || string(line.IP2) == ip.String() {
				return string(line.ID), nil
			}
		}
		start += rep.Count
		if rep.Count == 0 || start >= rep.Total {
			break
		}
	}
	return "", fmt.Errorf("no entry for group %s, %s port %s in storage_ids of %s", r.cfg.Group, ip, strconv.Itoa(r.port), c.Peer)
}
