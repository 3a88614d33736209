package diskio

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultIdleTimeout is network_timeout's C default (storage.conf): a
// transfer that moves no byte for this long fails.
const DefaultIdleTimeout = 30 * time.Second

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Name says what the worker serves (the store path), for errors.
	Name string
	// ChunkSize is the worker's one receive buffer, shared by all its
	// transfers (they run one at a time); 0 means DefaultChunkSize.
	ChunkSize int
	// RoundBytes bounds what one transfer moves before the others get a
	// turn; 0 means 4 × ChunkSize.
	RoundBytes int
	// IdleTimeout is the jobs' default idle timeout: 0 means
	// DefaultIdleTimeout, < 0 none.
	IdleTimeout time.Duration
	// CPUs pins the worker's thread to these CPUs (a Plan entry); empty
	// leaves it to the scheduler.
	CPUs []int
	// MaxEvents is the epoll batch size; 0 means 128.
	MaxEvents int
}

// Worker is one disk worker of a store path: a goroutine locked to its OS
// thread, with its own epoll instance and an eventfd-signalled job queue.
// It runs every job given to it, one step at a time:
//
//   - Do: a blocking function (stat, open, unlink, rename, fsync…);
//   - Receive: a body read from a socket into a FileWriter;
//   - Send: an optional header and a file range sent to a socket.
//
// Transfers interleave in bounded rounds (RoundBytes): sockets are watched
// level-triggered, so a transfer that stops at its budget with data still
// pending is reported again, and epoll hands ready descriptors out in
// turn; queued jobs are picked up between two rounds. While no socket is
// ready the worker sleeps in epoll_wait, so one thread serves many
// transfers and blocks only on its disk.
//
// Every job whose submission returned nil gets exactly one completion
// call, on the worker's thread. Completion functions must not block: no
// network waits, no channel sends that may wait, no locks held by
// goroutines that wait for this worker, and never Close. Disk work on this
// worker's store path (Commit, a binlog append) is what the worker is for
// and is fine.
type Worker struct {
	name       string
	chunk      []byte // the receive buffer (loop only)
	roundBytes int64
	idle       time.Duration
	p          *poller
	base       time.Time // origin of the loop's monotonic clock

	mu     sync.Mutex
	queue  []job // submitted, not yet taken by the loop
	closed bool

	active atomic.Int64 // accepted jobs not yet completed
	done   chan struct{}

	// Loop-only state.
	batch []job
	slots []*transfer
	free  []int32
	live  int
}

type jobKind uint8

const (
	jobFunc jobKind = iota + 1
	jobReceive
	jobSend
)

type job struct {
	kind jobKind
	fn   func(error)
	recv ReceiveJob
	send SendJob
}

// transfer is a running receive or send job. Slots are reused; gen tells
// a stale epoll event for a previous occupant from a current one.
type transfer struct {
	slot       int32
	gen        uint32
	kind       jobKind
	inUse      bool
	registered bool
	sock       int
	timeout    time.Duration
	deadline   int64 // loop clock, ns
	moved      int64 // body bytes moved so far
	remain     int64 // body bytes still to move

	// receive
	writer   *FileWriter
	recvDone func(n int64, crc uint32, err error)

	// send
	header   []byte
	hdrOff   int
	file     *os.File
	fileFd   int
	off      int64
	sendDone func(n int64, err error)
}

// NewWorker starts a worker. It returns once the worker's thread runs (and
// is pinned, if asked).
func NewWorker(opts WorkerOptions) (*Worker, error) {
	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	round := opts.RoundBytes
	if round <= 0 {
		round = 4 * chunk
	}
	idle := opts.IdleTimeout
	if idle == 0 {
		idle = DefaultIdleTimeout
	}
	maxEvents := opts.MaxEvents
	if maxEvents <= 0 {
		maxEvents = 128
	}
	p, err := newPoller(maxEvents)
	if err != nil {
		return nil, fmt.Errorf("diskio: worker %s: %w", opts.Name, err)
	}
	w := &Worker{
		name:       opts.Name,
		chunk:      make([]byte, chunk),
		roundBytes: int64(round),
		idle:       idle,
		p:          p,
		base:       time.Now(),
		done:       make(chan struct{}),
	}
	started := make(chan error, 1)
	go w.run(append([]int(nil), opts.CPUs...), started)
	if err := <-started; err != nil {
		return nil, fmt.Errorf("diskio: worker %s: %w", opts.Name, err)
	}
	return w, nil
}

