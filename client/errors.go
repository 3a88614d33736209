package client

import (
	"fmt"

	"github.com/gofdfs/gofdfs/codec"
)

// StatusError is a non-zero status answered by a server. It unwraps to the
// codec.Errno, so errors.Is(err, codec.ENOENT) tells a missing file.
type StatusError struct {
	Op     string // the command, e.g. "UPLOAD_FILE"
	Addr   string // the server that answered
	FileID string // the file concerned, if any
	Status codec.Errno
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("fdfs %s at %s: %s", e.Op, e.Addr, e.Status.Error())
	if e.FileID != "" {
		s += " [" + e.FileID + "]"
	}
	return s
}

func (e *StatusError) Unwrap() error { return e.Status }

// ProtocolError is a reply the client cannot use (wrong length or shape).
// The connection it came on is discarded.
type ProtocolError struct {
	Op     string
	Addr   string
	Reason string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("fdfs %s at %s: bad reply: %s", e.Op, e.Addr, e.Reason)
}
