package client

import "github.com/gofdfs/gofdfs/internal/peercall"

// StatusError is a non-zero status answered by a server (Op, Addr, FileID,
// Status). It unwraps to the codec.Errno, so errors.Is(err, codec.ENOENT)
// tells a missing file. The servers' peer calls return the same type.
type StatusError = peercall.StatusError

// ProtocolError is a reply the client cannot use (wrong length or shape).
// The connection it came on is discarded.
type ProtocolError = peercall.ProtocolError
