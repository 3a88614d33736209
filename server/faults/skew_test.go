package faults

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/internal/testcluster"
)

// skewMember is one storage of TestClockSkew and the clock offset it runs
// with (GOFDFS_CLOCK_OFFSET: Go reads the clock through the vDSO, so it
// cannot be skewed from outside the process).
type skewMember struct {
	d      *daemon
	offset time.Duration
	st     client.StorageServer
}

// skewStats counts what TestClockSkew's checks saw.
type skewStats struct {
	misrouted  atomic.Int64 // QUERY_FETCH named a storage that could not serve the file right after its upload
	badStamp   atomic.Int64 // a file name's timestamp not on its source's clock
	notActive  atomic.Int64 // a member seen in another state than ACTIVE under load
	fetchCheck atomic.Int64
}

// TestClockSkew runs a group of three storages whose clocks disagree (one
// 90 s ahead, one 90 s behind, the tracker and the third on time) under
// uploads of every kind to every member. No acknowledged file may be lost
// or corrupt, the replicas must converge, QUERY_FETCH must never name a
// replica that lacks a file, no member may be taken OFFLINE by the skew,
// and each file name must carry its source's own clock.
func TestClockSkew(t *testing.T) {
	parallelWhenShort(t)
	c := newCluster(t)
	c.addTracker("127.0.14.1")
	port := testcluster.Shared(t, "127.0.14.2", "127.0.14.3", "127.0.14.4") // free on every member's address
	offsets := []time.Duration{0, 90 * time.Second, -90 * time.Second}
	var members []*skewMember
	var sts []*daemon
	for i, off := range offsets {
		ip := net.IPv4(127, 0, 14, byte(2+i)).String()
		var env []string
		if off != 0 {
			env = []string{"GOFDFS_CLOCK_OFFSET=" + off.String()}
		}
		d := c.addStorage(storageSpec{ip: ip, port: port, env: env})
		sts = append(sts, d)
		members = append(members, &skewMember{d: d, offset: off,
			st: client.StorageServer{Group: "group1", Addr: d.Addr, StorePathIndex: -1}})
	}
	c.waitStable("group1", len(members), 2*time.Second)
	cl := c.client()

	phase := 4 * time.Second
	if *fullRun {
		phase = 45 * time.Second
	}
	l := ledger{log: t}
	var st skewStats
	ctx, cancel := context.WithTimeout(context.Background(), phase)
	defer cancel()
	var wg sync.WaitGroup
	for i, m := range members {
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				skewWorker(ctx, t, cl, m, &l, &st, rand.New(rand.NewPCG(uint64(i), uint64(w))))
			}()
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchActive(ctx, t, c, len(members), &st)
	}()
	wg.Wait()

	files, ops, fails := l.snapshot()
	took, missing, corrupt := waitConverged(t, sts, files, 60*time.Second)
	results.add(row{Scenario: "clock skew +90 s / -90 s", Ops: ops, Failures: fails, Lost: missing, Corrupt: corrupt,
		Converge: took, Note: fmt.Sprintf("%d files x 3 replicas; %d fetch checks, %d misrouted, %d bad stamps, %d non-ACTIVE; %s",
			len(files), st.fetchCheck.Load(), st.misrouted.Load(), st.badStamp.Load(), st.notActive.Load(), l.kinds())})
	if len(files) == 0 {
		t.Fatal("no upload acknowledged")
	}
	if missing+corrupt > 0 {
		t.Errorf("%d missing, %d corrupt replicas of %d files", missing, corrupt, len(files))
	}
	if n := st.misrouted.Load(); n > 0 {
		t.Errorf("QUERY_FETCH named a storage without the file %d times of %d", n, st.fetchCheck.Load())
	}
	if n := st.badStamp.Load(); n > 0 {
		t.Errorf("%d file names not stamped with their source's clock", n)
	}
	if n := st.notActive.Load(); n > 0 {
		t.Errorf("members seen not ACTIVE %d times under load", n)
	}
}

