package client

import (
	"time"

	"github.com/gofdfs/gofdfs/internal/peercall"
)

// maxSmallBody bounds the replies read into memory (everything but downloads).
const maxSmallBody = 1 << 20

// conn is one connection to a tracker or storage, used for one request at a
// time. It is returned to its pool after a clean exchange. The bytes of an
// exchange (deadlines, sendfile, reply checks, errors naming the server) are
// peercall's, shared with the servers' own peer calls.
type conn struct {
	peercall.Conn
	idleAt time.Time
}
