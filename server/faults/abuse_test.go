package faults

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// frame is a raw packet: a header with any length, command and status, and
// a body that need not match it.
func frame(bodyLen int64, cmd, status byte, body []byte) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(bodyLen))
	b = append(b, cmd, status)
	return append(b, body...)
}

// exchangeRaw writes out on a fresh connection and reads what comes back
// until the server closes or wait passes.
func exchangeRaw(addr string, out []byte, wait time.Duration) (reply []byte, closed bool, err error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	if _, err := c.Write(out); err != nil {
		return nil, true, nil // the server may close before reading it all
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	reply, err = io.ReadAll(io.LimitReader(c, 1<<20))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return reply, false, nil
	}
	return reply, true, nil
}

// prober checks, from its own client, that a server keeps serving while
// others abuse it: ACTIVE_TEST on a fresh connection and, for a storage, an
// upload that must come back intact.
type prober struct {
	t        *testing.T
	cl       *client.Client
	addr     string
	storage  *client.StorageServer
	l        ledger
	attempts atomic.Int64
}

func (p *prober) probe(ctx context.Context, rng *rand.Rand) {
	p.attempts.Add(1)
	if err := p.cl.ActiveTest(ctx, p.addr); err != nil {
		if ctx.Err() == nil {
			p.l.fail(fmt.Errorf("ACTIVE_TEST %s: %w", p.addr, err))
		}
		return
	}
	if p.storage != nil {
		_, _ = uploadOne(ctx, p.cl, &p.l, payload(rng, 1+rng.IntN(100<<10)), client.OnStorage(*p.storage))
	}
}

// run probes every 20 ms until ctx ends.
func (p *prober) run(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(7, 7))
		for ctx.Err() == nil {
			p.probe(ctx, rng)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return &wg
}

// attack is one kind of malformed traffic and what the server must do.
type attack struct {
	name string
	out  []byte
	// wantClosed: the server must close the connection (within 5 s).
	wantClosed bool
	// check judges the reply bytes, if set.
	check func(reply []byte) error
}

func statusReply(want codec.Errno) func([]byte) error {
	return func(reply []byte) error {
		if len(reply) < codec.HeaderSize {
			return fmt.Errorf("reply %x, want a header with status %d", reply, want)
		}
		h, err := codec.DecodeHeader(reply)
		if err != nil || h.Status != byte(want) {
			return fmt.Errorf("reply header %+v (%v), want status %d", h, err, want)
		}
		return nil
	}
}

func commonAttacks(rng *rand.Rand) []attack {
	junk := payload(rng, 4096)
	return []attack{
		{name: "negative pkg_len", out: frame(-1, codec.CmdActiveTest, 0, nil), wantClosed: true},
		{name: "pkg_len min int64", out: frame(-1<<63, codec.CmdActiveTest, 0, nil), wantClosed: true},
		{name: "huge pkg_len, query", out: frame(1<<62, codec.CmdQueryFileInfo, 0, []byte("x")), wantClosed: true},
		{name: "unknown cmd 250", out: frame(0, 250, 0, nil), check: statusReply(codec.EINVAL)},
		{name: "unknown cmd 0 with body", out: frame(5, 0, 0, []byte("hello")), check: statusReply(codec.EINVAL)},
		{name: "ACTIVE_TEST then junk", out: append(frame(0, codec.CmdActiveTest, 0, nil), junk...),
			wantClosed: true, check: statusReply(codec.OK)},
		{name: "random bytes", out: junk, wantClosed: true},
		{name: "truncated body", out: frame(100, codec.CmdQueryFileInfo, 0, []byte("group1"))},
		{name: "status byte set in request", out: frame(0, codec.CmdActiveTest, 99, nil), check: statusReply(codec.OK)},
	}
}

func storageAttacks(rng *rand.Rand) []attack {
	upload := func(size int64, pathIdx byte) []byte {
		body := []byte{pathIdx}
		body = binary.BigEndian.AppendUint64(body, uint64(size))
		body = append(body, "bin\x00\x00\x00"...)
		return body
	}
	return []attack{
		// refused for room before the body: answered, and the connection
		// drains the body (1 TiB will not come: it stays open)
		{name: "upload: 1 TiB file, short body", out: frame(15+1<<40, codec.CmdUploadFile, 0, upload(1<<40, 0)),
			check: statusReply(codec.ENOSPC)},
		{name: "upload: size larger than pkg_len", out: frame(15+10, codec.CmdUploadFile, 0,
			append(upload(1<<20, 0), make([]byte, 10)...)), wantClosed: true},
		{name: "upload: negative file size", out: frame(15, codec.CmdUploadFile, 0, upload(-5, 0)), wantClosed: true},
		{name: "upload: store path 9 of 1", out: frame(15+4, codec.CmdUploadFile, 0, append(upload(4, 9), "abcd"...)),
			wantClosed: true, check: statusReply(codec.EINVAL)},
		{name: "download: body too short", out: frame(3, codec.CmdDownloadFile, 0, []byte("abc")), wantClosed: true},
		{name: "pipelined uploads then junk", out: append(append(frame(15+4, codec.CmdUploadFile, 0,
			append(upload(4, 0), "abcd"...)), frame(15+4, codec.CmdUploadFile, 0, append(upload(4, 0), "efgh"...))...),
			payload(rng, 100)...), wantClosed: true},
	}
}

