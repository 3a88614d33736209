package bench

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// replOp measures replication lag black-box: upload through the tracker to
// storage A, and from the moment A acknowledges, poll another storage B of
// the same group directly (DOWNLOAD_FILE, no tracker) until it serves the
// whole file. Each wait is bounded by ReplTimeout; three timeouts in a row
// end the run with a clear message instead of waiting Count times.
type replOp struct {
	files
	mu        sync.Mutex
	peers     map[string][]client.StorageServer // group -> storages, by address
	timeouts  atomic.Int64                      // consecutive
	pollEvery time.Duration
	lags      []time.Duration // per worker, last measured lag
}

const replTimeoutsInARow = 3

func (o *replOp) prepare(ctx context.Context) error {
	o.peers = map[string][]client.StorageServer{}
	o.pollEvery = time.Millisecond
	o.lags = make([]time.Duration, o.cfg.Concurrency)
	return o.files.prepare(ctx)
}

// peersOf lists the other storages of group (asked once per group).
func (o *replOp) peersOf(ctx context.Context, group, source string) ([]client.StorageServer, error) {
	o.mu.Lock()
	all, ok := o.peers[group]
	o.mu.Unlock()
	if !ok {
		stats, err := o.cl.ListStorages(ctx, group, "")
		if err != nil {
			return nil, fmt.Errorf("list storages of %s: %w", group, err)
		}
		for _, s := range stats {
			addr := net.JoinHostPort(string(s.IP), strconv.FormatInt(s.StoragePort, 10))
			all = append(all, client.StorageServer{Group: group, Addr: addr})
		}
		o.mu.Lock()
		o.peers[group] = all
		o.mu.Unlock()
	}
	var out []client.StorageServer
	for _, s := range all {
		if s.Addr != source {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, errAbort{fmt.Errorf("group %s has no storage besides %s: replication lag needs two", group, source)}
	}
	return out, nil
}

func (o *replOp) do(ctx context.Context, w int) (int64, error) {
	st, err := o.cl.QueryStore(ctx, o.cfg.Group)
	if err != nil {
		return 0, err
	}
	peers, err := o.peersOf(ctx, st.Group, st.Addr)
	if err != nil {
		return 0, err
	}
	id, err := o.upload(ctx, w, client.OnStorage(st))
	if err != nil {
		return 0, err
	}
	// the op's latency so far is the upload; the lag starts now
	acked := time.Now()
	peer := peers[0]
	var last error
	for time.Since(acked) < o.cfg.ReplTimeout && ctx.Err() == nil {
		n, err := o.cl.DownloadFrom(ctx, peer, id, o.sinks[w], 0, 0)
		if err == nil && n == o.p.size {
			o.timeouts.Store(0)
			o.lags[w] = time.Since(acked)
			return n, nil
		}
		last = err
		time.Sleep(o.pollEvery)
	}
	err = fmt.Errorf("%s uploaded to %s not readable on %s within %v (last answer: %v)", id, st.Addr, peer.Addr, o.cfg.ReplTimeout, last)
	if o.timeouts.Add(1) >= replTimeoutsInARow {
		return 0, errAbort{fmt.Errorf("%d files in a row never reached the peer (is replication running?): %w", replTimeoutsInARow, err)}
	}
	return 0, err
}

// latency reports the lag of worker w's last operation: what the run
// records for repl instead of the operation's wall time (upload + polling).
func (o *replOp) latency(w int) time.Duration { return o.lags[w] }
