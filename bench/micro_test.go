package bench

import (
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/diskio"
)

// BenchmarkWorkerHandoff is the cost every disk operation of the storage
// pays on top of the disk itself: a job queued to a disk worker (its own
// thread and epoll, woken by an eventfd), run there, and its completion
// signalled back to the submitting goroutine.
func BenchmarkWorkerHandoff(b *testing.B) {
	w, err := diskio.NewWorker(diskio.WorkerOptions{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	done := make(chan error, 1)
	fn := func(err error) { done <- err } // never blocks: one job in flight, room for its answer
	b.ReportAllocs()
	for b.Loop() {
		if err := w.Do(fn); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkerHandoffParallel: many goroutines (connections) queue to
// the same worker at once, so wake-ups batch.
func BenchmarkWorkerHandoffParallel(b *testing.B) {
	w, err := diskio.NewWorker(diskio.WorkerOptions{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		done := make(chan error, 1)
		fn := func(err error) { done <- err }
		for pb.Next() {
			if err := w.Do(fn); err != nil {
				b.Error(err)
				return
			}
			<-done
		}
	})
}

// BenchmarkLatencyRecord is the generator's own cost per operation.
func BenchmarkLatencyRecord(b *testing.B) {
	var h histogram
	d := 123 * time.Microsecond
	b.ReportAllocs()
	for b.Loop() {
		h.record(d)
		d += 7
	}
}