// TestMalformedFrames sends every kind of malformed frame, many times and
// from many connections at once, to a live tracker and a live storage, and
// holds slowloris connections open on both, while a prober keeps using
// them: it must see no failure, and neither daemon may die.
func TestMalformedFrames(t *testing.T) {
	parallelWhenShort(t)
	c := newCluster(t)
	tr := c.addTracker("127.0.10.4", "network_timeout = 3")
	st := c.addStorage(storageSpec{ip: "127.0.10.5", extra: []string{"network_timeout = 3"}})
	c.waitActive("group1", 1)
	cl := c.client()
	rng := rand.New(rand.NewPCG(5, 5))

	ss := client.StorageServer{Group: "group1", Addr: st.Addr}
	probes := []*prober{{t: t, cl: cl, addr: tr.Addr}, {t: t, cl: cl, addr: st.Addr, storage: &ss}}
	for _, p := range probes {
		p.l.log = t
	}
	ctx, cancel := context.WithCancel(context.Background())
	var waits []*sync.WaitGroup
	for _, p := range probes {
		waits = append(waits, p.run(ctx))
	}

	// slowloris: a header trickled one byte every 200 ms on 100
	// connections per server; both must cut them after their
	// network_timeout (3 s), and neither may stop serving the prober
	// meanwhile
	var slow sync.WaitGroup
	var storageCut, trackerCut atomic.Int64
	slowN := 100
	for _, d := range []*daemon{tr, st} {
		for range slowN {
			slow.Add(1)
			go func() {
				defer slow.Done()
				conn, err := net.DialTimeout("tcp", d.Addr, 5*time.Second)
				if err != nil {
					t.Errorf("slowloris dial %s: %v", d.Addr, err)
					return
				}
				defer conn.Close()
				hdr := frame(200, codec.CmdQueryFileInfo, 0, nil)
				for i := 0; i < 40 && ctx.Err() == nil; i++ {
					if _, err := conn.Write(hdr[i%len(hdr) : i%len(hdr)+1]); err != nil {
						if d == st {
							storageCut.Add(1)
						} else {
							trackerCut.Add(1)
						}
						return
					}
					time.Sleep(200 * time.Millisecond)
				}
			}()
		}
	}

	attacks := 0
	rounds := 3
	if *fullRun {
		rounds = 8
	}
	for round := range rounds {
		for _, target := range []struct {
			d   *daemon
			set []attack
		}{{tr, commonAttacks(rng)}, {st, append(commonAttacks(rng), storageAttacks(rng)...)}} {
			var wg sync.WaitGroup
			for _, a := range target.set {
				wg.Add(1)
				go func() {
					defer wg.Done()
					wait := time.Second
					if a.wantClosed {
						wait = 5 * time.Second
					}
					reply, closed, err := exchangeRaw(target.d.Addr, a.out, wait)
					if round == 0 && testing.Verbose() {
						t.Logf("%s %q: reply %x closed %v", target.d.Prog, a.name, reply[:min(len(reply), 20)], closed)
					}
					if err != nil {
						t.Errorf("%s %q: %v", target.d.Prog, a.name, err)
						return
					}
					if a.wantClosed && !closed {
						t.Errorf("%s %q: connection still open after 5 s (reply %x)", target.d.Prog, a.name, reply)
					}
					if a.check != nil && round == 0 {
						if err := a.check(reply); err != nil {
							t.Errorf("%s %q: %v", target.d.Prog, a.name, err)
						}
					}
				}()
				attacks++
			}
			wg.Wait()
		}
	}
	slow.Wait()
	cancel()
	for _, w := range waits {
		w.Wait()
	}
	for _, d := range []*daemon{tr, st} {
		if !d.Running() {
			t.Fatalf("%s died under malformed frames:\n%s", d.Prog, d.LogTail(4000))
		}
	}
	if n := storageCut.Load(); n < int64(slowN) {
		t.Errorf("storage cut %d of %d slowloris connections within 8 s (network_timeout 3 s)", n, slowN)
	}
	if n := trackerCut.Load(); n < int64(slowN) {
		t.Errorf("tracker cut %d of %d slowloris connections within 8 s (network_timeout 3 s)", n, slowN)
	}
	var ops, fails int64
	var files []sent
	for _, p := range probes {
		f, o, fl := p.l.snapshot()
		files = append(files, f...)
		ops += o + p.attempts.Load()
		fails += fl
	}
	lost, corrupt := checkAll(t, cl, nil, files)
	results.add(row{Scenario: "malformed frames + slowloris", Ops: int64(attacks) + ops, Failures: fails, Lost: lost,
		Corrupt: corrupt, Note: fmt.Sprintf("%d attack connections, %d slowloris; prober failures must be 0", attacks, 2*slowN)})
	if fails > 0 {
		t.Errorf("the prober saw %d failures while others sent junk", fails)
	}
	if lost+corrupt > 0 {
		t.Fatalf("%d lost, %d corrupt", lost, corrupt)
	}
}