// Name is the worker's name from its options.
func (w *Worker) Name() string { return w.name }

// Active is the number of accepted jobs not yet completed: the load a
// WorkerGroup balances on.
func (w *Worker) Active() int { return int(w.active.Load()) }

func (w *Worker) run(cpus []int, started chan<- error) {
	// Locked for the goroutine's whole life and never unlocked: when it
	// returns, Go ends the thread instead of handing it (pinned) to other
	// goroutines.
	runtime.LockOSThread()
	if len(cpus) > 0 {
		if err := pinThread(cpus); err != nil {
			w.mu.Lock()
			w.closed = true
			w.mu.Unlock()
			w.p.close()
			close(w.done)
			started <- err
			return
		}
	}
	started <- nil
	defer close(w.done)
	w.loop()
}

func (w *Worker) now() int64 { return int64(time.Since(w.base)) }

func (w *Worker) loop() {
	for {
		n, err := w.p.wait(w.waitMsec())
		if err != nil {
			w.shutdown(err)
			return
		}
		closing := false
		now := w.now()
		for i := range n {
			ev := w.p.events[i]
			if ev.Fd == wakeSlot {
				w.p.drainWake()
				closing = w.takeJobs()
				now = w.now() // Do jobs may have taken a while
				continue
			}
			if ev.Fd < 0 || int(ev.Fd) >= len(w.slots) {
				continue
			}
			t := w.slots[ev.Fd]
			if !t.inUse || t.gen != uint32(ev.Pad) {
				continue // the transfer ended earlier in this batch
			}
			w.step(t, now)
		}
		if closing {
			w.shutdown(ErrClosed)
			return
		}
		w.expire(w.now())
	}
}

// waitMsec is how long epoll may sleep: until the nearest idle deadline,
// or forever when no transfer has one (a job submission wakes it).
func (w *Worker) waitMsec() int {
	if w.live == 0 {
		return -1
	}
	var nearest int64 = -1
	for _, t := range w.slots {
		if t.inUse && t.registered && t.timeout > 0 && (nearest < 0 || t.deadline < nearest) {
			nearest = t.deadline
		}
	}
	if nearest < 0 {
		return -1
	}
	d := nearest - w.now()
	if d <= 0 {
		return 0
	}
	return int((d + int64(time.Millisecond) - 1) / int64(time.Millisecond))
}

// expire fails the transfers whose idle deadline has passed.
func (w *Worker) expire(now int64) {
	for _, t := range w.slots {
		if t.inUse && t.registered && t.timeout > 0 && now >= t.deadline {
			w.finish(t, ErrIdleTimeout)
		}
	}
}

// takeJobs moves the queue to the loop and starts each job; it reports
// whether the worker is closing (then the jobs are failed, not started).
func (w *Worker) takeJobs() bool {
	w.mu.Lock()
	w.batch, w.queue = w.queue, w.batch[:0]
	closed := w.closed
	w.mu.Unlock()
	for i := range w.batch {
		j := &w.batch[i]
		if closed {
			w.failJob(j, ErrClosed)
		} else {
			w.startJob(j)
		}
		*j = job{} // drop references to callers' objects
	}
	w.batch = w.batch[:0]
	return closed
}

func (w *Worker) startJob(j *job) {
	switch j.kind {
	case jobFunc:
		j.fn(nil)
		w.active.Add(-1) // after: a long Do is load too
	case jobReceive:
		w.startReceive(&j.recv)
	case jobSend:
		w.startSend(&j.send)
	}
}

// failJob completes a job that never started.
func (w *Worker) failJob(j *job, cause error) {
	w.active.Add(-1)
	switch j.kind {
	case jobFunc:
		j.fn(cause)
	case jobReceive:
		err := error(&TransferError{Op: "receive", Path: j.recv.Writer.Path(), Sock: j.recv.Sock, Err: cause})
		if aerr := j.recv.Writer.Abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		j.recv.Done(0, j.recv.Writer.CRC32(), err)
	case jobSend:
		j.send.Done(0, &TransferError{Op: "send", Path: j.send.path(), Sock: j.send.Sock, Err: cause})
	}
}

