package codec

import "strconv"

// Errno is a status byte: 0 for success, otherwise a Linux errno value. The
// values are Linux's whatever platform we run on, because the C clients and
// SDKs compare them with Linux numbers.
type Errno byte

// The statuses FastDFS servers put on the wire.
const (
	OK           Errno = 0
	EPERM        Errno = 1
	ENOENT       Errno = 2
	EIO          Errno = 5
	EAGAIN       Errno = 11
	ENOMEM       Errno = 12
	EACCES       Errno = 13
	EFAULT       Errno = 14
	EBUSY        Errno = 16
	EEXIST       Errno = 17
	ENOTDIR      Errno = 20
	EISDIR       Errno = 21
	EINVAL       Errno = 22
	ENOSPC       Errno = 28
	ENAMETOOLONG Errno = 36
	ENONET       Errno = 64
	EOPNOTSUPP   Errno = 95
	ETIMEDOUT    Errno = 110
	EALREADY     Errno = 114
)

var errnoNames = map[Errno]string{
	OK: "OK", EPERM: "EPERM", ENOENT: "ENOENT", EIO: "EIO", EAGAIN: "EAGAIN",
	ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY",
	EEXIST: "EEXIST", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EINVAL: "EINVAL",
	ENOSPC: "ENOSPC", ENAMETOOLONG: "ENAMETOOLONG", ENONET: "ENONET",
	EOPNOTSUPP: "EOPNOTSUPP", ETIMEDOUT: "ETIMEDOUT", EALREADY: "EALREADY",
}

var errnoTexts = map[Errno]string{
	EPERM: "operation not permitted", ENOENT: "no such file or directory",
	EIO: "input/output error", EAGAIN: "resource temporarily unavailable",
	ENOMEM: "cannot allocate memory", EACCES: "permission denied",
	EFAULT: "bad address", EBUSY: "device or resource busy", EEXIST: "file exists",
	ENOTDIR: "not a directory", EISDIR: "is a directory", EINVAL: "invalid argument",
	ENOSPC: "no space left on device", ENAMETOOLONG: "file name too long",
	ENONET: "machine is not on the network", EOPNOTSUPP: "operation not supported",
	ETIMEDOUT: "connection timed out", EALREADY: "operation already in progress",
}

// Name is the symbolic name, e.g. "ENOENT", or "errno N" for others.
func (e Errno) Name() string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

// Error is the strerror text followed by the number, like the C tools print.
func (e Errno) Error() string {
	if t, ok := errnoTexts[e]; ok {
		return t + " (" + strconv.Itoa(int(e)) + ")"
	}
	return "errno " + strconv.Itoa(int(e))
}
