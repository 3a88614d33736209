package httpd

import (
	"errors"
	"unsafe"

	"github.com/gofdfs/gofdfs/codec"
)

// ErrTokenMissing: check_token is on and the URL lacks token or ts. The
// nginx module answers 400 for it, whatever token_check_fail says.
var ErrTokenMissing = errors.New("httpd: anti-steal token or ts parameter missing")

// CheckToken verifies the anti-steal token of a URL (client.md §9): the
// "token" and "ts" query parameters against md5(file id ‖ secret ‖ ts),
// ts read as C's atoi, expired when now-ts > ttl (ts 0 never expires, as
// in C).
//
// Which file id is signed differs between C's tools: fdfs_test and the
// SDK helpers sign "group1/M00/00/00/NAME", the nginx module checks
// "M00/00/00/NAME". Both are accepted: the name without the group first
// (what the module checks, so existing URLs keep working), then with it
// (what the tools make). The error is the codec's (*codec.Error with
// EINVAL, ETIMEDOUT or EPERM) or ErrTokenMissing.
func CheckToken(query, fileID, remote []byte, secret string, ttl, now int64) error {
	token, ok1 := QueryParam(query, "token")
	tsRaw, ok2 := QueryParam(query, "ts")
	if !ok1 || !ok2 {
		return ErrTokenMissing
	}
	ts := atoi32(tsRaw)
	err := codec.CheckToken(unsafeString(token), unsafeString(remote), secret, ts, now, ttl)
	if err != nil && len(fileID) > 0 && isEPERM(err) {
		err = codec.CheckToken(unsafeString(token), unsafeString(fileID), secret, ts, now, ttl)
	}
	return err
}

// isEPERM is apart so that the success path does not move a variable of
// errors.As to the heap.
func isEPERM(err error) bool {
	var ce *codec.Error
	return errors.As(err, &ce) && ce.Errno == codec.EPERM
}

// unsafeString views b as a string without copying: codec.CheckToken only
// reads its arguments during the call, and b is not changed meanwhile.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// atoi32 is C's atoi as the module applies it to ts: leading white space,
// a sign, digits up to the first non-digit, 0 without digits; clamped to
// 32 bits where C's result would be undefined.
func atoi32(b []byte) int64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if n < 1<<31 {
			n = n*10 + int64(b[i]-'0')
		}
	}
	if neg {
		n = -n
	}
	return max(min(n, 1<<31-1), -1<<31)
}
