package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gofdfs/gofdfs/client"
)

func newScenario(cl *client.Client, cfg Config) (scenario, string, error) {
	switch cfg.Op {
	case "upload":
		return &uploadOp{files: files{cl: cl, cfg: cfg}}, "latency: tracker QUERY_STORE + UPLOAD_FILE", nil
	case "download":
		return &downloadOp{files: files{cl: cl, cfg: cfg}}, "latency: tracker QUERY_FETCH + DOWNLOAD_FILE; working set uploaded first, untimed", nil
	case "mixed":
		return &mixedOp{downloadOp: downloadOp{files: files{cl: cl, cfg: cfg}}},
			"1 upload : 4 downloads, each op's latency as for upload and download", nil
	case "delete":
		return &deleteOp{files: files{cl: cl, cfg: cfg}}, "latency: tracker QUERY_UPDATE + DELETE_FILE; files uploaded first, untimed", nil
	case "query":
		return &queryOp{cl: cl, group: cfg.Group}, "latency: one tracker QUERY_STORE", nil
	case "idle":
		return newIdleOp(cl, cfg), "ops: connections opened to one storage (latency: connect); all held idle, then each answers ACTIVE_TEST", nil
	case "repl":
		return &replOp{files: files{cl: cl, cfg: cfg}},
			"latency: upload acknowledged by storage A -> file readable on storage B of the same group", nil
	case "sendfile-probe":
		return &sendfileProbe{cfg: cfg}, "limit: plain Go server (its own process), io.Copy of a file to loopback TCP (sendfile), client drains 1 MiB reads", nil
	case "disk-probe":
		return &diskProbe{cfg: cfg}, "limit: write Size bytes in 1 MiB writes to a new file in -dir (as dd bs=1M), close, remove", nil
	}
	return nil, "", fmt.Errorf("unknown op %q", cfg.Op)
}

// files is what the ops that store files share: the payload, per-worker
// readers and the IDs to delete afterwards.
type files struct {
	cl      *client.Client
	cfg     Config
	p       *payload
	readers []*payloadReader
	sinks   []*sink

	mu       sync.Mutex
	uploaded []string
}

func (f *files) prepare(context.Context) error {
	p, err := newPayload(f.cfg.Size, tempDir(f.cfg.Dir))
	if err != nil {
		return err
	}
	f.p = p
	for range f.cfg.Concurrency {
		r, err := p.reader()
		if err != nil {
			return err
		}
		f.readers = append(f.readers, r)
		f.sinks = append(f.sinks, newSink())
	}
	return nil
}

func (f *files) upload(ctx context.Context, w int, opts ...client.UploadOption) (string, error) {
	r, err := f.readers[w].rewind()
	if err != nil {
		return "", err
	}
	if f.cfg.Group != "" {
		opts = append(opts, client.InGroup(f.cfg.Group))
	}
	id, err := f.cl.Upload(ctx, r, f.p.size, "dat", opts...)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.uploaded = append(f.uploaded, id)
	f.mu.Unlock()
	return id, nil
}

// uploadSet uploads n files with every worker, untimed, and returns their IDs.
func (f *files) uploadSet(ctx context.Context, n int) ([]string, error) {
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for w := range f.cfg.Concurrency {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				id, err := f.upload(ctx, w)
				if err != nil {
					once.Do(func() { first = err })
					return
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, fmt.Errorf("uploading the working set: %w", first)
	}
	return ids, ctx.Err()
}

func (f *files) finish(context.Context, *Result) {}

// cleanup deletes what was uploaded (when asked) and the payload file.
func (f *files) cleanup(ctx context.Context) {
	for _, r := range f.readers {
		r.close()
	}
	if f.p != nil {
		f.p.remove()
	}
	if !f.cfg.Cleanup {
		return
	}
	f.mu.Lock()
	ids := f.uploaded
	f.uploaded = nil
	f.mu.Unlock()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(f.cfg.Concurrency, 16) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(ids)); i = next.Add(1) - 1 {
				_ = f.cl.Delete(ctx, ids[i]) // best effort: an ID already gone is fine
			}
		})
	}
	wg.Wait()
}

type uploadOp struct{ files }

func (u *uploadOp) do(ctx context.Context, w int) (int64, error) {
	_, err := u.upload(ctx, w)
	return u.p.size, err
}

type downloadOp struct {
	files
	ids  []string
	next atomic.Int64
}

func (d *downloadOp) prepare(ctx context.Context) error {
	if d.cfg.FileID != "" {
		// a given file: nothing to upload, so no payload to make
		for range d.cfg.Concurrency {
			d.sinks = append(d.sinks, newSink())
		}
		d.ids = []string{d.cfg.FileID}
		return nil
	}
	if err := d.files.prepare(ctx); err != nil {
		return err
	}
	ids, err := d.uploadSet(ctx, d.cfg.workingSet())
	d.ids = ids
	return err
}

func (d *downloadOp) do(ctx context.Context, w int) (int64, error) {
	id := d.ids[(d.next.Add(1)-1)%int64(len(d.ids))]
	n, err := d.cl.Download(ctx, id, d.sinks[w], 0, 0)
	if err == nil && d.p != nil && n != d.p.size {
		err = fmt.Errorf("download %s: %d bytes, uploaded %d", id, n, d.p.size)
	}
	return n, err
}

type mixedOp struct {
	downloadOp
	seq atomic.Int64
}

func (m *mixedOp) do(ctx context.Context, w int) (int64, error) {
	if m.seq.Add(1)%5 == 0 {
		_, err := m.upload(ctx, w)
		return m.p.size, err
	}
	return m.downloadOp.do(ctx, w)
}

type deleteOp struct {
	files
	ids  []string
	next atomic.Int64
}

func (d *deleteOp) prepare(ctx context.Context) error {
	if err := d.files.prepare(ctx); err != nil {
		return err
	}
	ids, err := d.uploadSet(ctx, d.cfg.Count)
	d.ids = ids
	return err
}

func (d *deleteOp) do(ctx context.Context, _ int) (int64, error) {
	i := d.next.Add(1) - 1
	if i >= int64(len(d.ids)) {
		return 0, errAbort{fmt.Errorf("no file left to delete")}
	}
	return 0, d.cl.Delete(ctx, d.ids[i])
}

type queryOp struct {
	cl    *client.Client
	group string
}

func (q *queryOp) prepare(context.Context) error { return nil }
func (q *queryOp) do(ctx context.Context, _ int) (int64, error) {
	_, err := q.cl.QueryStore(ctx, q.group)
	return 0, err
}
func (q *queryOp) finish(context.Context, *Result) {}
func (q *queryOp) cleanup(context.Context)         {}