func (w *Worker) allocTransfer(kind jobKind, sock int, timeout time.Duration) *transfer {
	var t *transfer
	if n := len(w.free); n > 0 {
		t = w.slots[w.free[n-1]]
		w.free = w.free[:n-1]
	} else {
		t = &transfer{slot: int32(len(w.slots))}
		w.slots = append(w.slots, t)
	}
	t.gen++
	t.inUse = true
	t.kind = kind
	t.sock = sock
	switch {
	case timeout == 0:
		t.timeout = w.idle
	case timeout < 0:
		t.timeout = 0
	default:
		t.timeout = timeout
	}
	w.live++
	return t
}

// watch registers t's socket for events; a transfer is "registered" while
// it waits in epoll, and only then do deadlines apply.
func (w *Worker) watch(t *transfer, events uint32) error {
	if err := unix.SetNonblock(t.sock, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	if err := w.p.add(t.sock, events, t.slot, t.gen); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	t.registered = true
	t.deadline = w.now() + int64(t.timeout)
	return nil
}

// step runs one bounded round of t and completes it if it ended.
func (w *Worker) step(t *transfer, now int64) {
	var (
		ended, progressed bool
		err               error
	)
	if t.kind == jobReceive {
		ended, progressed, err = w.receiveRound(t)
	} else {
		ended, progressed, err = w.sendRound(t)
	}
	switch {
	case err != nil:
		w.finish(t, err)
	case ended:
		w.finish(t, nil)
	case progressed:
		t.deadline = now + int64(t.timeout)
	}
}

// finish completes t: unregisters its socket (which goes back to its
// owner), aborts a failed receive's writer, frees the slot, then calls the
// completion function.
func (w *Worker) finish(t *transfer, cause error) {
	if t.registered {
		w.p.del(t.sock)
		t.registered = false
	}
	kind, sock, moved := t.kind, t.sock, t.moved
	writer, recvDone := t.writer, t.recvDone
	file, sendDone := t.file, t.sendDone
	*t = transfer{slot: t.slot, gen: t.gen + 1}
	w.free = append(w.free, t.slot)
	w.live--
	w.active.Add(-1)

	if kind == jobReceive {
		var err error
		if cause != nil {
			err = &TransferError{Op: "receive", Path: writer.Path(), Sock: sock, Done: moved, Err: cause}
			if aerr := writer.Abort(); aerr != nil {
				err = errors.Join(err, aerr)
			}
		}
		recvDone(moved, writer.CRC32(), err)
		return
	}
	var err error
	if cause != nil {
		err = &TransferError{Op: "send", Path: fileName(file), Sock: sock, Done: moved, Err: cause}
	}
	sendDone(moved, err)
}

// shutdown fails every running and queued job with cause, refuses new ones
// and closes the worker's descriptors (never the jobs' sockets or files).
func (w *Worker) shutdown(cause error) {
	for _, t := range w.slots {
		if t.inUse {
			w.finish(t, cause)
		}
	}
	w.mu.Lock()
	w.closed = true
	rest := w.queue
	w.queue = nil
	w.mu.Unlock()
	for i := range rest {
		w.failJob(&rest[i], cause)
	}
	// Safe: closed is set, so no submitter writes to the eventfd anymore.
	w.p.close()
}

// Do queues fn to run on the worker: fn(nil) runs there, in submission
// order with the other jobs; if the worker closes first, fn(err) runs
// instead with err wrapping ErrClosed and fn must then not touch the disk.
// fn must not block on anything but the disk (see Worker).
func (w *Worker) Do(fn func(err error)) error {
	if fn == nil {
		return errors.New("diskio: Do: nil func")
	}
	return w.submit(job{kind: jobFunc, fn: fn})
}

// Close stops accepting jobs, completes every queued and running job with
// an error wrapping ErrClosed (receives abort their writers), closes the
// worker's epoll and eventfd and waits for its thread to end. Sockets and
// files of jobs are never closed: they belong to the callers. Close must
// not be called from a completion function or a Do func.
func (w *Worker) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		w.p.wake()
	}
	w.mu.Unlock()
	<-w.done
	return nil
}

func (w *Worker) submit(j job) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fmt.Errorf("diskio: worker %s: %w", w.name, ErrClosed)
	}
	w.queue = append(w.queue, j)
	w.active.Add(1)
	// Only the first job of a batch needs to wake the loop; the wake-up is
	// written under the lock so that it can never hit an eventfd that
	// shutdown has closed.
	if len(w.queue) == 1 {
		w.p.wake()
	}
	w.mu.Unlock()
	return nil
}

func fileName(f *os.File) string {
	if f == nil {
		return "(no file)"
	}
	return f.Name()
}
