package codec

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
)

// HTTP anti-steal token (client.md §9):
//
//	token = lower-case hex(MD5(file id ‖ secret ‖ decimal(ts)))
//
// The file id is whatever the URL carries: fdfs_test signs "group/M00/...",
// the nginx module checks the name without the group. These functions take
// it as given.

// TokenLen is the length of a token: 32 lower-case hex digits.
const TokenLen = 32

// tokenBufSize is C's buffer: id + secret + 12 must fit, else ENOSPC.
const tokenBufSize = 256 + 64

// AppendToken appends the token for fileID, secret and ts. ENOSPC when
// len(fileID)+len(secret)+12 > 320, where C refuses too.
func AppendToken(dst []byte, fileID, secret string, ts int64) ([]byte, error) {
	if len(fileID)+len(secret)+12 > tokenBufSize {
		return dst, &Error{Errno: ENOSPC, Layout: "Token", Reason: "file id and secret longer than 308 bytes"}
	}
	var buf [tokenBufSize + 8]byte // ts of 20 digits still fits
	b := append(buf[:0], fileID...)
	b = append(b, secret...)
	b = strconv.AppendInt(b, ts, 10)
	sum := md5.Sum(b)
	return hex.AppendEncode(dst, sum[:]), nil
}

// Token returns the token for fileID, secret and ts.
func Token(fileID, secret string, ts int64) (string, error) {
	var buf [TokenLen]byte
	b, err := AppendToken(buf[:0], fileID, secret, ts)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// CheckToken verifies a token the way C's fdfs_http_check_token does:
// EINVAL unless it is 32 characters; ETIMEDOUT when ts != 0 and now-ts >
// ttl (seconds); ENOSPC when the inputs are too long to sign; EPERM when
// it does not match (compared in constant time, case-sensitive like C's
// memcmp). nil means the token is good.
func CheckToken(token, fileID, secret string, ts, now, ttl int64) error {
	if len(token) != TokenLen {
		return &Error{Errno: EINVAL, Layout: "Token", Reason: "length " + strconv.Itoa(len(token)) + ", want 32"}
	}
	if ts != 0 && now-ts > ttl {
		return &Error{Errno: ETIMEDOUT, Layout: "Token", Reason: "expired " +
			strconv.FormatInt(now-ts-ttl, 10) + "s ago"}
	}
	var buf [TokenLen]byte
	want, err := AppendToken(buf[:0], fileID, secret, ts)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, []byte(token)) != 1 {
		return &Error{Errno: EPERM, Layout: "Token", Reason: "token does not match"}
	}
	return nil
}
