package client

import (
	"context"
	"errors"

	"github.com/gofdfs/gofdfs/codec"
)

// TrackerClusterStat lists the trackers as their leader sees them
// (SERVER_TRACKER_CLUSTER_STAT, V6.15.5+). Only the leader answers it: a
// follower's EOPNOTSUPP sends the request on to the leader it names
// (SERVER_GET_LEADER), as the C client does. The records own their memory.
func (c *Client) TrackerClusterStat(ctx context.Context, filter codec.TrackerClusterStatRequest) ([]codec.TrackerStat, error) {
	var rep codec.TrackerClusterStatReply
	ask := func(cn *conn) error {
		b, err := cn.exchangeOwned(ctx, codec.CmdServerTrackerClusterStat, filter.Append(nil), maxSmallBody)
		if err != nil {
			return err
		}
		if err := rep.Decode(b); err != nil {
			return cn.badReply(codec.CmdServerTrackerClusterStat, err)
		}
		return nil
	}
	err := c.onTracker(ctx, ask)
	if !errors.Is(err, codec.EOPNOTSUPP) {
		return rep.Trackers, err
	}
	leader, lerr := c.Leader(ctx)
	if lerr != nil {
		return nil, errors.Join(err, lerr)
	}
	if err := c.on(ctx, leader, ask); err != nil {
		return nil, err
	}
	return rep.Trackers, nil
}

// StorageClusterStat lists every storage of every group, groups by name and
// storages by id (SERVER_STORAGE_CLUSTER_STAT, V6.16.0+). The reply also
// says whether the cluster uses storage ids and trunk files.
func (c *Client) StorageClusterStat(ctx context.Context, filter codec.StorageClusterStatRequest) (codec.StorageClusterStatReply, error) {
	var rep codec.StorageClusterStatReply
	err := c.onTracker(ctx, func(cn *conn) error {
		b, err := cn.exchangeOwned(ctx, codec.CmdServerStorageClusterStat, filter.Append(nil), maxSmallBody)
		if err != nil {
			return err
		}
		if err := rep.Decode(b); err != nil {
			return cn.badReply(codec.CmdServerStorageClusterStat, err)
		}
		return nil
	})
	return rep, err
}

// VolumeStat reports each group's space (SERVER_STORAGE_VOLUMN_STAT,
// V6.16.0+; "volumn" is C's spelling).
func (c *Client) VolumeStat(ctx context.Context, filter codec.VolumeStatRequest) (codec.VolumeStatReply, error) {
	var rep codec.VolumeStatReply
	err := c.onTracker(ctx, func(cn *conn) error {
		b, err := cn.exchangeOwned(ctx, codec.CmdServerStorageVolumnStat, filter.Append(nil), maxSmallBody)
		if err != nil {
			return err
		}
		if err := rep.Decode(b); err != nil {
			return cn.badReply(codec.CmdServerStorageVolumnStat, err)
		}
		return nil
	})
	return rep, err
}

// SetTrunkServer makes storageID the trunk server of group, or with
// storageID "" has the leader keep or elect one, and returns the trunk
// server's id (SERVER_SET_TRUNK_SERVER). Only the leader tracker does it:
// the trackers are asked in turn until one does not answer EOPNOTSUPP, as
// the C client does.
func (c *Client) SetTrunkServer(ctx context.Context, group, storageID string) (string, error) {
	var id string
	var errs []error
	for _, addr := range c.trackers {
		err := c.on(ctx, addr, func(cn *conn) error {
			req := codec.SetTrunkServerRequest{GroupName: []byte(group), StorageID: []byte(storageID)}
			b, err := cn.exchange(ctx, codec.CmdServerSetTrunkServer, 0, req.Append(cn.Buf[:0]), "", 64)
			if err != nil {
				return err
			}
			var r codec.SetTrunkServerReply
			if err := r.Decode(b); err != nil {
				return cn.badReply(codec.CmdServerSetTrunkServer, err)
			}
			id = string(r.StorageID)
			return nil
		})
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, codec.EOPNOTSUPP) && !isFailover(err) {
			return "", err
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	// every tracker refused or was unreachable: report the last answer, as C
	return "", errs[len(errs)-1]
}
