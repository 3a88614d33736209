package client

import (
	"strconv"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// HTTPToken returns the anti-steal token for fileID (client.md §9) and the
// timestamp it was made for (now): md5 of fileID, secret and the decimal
// timestamp, as C's fdfs_http_gen_token. Pass the file ID in the form the
// HTTP server checks: our storage accepts "group1/M00/..." (what fdfs_test
// signs) and "M00/..." (what the nginx module checks).
func HTTPToken(fileID, secret string, now time.Time) (token string, ts int64, err error) {
	ts = now.Unix()
	token, err = codec.Token(fileID, secret, ts)
	return token, ts, err
}

// HTTPTokenQuery is the query string "token=...&ts=..." for fileID.
func HTTPTokenQuery(fileID, secret string, now time.Time) (string, error) {
	token, ts, err := HTTPToken(fileID, secret, now)
	if err != nil {
		return "", err
	}
	return "token=" + token + "&ts=" + strconv.FormatInt(ts, 10), nil
}