// TestHostileFileIDs asks a live storage (directly, not through a tracker)
// to download, delete, query and read metadata of file IDs that try to
// leave the store path or name what is not there. Each must get an error
// answer; a canary file next to the store path must survive, and the
// storage must keep serving.
func TestHostileFileIDs(t *testing.T) {
	parallelWhenShort(t)
	c := newCluster(t)
	c.addTracker("127.0.10.6")
	st := c.addStorage(storageSpec{ip: "127.0.10.7"})
	c.waitActive("group1", 1)
	cl := c.client()
	ctx := context.Background()

	good := []byte("the one good file\n")
	goodID := uploadRetry(t, cl, good)
	canaries := []string{filepath.Join(st.Base, "canary"), filepath.Join(st.Base, "data", "canary"),
		filepath.Join(filepath.Dir(st.Base), "canary")}
	for _, p := range canaries {
		writeFile(t, p, "canary")
	}
	_, rest, _ := strings.Cut(goodID, "/")
	long := "group1/M00/00/00/" + strings.Repeat("A", 300)
	ids := []string{
		"group1/M00/../../canary",
		"group1/M00/00/../../../canary",
		"group1/M00/00/00/../../canary",
		"group1/M00/00/00/..",
		"group1/M00/00/00/.",
		"group1/M00/00/00/",
		"group1/M00/00/00//etc/passwd",
		"group1/M00/00/00/" + "a\x00b",
		"group1/" + rest + "\x00.txt",
		"group1/M00/00/00\x00/x",
		long,
		"group1/M00/" + strings.Repeat("0", 1000),
		"group2/" + rest,
		"group1/M05/" + rest[4:],
		"group1/MFF/" + rest[4:],
		"group1/MZZ/" + rest[4:],
		"group1/M00/ZZ/00/" + rest[10:],
		"group1/M00/00/00/canary",
		"group1/canary",
		"group1/../canary",
		"group1//" + rest,
		"group1/" + strings.ToLower(rest[:4]) + rest[4:],
		"/group1/" + rest,
		"group1",
		"/",
		"",
	}
	ss := client.StorageServer{Group: "group1", Addr: st.Addr}
	ops, accepted := 0, 0
	for _, id := range ids {
		group, name, _ := strings.Cut(id, "/")
		for _, op := range []struct {
			name string
			do   func() error
		}{
			{"download", func() error {
				_, err := cl.DownloadFrom(ctx, ss, id, io.Discard, 0, 0)
				return err
			}},
			{"delete", func() error { return rawStatus(st.Addr, codec.CmdDeleteFile, groupAndName(group, name)) }},
			{"file info", func() error { return rawStatus(st.Addr, codec.CmdQueryFileInfo, groupAndName(group, name)) }},
			{"get metadata", func() error { return rawStatus(st.Addr, codec.CmdGetMetadata, groupAndName(group, name)) }},
		} {
			ops++
			if err := op.do(); err == nil {
				accepted++
				t.Errorf("%s %q succeeded", op.name, id)
			}
		}
	}
	for _, p := range canaries {
		if b, err := os.ReadFile(p); err != nil || string(b) != "canary" {
			t.Errorf("canary %s: %q, %v", p, b, err)
		}
	}
	// still serving, the good file intact
	var buf bytes.Buffer
	if _, err := cl.DownloadFrom(ctx, ss, goodID, &buf, 0, 0); err != nil || !bytes.Equal(buf.Bytes(), good) {
		t.Errorf("good file after the hostile IDs: %q, %v", buf.Bytes(), err)
	}
	if !st.Running() {
		t.Fatalf("storage died:\n%s", st.LogTail(4000))
	}
	lost := int64(0)
	if buf.Len() == 0 {
		lost = 1
	}
	results.add(row{Scenario: "hostile file IDs", Ops: int64(ops), Failures: int64(ops - accepted), Lost: lost,
		Note: fmt.Sprintf("%d IDs x 4 commands, every one refused; canaries intact", len(ids))})
}

// groupAndName is the group (16 bytes, NUL padded, cut) + name body of
// DELETE_FILE, QUERY_FILE_INFO and GET_METADATA.
func groupAndName(group, name string) []byte {
	b := make([]byte, codec.GroupNameSize, codec.GroupNameSize+len(name))
	copy(b, group)
	return append(b, name...)
}

// rawStatus sends one request on a fresh connection and returns nil for
// status 0, the status as an error otherwise, or the transport error.
func rawStatus(addr string, cmd byte, body []byte) error {
	reply, _, err := exchangeRaw(addr, frame(int64(len(body)), cmd, 0, body), 3*time.Second)
	if err != nil {
		return err
	}
	if len(reply) < codec.HeaderSize {
		return fmt.Errorf("no reply (%d bytes)", len(reply))
	}
	h, err := codec.DecodeHeader(reply)
	if err != nil {
		return err
	}
	if h.Status != 0 {
		return codec.Errno(h.Status)
	}
	return nil
}
