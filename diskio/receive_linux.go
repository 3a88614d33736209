package diskio

import (
	"errors"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ReceiveJob reads a body from a socket into a FileWriter (an upload, an
// append, a sync create). The worker reads into its one chunk buffer and
// writes each chunk at once, so memory per transfer is bounded by the
// chunk whatever the body size.
type ReceiveJob struct {
	// Sock is a socket fd the caller owns (a dup of the connection's fd,
	// never gnet's own). The worker makes it non-blocking, watches it while
	// the job runs and unregisters it before Done; it never closes it.
	// Nobody else may read from the connection until Done.
	Sock int
	// Size is the body length, Lead included.
	Size int64
	// Lead holds body bytes already read from the socket (what the event
	// loop had buffered past the fixed fields); they are written first.
	// It must stay valid and unchanged until Done runs.
	Lead []byte
	// Writer receives the body. On failure the worker aborts it before
	// Done (temp file removed, append cut back); on success it is left
	// open: Done commits it under the name the CRC and size give, or
	// aborts it.
	Writer *FileWriter
	// Timeout is the idle timeout: 0 means the worker's, < 0 none.
	Timeout time.Duration
	// Done is called on the worker's thread when the job ends, with the
	// body bytes received, the writer's CRC32 and nil or a
	// *TransferError. It must not block (see Worker). After an error the
	// socket may still hold part of the body: the connection cannot carry
	// another request and should be closed.
	Done func(n int64, crc uint32, err error)
}

// Receive queues j. An error means j was refused (ErrClosed, invalid job)
// and Done will not be called; otherwise Done is called exactly once.
func (w *Worker) Receive(j ReceiveJob) error {
	switch {
	case j.Writer == nil || j.Done == nil:
		return errors.New("diskio: receive job needs a Writer and a Done func")
	case j.Sock < 0:
		return errors.New("diskio: receive job: negative socket fd")
	case j.Size < int64(len(j.Lead)):
		return errors.New("diskio: receive job: more lead bytes than the body size")
	}
	return w.submit(job{kind: jobReceive, recv: j})
}

func (w *Worker) startReceive(j *ReceiveJob) {
	t := w.allocTransfer(jobReceive, j.Sock, j.Timeout)
	t.writer = j.Writer
	t.recvDone = j.Done
	t.remain = j.Size
	if len(j.Lead) > 0 {
		if _, err := t.writer.Write(j.Lead); err != nil {
			w.finish(t, err)
			return
		}
		t.moved = int64(len(j.Lead))
		t.remain -= t.moved
	}
	if t.remain == 0 {
		w.finish(t, nil)
		return
	}
	// EPOLLRDHUP: a peer that half-closes early is seen without a read.
	if err := w.watch(t, unix.EPOLLIN|unix.EPOLLRDHUP); err != nil {
		w.finish(t, err)
	}
}

// receiveRound reads and writes up to roundBytes of t's body. It returns
// when the body is complete, the socket has nothing more for now
// (level-triggered epoll reports it again when it has) or the round's
// budget is spent (fairness: the next ready transfer gets its turn).
func (w *Worker) receiveRound(t *transfer) (ended, progressed bool, err error) {
	budget := w.roundBytes
	for t.remain > 0 && budget > 0 {
		want := min(int64(len(w.chunk)), t.remain, budget)
		n, err := unix.Read(t.sock, w.chunk[:want])
		if err != nil {
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false, progressed, nil
			}
			return false, progressed, os.NewSyscallError("read", err)
		}
		if n == 0 {
			return false, progressed, io.ErrUnexpectedEOF // peer closed early
		}
		if _, err := t.writer.Write(w.chunk[:n]); err != nil {
			return false, progressed, err
		}
		t.moved += int64(n)
		t.remain -= int64(n)
		budget -= int64(n)
		progressed = true
		if int64(n) < want {
			break // drained for now; saves the read that would say EAGAIN
		}
	}
	return t.remain == 0, progressed, nil
}