// skewWorker uploads to m until ctx ends: normal files, appender files
// that then grow, and slave files of its masters. After each normal
// upload it downloads the file from the storage QUERY_FETCH names.
func skewWorker(ctx context.Context, t *testing.T, cl *client.Client, m *skewMember, l *ledger, st *skewStats, rng *rand.Rand) {
	var masters []string
	for ctx.Err() == nil {
		if !*fullRun {
			time.Sleep(10 * time.Millisecond)
		}
		size := rng.IntN(4 << 10)
		if rng.IntN(5) == 0 {
			size = rng.IntN(200 << 10)
		}
		body := payload(rng, size)
		// not under ctx: its end must not cut the operations in flight
		cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		kind := rng.IntN(4)
		if kind == 3 && len(masters) == 0 {
			kind = 0
		}
		before := time.Now()
		var id string
		var err error
		whole := body
		switch kind {
		case 0, 1: // normal
			id, err = cl.Upload(cctx, bytes.NewReader(body), int64(len(body)), "bin", client.OnStorage(m.st))
		case 2: // appender, then an append
			id, err = cl.UploadAppender(cctx, bytes.NewReader(body), int64(len(body)), "log", client.OnStorage(m.st))
			if err == nil {
				more := payload(rng, 1+rng.IntN(2<<10))
				if err = cl.Append(cctx, id, bytes.NewReader(more), int64(len(more))); err == nil {
					whole = append(append([]byte(nil), body...), more...)
				} else {
					// acknowledged as uploaded: it must stay with its first bytes
					l.ack(sent{id: id, crc: crc32.ChecksumIEEE(body), size: int64(len(body))})
				}
			}
		case 3: // slave of one of our masters
			master := masters[rng.IntN(len(masters))]
			id, err = cl.UploadSlave(cctx, master, fmt.Sprintf("_s%d", rng.IntN(1<<30)), "bin",
				bytes.NewReader(body), int64(len(body)))
		}
		after := time.Now()
		if err != nil {
			cancel()
			l.fail(err)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		f := sent{id: id, crc: crc32.ChecksumIEEE(whole), size: int64(len(whole))}
		l.ack(f)
		if kind != 3 {
			checkStamp(t, m, id, before, after, st)
		}
		if kind <= 1 {
			if len(masters) < 20 {
				masters = append(masters, id)
			}
			checkFetch(cctx, t, cl, f, st)
		}
		cancel()
	}
}

// checkStamp wants the timestamp in id's name within the upload's span on
// m's clock (a second of slack each side: names carry whole seconds).
func checkStamp(t *testing.T, m *skewMember, id string, before, after time.Time, st *skewStats) {
	nf, err := idFields(id)
	if err != nil {
		st.badStamp.Add(1)
		t.Logf("%s: %v", id, err)
		return
	}
	ts := int64(nf.Timestamp)
	lo, hi := before.Add(m.offset).Unix()-1, after.Add(m.offset).Unix()+1
	if ts < lo || ts > hi {
		if st.badStamp.Add(1) <= 3 {
			t.Logf("%s from %s (clock %+v): name time %d outside %d..%d", id, m.d.Addr, m.offset, ts, lo, hi)
		}
	}
}

// checkFetch downloads f from the storage QUERY_FETCH names for it.
func checkFetch(ctx context.Context, t *testing.T, cl *client.Client, f sent, st *skewStats) {
	if f.size == 0 {
		return // a 0-byte file cannot be downloaded (EINVAL)
	}
	st.fetchCheck.Add(1)
	where, err := cl.QueryFetch(ctx, f.id)
	if err != nil {
		if st.misrouted.Add(1) <= 3 {
			t.Logf("QUERY_FETCH %s: %v", f.id, err)
		}
		return
	}
	var buf bytes.Buffer
	_, err = cl.DownloadFrom(ctx, where, f.id, &buf, 0, 0)
	if err == nil && (crc32.ChecksumIEEE(buf.Bytes()) != f.crc || int64(buf.Len()) != f.size) {
		err = fmt.Errorf("%d bytes crc32 %08x, sent %d bytes crc32 %08x", buf.Len(),
			crc32.ChecksumIEEE(buf.Bytes()), f.size, f.crc)
	}
	if err != nil {
		if st.misrouted.Add(1) <= 3 {
			t.Logf("QUERY_FETCH sent %s to %s right after the upload: %v", f.id, where.Addr, err)
		}
	}
}

// watchActive polls the tracker twice a second and counts members it
// lists in another state than ACTIVE.
func watchActive(ctx context.Context, t *testing.T, c *cluster, n int, st *skewStats) {
	for ctx.Err() == nil {
		one, err := client.New(client.Config{Trackers: []string{c.Trackers[0].Addr}, ConnectTimeout: time.Second,
			NetworkTimeout: 2 * time.Second, MaxIdlePerServer: -1})
		if err != nil {
			t.Error(err)
			return
		}
		sts, err := one.ListStorages(ctx, "group1", "")
		one.Close()
		if err == nil {
			active := 0
			for _, s := range sts {
				if s.Status == activeStatus {
					active++
				} else if st.notActive.Add(1) <= 3 {
					t.Logf("%s: status %d under clock skew", s.ID, s.Status)
				}
			}
			if active < n && len(sts) < n {
				st.notActive.Add(int64(n - len(sts)))
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}
