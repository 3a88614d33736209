package diskio

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// WorkerGroup is the set of workers of one store path
// (disk_reader_threads + disk_writer_threads in C's terms; here any worker
// takes any job).
type WorkerGroup struct {
	workers []*Worker
	next    atomic.Uint32
}

// NewWorkerGroup starts n workers with opts. cpus, if not nil, pins
// worker i to cpus[i] (a slice of a Plan made for all store paths
// together, so that two groups never share a pinned CPU).
func NewWorkerGroup(n int, opts WorkerOptions, cpus [][]int) (*WorkerGroup, error) {
	if n < 1 {
		return nil, fmt.Errorf("diskio: worker group %s: %d workers", opts.Name, n)
	}
	if cpus != nil && len(cpus) != n {
		return nil, fmt.Errorf("diskio: worker group %s: %d CPU sets for %d workers", opts.Name, len(cpus), n)
	}
	g := &WorkerGroup{}
	for i := range n {
		o := opts
		o.Name = fmt.Sprintf("%s#%d", opts.Name, i)
		if cpus != nil {
			o.CPUs = cpus[i]
		}
		w, err := NewWorker(o)
		if err != nil {
			g.Close()
			return nil, err
		}
		g.workers = append(g.workers, w)
	}
	return g, nil
}

// Pick returns the worker with the fewest jobs in hand; ties go round
// robin so that idle workers share the work.
func (g *WorkerGroup) Pick() *Worker {
	n := len(g.workers)
	start := int(g.next.Add(1) % uint32(n))
	best := g.workers[start]
	bestLoad := best.Active()
	for i := 1; i < n && bestLoad > 0; i++ {
		w := g.workers[(start+i)%n]
		if load := w.Active(); load < bestLoad {
			best, bestLoad = w, load
		}
	}
	return best
}

// Workers lists the group's workers.
func (g *WorkerGroup) Workers() []*Worker { return g.workers }

// Close closes every worker (see Worker.Close).
func (g *WorkerGroup) Close() error {
	var errs []error
	for _, w := range g.workers {
		errs = append(errs, w.Close())
	}
	return errors.Join(errs...)
}
