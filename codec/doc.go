// Package codec is the FastDFS wire: the 10-byte header, command and status
// codes, and every request and reply body that clients, trackers and storages
// exchange, as typed encode/decode. It knows no sockets and no files.
//
// Conventions every layout in this package follows:
//
//   - A body layout is a struct named after what it is (UploadRequest,
//     QueryStoreReply, StorageStat). The 10-byte header is never part of it.
//   - Encoding: Size() int is the body length; Append(dst []byte) []byte
//     appends the body to dst. With a dst of enough capacity it allocates
//     nothing, so the hot paths encode into pooled buffers.
//   - Decoding: Decode(body []byte) error fills the struct from a whole body
//     and applies the length rules the C servers apply, returning an *Error
//     whose Errno is the status a C server would answer (EINVAL mostly).
//     []byte fields alias body (no copy, no allocation): they are valid only
//     as long as the caller keeps body unchanged.
//   - Requests whose body ends in streamed file content (uploads, appends,
//     sync creates) decode only their fixed part with DecodeFixed and say how
//     many content bytes follow.
//   - Fixed-width text fields are written zero-padded and read up to the
//     first NUL: C senders leave garbage after the NUL in some fields.
//   - All integers are big-endian, as on the wire.
package codec
