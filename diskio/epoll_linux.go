package diskio

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// wakeSlot marks the eventfd's epoll events; transfers use slots >= 0.
const wakeSlot = -1

// poller is a worker's epoll instance plus the eventfd that wakes it up
// when jobs are queued. Events carry a transfer's slot index and
// generation in the 8-byte epoll data, so finding the transfer costs no
// map lookup and a stale event for a reused slot is recognised.
type poller struct {
	epfd   int
	evfd   int
	events []unix.EpollEvent
	one    [8]byte // the eventfd increment, 1 in host byte order
	drain  [8]byte // eventfd read buffer (loop only)
}

func newPoller(maxEvents int) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	p := &poller{epfd: epfd, evfd: evfd, events: make([]unix.EpollEvent, maxEvents)}
	binary.NativeEndian.PutUint64(p.one[:], 1)
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeSlot}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		p.close()
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return p, nil
}

// add watches fd (level-triggered) for events on behalf of slot/gen.
// Level-triggered because a transfer stops after a bounded round for
// fairness with data still pending: epoll must report it again.
func (p *poller) add(fd int, events uint32, slot int32, gen uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: slot, Pad: int32(gen)}
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// del stops watching fd. It must happen before the fd goes back to its
// owner, who may close it or register it elsewhere.
func (p *poller) del(fd int) error {
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

// wait blocks up to msec (-1: forever) and returns the number of events in
// p.events. A signal (Go's preemption uses SIGURG) is not an error.
func (p *poller) wait(msec int) (int, error) {
	n, err := unix.EpollWait(p.epfd, p.events, msec)
	if err == unix.EINTR {
		return 0, nil
	}
	if err != nil {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	return n, nil
}

// wake makes a current or next wait return with the wake event.
func (p *poller) wake() {
	for {
		_, err := unix.Write(p.evfd, p.one[:])
		// EAGAIN means the counter is saturated: the loop is awake anyway.
		if err != unix.EINTR {
			return
		}
	}
}

// drainWake resets the eventfd so level-triggered epoll stops reporting it.
func (p *poller) drainWake() {
	for {
		_, err := unix.Read(p.evfd, p.drain[:])
		if err != unix.EINTR {
			return
		}
	}
}

func (p *poller) close() {
	unix.Close(p.evfd)
	unix.Close(p.epfd)
}
