package codec

import "encoding/binary"

// HeaderSize is the size of the header that starts every packet.
const HeaderSize = 10

// Header starts every request and every reply: the body length (header not
// counted), the command (CmdResp in every reply) and a status byte (an errno
// in replies; 0 in requests except QUERY_FILE_INFO flags and sync creates).
type Header struct {
	BodyLen int64
	Cmd     byte
	Status  byte
}

// Put writes h into the first HeaderSize bytes of dst.
func (h Header) Put(dst []byte) {
	_ = dst[HeaderSize-1]
	binary.BigEndian.PutUint64(dst, uint64(h.BodyLen))
	dst[8] = h.Cmd
	dst[9] = h.Status
}

// Append appends the encoded header to dst.
func (h Header) Append(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.BodyLen))
	return append(dst, h.Cmd, h.Status)
}

// DecodeHeader reads a header from the first HeaderSize bytes of b. A negative
// body length is an error: the C servers close such connections.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, errShortHeader
	}
	h := Header{
		BodyLen: int64(binary.BigEndian.Uint64(b)),
		Cmd:     b[8],
		Status:  b[9],
	}
	if h.BodyLen < 0 {
		return h, errNegativeLength
	}
	return h, nil
}

// Reply returns the header of a reply with the given status and body length.
func Reply(status byte, bodyLen int) Header {
	return Header{BodyLen: int64(bodyLen), Cmd: CmdResp, Status: status}
}

// Request returns the header of a request with the given command and body length.
func Request(cmd byte, bodyLen int) Header {
	return Header{BodyLen: int64(bodyLen), Cmd: cmd}
}
