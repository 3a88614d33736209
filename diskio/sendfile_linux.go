package diskio

import (
	"errors"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// maxSendfile is the most Linux moves in one sendfile call.
const maxSendfile = 0x7ffff000

// SendJob sends an optional header and then Length bytes of File from
// Offset to a socket (a download reply, a sync push), with sendfile: the
// bytes go from the page cache to the socket without a copy through user
// space.
type SendJob struct {
	// Sock is a socket fd the caller owns (see ReceiveJob.Sock).
	Sock int
	// Header is sent first, with MSG_MORE when file bytes follow, so the
	// header and the first file bytes share packets. It must stay valid
	// and unchanged until Done runs. May be empty.
	Header []byte
	// File is read with sendfile at Offset, leaving its file position
	// alone; the caller owns it (Done may close it). Nil if Length is 0.
	File   *os.File
	Offset int64
	Length int64
	// Timeout is the idle timeout: 0 means the worker's, < 0 none. A peer
	// that stops reading fails the job after it.
	Timeout time.Duration
	// Done is called on the worker's thread when the job ends, with the
	// file bytes sent (the header not counted) and nil or a
	// *TransferError (io.ErrUnexpectedEOF if the file was shorter than
	// the range). It must not block (see Worker). After an error the peer
	// got a truncated reply: close the connection.
	Done func(n int64, err error)
}

func (j *SendJob) path() string { return fileName(j.File) }

// Send queues j. An error means j was refused (ErrClosed, invalid job)
// and Done will not be called; otherwise Done is called exactly once.
func (w *Worker) Send(j SendJob) error {
	switch {
	case j.Done == nil:
		return errors.New("diskio: send job needs a Done func")
	case j.Sock < 0:
		return errors.New("diskio: send job: negative socket fd")
	case j.Offset < 0 || j.Length < 0:
		return errors.New("diskio: send job: negative offset or length")
	case j.Length > 0 && j.File == nil:
		return errors.New("diskio: send job: file bytes but no File")
	}
	return w.submit(job{kind: jobSend, send: j})
}

func (w *Worker) startSend(j *SendJob) {
	t := w.allocTransfer(jobSend, j.Sock, j.Timeout)
	t.header = j.Header
	t.file = j.File
	t.off = j.Offset
	t.remain = j.Length
	t.sendDone = j.Done
	if j.File != nil {
		t.fileFd = int(j.File.Fd())
	}
	if len(t.header) == 0 && t.remain == 0 {
		w.finish(t, nil)
		return
	}
	// Sending right away would often succeed, but going through epoll
	// keeps one code path; the socket is writable, so the first wait
	// returns at once.
	if err := w.watch(t, unix.EPOLLOUT); err != nil {
		w.finish(t, err)
	}
}

// sendRound sends up to roundBytes of t's header and file range. It
// returns when everything is sent, the socket buffer is full (epoll
// reports EPOLLOUT when it has room again) or the budget is spent.
func (w *Worker) sendRound(t *transfer) (ended, progressed bool, err error) {
	budget := w.roundBytes
	for budget > 0 {
		if t.hdrOff < len(t.header) {
			flags := unix.MSG_NOSIGNAL | unix.MSG_DONTWAIT
			if t.remain > 0 {
				flags |= unix.MSG_MORE
			}
			n, err := unix.SendmsgN(t.sock, t.header[t.hdrOff:], nil, nil, flags)
			if err != nil {
				switch err {
				case unix.EINTR:
					continue
				case unix.EAGAIN:
					return false, progressed, nil
				}
				return false, progressed, os.NewSyscallError("sendmsg", err)
			}
			t.hdrOff += n
			budget -= int64(n)
			progressed = true
			continue
		}
		if t.remain == 0 {
			break
		}
		want := min(t.remain, budget, maxSendfile)
		n, err := unix.Sendfile(t.sock, t.fileFd, &t.off, int(want))
		if err != nil {
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false, progressed, nil
			}
			return false, progressed, os.NewSyscallError("sendfile", err)
		}
		if n == 0 {
			return false, progressed, io.ErrUnexpectedEOF // the file is shorter than the range
		}
		t.moved += int64(n)
		t.remain -= int64(n)
		budget -= int64(n)
		progressed = true
		if int64(n) < want {
			break // socket buffer full; EPOLLOUT tells when it has room
		}
	}
	return t.hdrOff == len(t.header) && t.remain == 0, progressed, nil
}
