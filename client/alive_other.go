//go:build !unix

package client

import (
	"errors"
	"os"
	"time"
)

// alive reports whether an idle connection can still be used: the server
// may have closed it while it sat in the pool (its network_timeout).
// Without MSG_PEEK (Windows, Plan 9, wasm) it tries a read that must time
// out at once: a timeout means nothing came and the peer is still there;
// EOF or an error means it is gone, and a byte means the stream is out of
// step (that connection is dropped, so the byte read does not matter).
func (c *conn) alive() bool {
	if err := c.NC.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return false
	}
	var one [1]byte
	n, err := c.NC.Read(one[:])
	if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	return c.NC.SetReadDeadline(time.Time{}) == nil
}
