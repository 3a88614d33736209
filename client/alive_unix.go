//go:build unix

package client

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// alive reports whether an idle connection can still be used: the server
// may have closed it while it sat in the pool (its network_timeout).
// It peeks without blocking: a FIN reads as 0 bytes, unsolicited bytes mean
// the stream is out of step, EAGAIN means all is well.
func (c *conn) alive() bool {
	sc, ok := c.NC.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	live := false
	var one [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, rerr := unix.Recvfrom(int(fd), one[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		live = rerr == unix.EAGAIN
		return true // never wait for readiness
	})
	return err == nil && live
}
