package codec

import "strconv"

// Error is a malformed or unacceptable body. Errno is the status a C server
// answers for it, so a server can reply with it directly.
type Error struct {
	Errno  Errno
	Layout string // what was being decoded, e.g. "UploadRequest"
	Reason string
}

func (e *Error) Error() string {
	return "codec: " + e.Layout + ": " + e.Reason + " (" + e.Errno.Name() + ")"
}

// Unwrap lets errors.Is(err, codec.EINVAL) work.
func (e *Error) Unwrap() error { return e.Errno }

// invalid returns an EINVAL error for layout.
func invalid(layout, reason string) *Error {
	return &Error{Errno: EINVAL, Layout: layout, Reason: reason}
}

// badLength reports a body whose length breaks the layout's rule.
func badLength(layout string, got int, rule string) *Error {
	return &Error{Errno: EINVAL, Layout: layout,
		Reason: "body length " + strconv.Itoa(got) + ", want " + rule}
}

var (
	errShortHeader    = &Error{Errno: EINVAL, Layout: "Header", Reason: "fewer than 10 bytes"}
	errNegativeLength = &Error{Errno: EINVAL, Layout: "Header", Reason: "negative body length"}
)
