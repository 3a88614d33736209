// Package httpd is the pure part of the storage's HTTP download server:
// request head parsing, the file path of a URL, Range and conditional
// request rules, the anti-steal token check, the MIME table, response heads
// and access log lines. It knows no sockets and no disk: server/storage
// feeds it bytes from gnet and sends what it builds with the disk workers.
//
// The parser is our own, not a library's: the server answers only GET and
// HEAD without bodies, reads the head in place from gnet's buffer, and must
// not allocate per request. net/http's reader needs a bufio.Reader and
// allocates a Header map per request; fasthttp's parser is tied to its own
// server loop and buffers. What is parsed here is the small part of
// RFC 9112 such a server needs: the request line, header fields (folded
// lines refused), Connection, Range, If-None-Match, If-Modified-Since,
// If-Range, and for the access log Referer and User-Agent.
package httpd
