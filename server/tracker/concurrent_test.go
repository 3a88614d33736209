package tracker

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Clients query on several event loops while storages beat, report and
// reconnect: every answer names a storage that was ACTIVE, and the race
// detector watches the registry.
func TestConcurrentTraffic(t *testing.T) {
	c := startCluster(t, []string{"store_lookup = 0"}, defaultMembers())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	old := fileID("group1", "127.0.0.3", c.clock.Now().Add(-48*time.Hour), false)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 6 {
		wg.Go(func() {
			for i := range 150 {
				var err error
				switch (w + i) % 3 {
				case 0:
					_, err = c.cli.QueryStore(ctx, "")
				case 1:
					_, err = c.cli.QueryFetch(ctx, old)
				default:
					_, err = c.cli.ListGroups(ctx)
				}
				// 127.0.0.5 flaps below: its group may briefly have one
				// writable server, never none, so every query must succeed
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
				if _, _, err := c.peers[ip].try(codec.CmdStorageBeat, nil); err != nil {
					errs <- err
					return
				}
			}
		}
	})
	wg.Go(func() {
		for range 10 {
			p := dialPeer(t, c.srv, "127.0.0.5")
			req := p.joinRequest(c.srv, "group2", false, int8(StatusActive))
			if st, _, err := p.try(codec.CmdStorageJoin, req.Append(nil)); err != nil || st != codec.OK {
				errs <- errors.Join(err, st)
				return
			}
			if _, _, err := p.try(codec.CmdStorageBeat, nil); err != nil {
				errs <- err
				return
			}
			p.conn.Close()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
