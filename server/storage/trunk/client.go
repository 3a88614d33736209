package trunk

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// The storage's side of TRUNK_ALLOC_SPACE, TRUNK_ALLOC_CONFIRM and
// TRUNK_FREE_SPACE: toward its own store when it is the trunk server,
// else one call to the storage the trackers named.

// Put stores content in a new slot, in C's order: allocate at the trunk
// server, write the 24-byte header (from f and ext7) and the content at
// the slot, confirm. A failed write gives the slot back (confirm with the
// error). When this storage is the trunk server the three steps are
// Store.Put: one lock, one binlog write after the slot write. onLoop (an
// event loop's thread) refuses with EAGAIN rather than call a remote trunk
// server: the loop must not block on the network. An upload killed before
// its confirm leaves a held slot that the trunk server's restart frees.
func (d *Side) Put(onLoop bool, storePath int, f codec.NameFields, ext7, content []byte) (codec.TrunkInfo, codec.Errno) {
	st, addr, errno := d.allocator(onLoop, int64(len(content)))
	if errno != codec.OK {
		return codec.TrunkInfo{}, errno
	}
	if addr == "" { // our own store: one binlog write (Store.Put)
		info, err := st.Put(storePath, f, ext7, content)
		if err != nil {
			d.cfg.Log.Error("trunk upload", "slot", String(info), "size", len(content), "err", err)
		}
		return info, errnoOf(err)
	}
	r, errno := d.reserve(st, addr, storePath, int64(len(content)))
	if errno != codec.OK {
		return r.Info, errno
	}
	errno = r.finish(f, ext7, content)
	return r.Info, errno
}

// Reservation is a slot allocated for one upload and held at the trunk
// server until Finish (the file is in it) or Cancel (it is free again).
// A streamed upload writes its content at ContentOffset through File as
// it arrives; the header goes in last, so a slot cut off mid-body never
// claims a file. The zero value holds nothing.
type Reservation struct {
	d    *Side
	st   *Store
	addr string // the trunk server that allocated it ("" ourselves): confirm goes there too
	Info codec.TrunkInfo
}

// Reserve allocates a slot for size bytes of content (plus the header) on
// a store path, through the group's trunk server, and makes sure its
// container exists here. onLoop refuses a remote trunk server (EAGAIN).
func (d *Side) Reserve(onLoop bool, storePath int, size int64) (Reservation, codec.Errno) {
	st, addr, errno := d.allocator(onLoop, size)
	if errno != codec.OK {
		return Reservation{}, errno
	}
	return d.reserve(st, addr, storePath, size)
}

// reserve allocates the slot from the allocator found (Reserve, Put).
func (d *Side) reserve(st *Store, addr string, storePath int, size int64) (Reservation, codec.Errno) {
	info, errno := d.alloc(st, addr, storePath, int32(size)+codec.TrunkSlotHeaderSize)
	if errno != codec.OK {
		return Reservation{Info: info}, errno
	}
	return Reservation{d: d, st: st, addr: addr, Info: info}, codec.OK
}

// allocator is where a slot for size bytes of content comes from: our
// store, and the trunk server's address ("" ourselves). onLoop refuses a
// remote trunk server (EAGAIN).
func (d *Side) allocator(onLoop bool, size int64) (*Store, string, codec.Errno) {
	st, err := d.Store()
	if err != nil {
		return nil, "", codec.EIO
	}
	addr, err := d.ServerAddr()
	if err != nil {
		d.cfg.Log.Warn("trunk alloc", "size", size, "err", err)
		return nil, "", codec.EAGAIN
	}
	if onLoop && addr != "" {
		return nil, "", codec.EAGAIN
	}
	if size < 0 || size+codec.TrunkSlotHeaderSize > int64(1<<31-1) {
		return nil, "", codec.EINVAL
	}
	return st, addr, codec.OK
}

// Held reports whether r holds a slot (neither finished nor cancelled).
func (r *Reservation) Held() bool { return r.st != nil }

func (r *Reservation) slot() codec.TrunkSlot {
	return codec.TrunkSlot{ID: r.Info.FileID, Offset: r.Info.Offset, Size: r.Info.SlotSize}
}

// File is the slot's container, created (sparse) if this storage did not
// have it yet, opened for writing and kept open by the store: the caller
// writes the content through it (diskio's WriteRegion) and never closes it.
func (r *Reservation) File() (*os.File, error) { return r.st.container(r.Info, -1) }

// ContentOffset is where the content starts in the container.
func (r *Reservation) ContentOffset() int64 {
	return int64(r.Info.Offset) + codec.TrunkSlotHeaderSize
}

// Finish writes the slot's header for the file f names (its content,
// f's size and CRC32, is in the slot already) and confirms the slot. A
// failed header write cancels it.
func (r *Reservation) Finish(f codec.NameFields, ext7 []byte) codec.Errno {
	return r.finish(f, ext7, nil)
}

// finish writes the header (and content, when the caller has it whole)
// with one pwritev, then confirms the slot; a failed write cancels it.
func (r *Reservation) finish(f codec.NameFields, ext7, content []byte) codec.Errno {
	hdr := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, f, r.slot(), ext7)
	var b [codec.TrunkSlotHeaderSize]byte
	if err := r.st.WriteSlot(r.Info, hdr.Append(b[:0]), content); err != nil {
		r.d.cfg.Log.Error("trunk upload: write slot", "slot", String(r.Info), "content", len(content), "err", err)
		r.Cancel(errnoOf(err))
		return errnoOf(err)
	}
	errno := r.d.confirm(r.st, r.addr, r.Info, codec.OK)
	*r = Reservation{Info: r.Info}
	return errno
}

// Cancel gives the slot back to the trunk server's free space (the
// upload failed with status). Bytes written into it stay behind a
// header-less slot, which nothing serves.
func (r *Reservation) Cancel(status codec.Errno) {
	if !r.Held() {
		return
	}
	if status == codec.OK || status == codec.EEXIST {
		status = codec.EIO // these would keep the slot
	}
	r.d.confirm(r.st, r.addr, r.Info, status)
	*r = Reservation{Info: r.Info}
}

// AppendLogic appends the logic name of a file Put stored:
// "Mxx/HH/HH/" + the name's base64 + the slot's + ext7.
func AppendLogic(b []byte, storePath int, info codec.TrunkInfo, f codec.NameFields, ext7 []byte) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, 'M', hex[storePath>>4&0xF], hex[storePath&0xF], '/',
		hex[info.SubPathHigh>>4], hex[info.SubPathHigh&0xF], '/', hex[info.SubPathLow>>4], hex[info.SubPathLow&0xF], '/')
	b = f.AppendB64(b)
	b = codec.TrunkSlot{ID: info.FileID, Offset: info.Offset, Size: info.SlotSize}.AppendB64(b)
	return append(b, ext7...)
}

// alloc takes a slot from the trunk server at addr ("" is ourselves).
func (d *Side) alloc(st *Store, addr string, path int, need int32) (codec.TrunkInfo, codec.Errno) {
	if addr == "" {
		info, err := st.Alloc(path, need)
		if err != nil {
			d.cfg.Log.Error("trunk alloc", "size", need, "err", err)
		}
		return info, errnoOf(err)
	}
	req := codec.TrunkAllocRequest{Group: d.cfg.Group, FileSize: need, StorePathIndex: byte(path)}
	body, err := d.call(addr, codec.CmdTrunkAllocSpace, 0, req.Append(nil), codec.TrunkInfoSize)
	var info codec.TrunkInfo
	if err == nil {
		err = info.Decode(body)
	}
	if err == nil && (int(info.StorePathIndex) != path || info.SlotSize < need) {
		err = fmt.Errorf("trunk server %s allocated %s for %d bytes on path %d", addr, String(info), need, path)
	}
	if err != nil {
		d.cfg.Log.Error("TRUNK_ALLOC_SPACE", "trunk_server", addr, "size", need, "err", err)
		return info, errnoOf(err)
	}
	return info, codec.OK
}

// confirm ends the hold on a slot taken from addr: status 0 keeps it,
// anything else gives it back.
func (d *Side) confirm(st *Store, addr string, info codec.TrunkInfo, status codec.Errno) codec.Errno {
	var err error
	if addr == "" {
		err = st.Confirm(info, status)
	} else {
		req := codec.TrunkSpaceRequest{Group: d.cfg.Group, Trunk: info}
		_, err = d.call(addr, codec.CmdTrunkAllocConfirm, byte(status), req.Append(nil), 0)
	}
	if err != nil {
		d.cfg.Log.Error("TRUNK_ALLOC_CONFIRM", "trunk_server", addr, "slot", String(info), "status", status, "err", err)
		return codec.EIO
	}
	return codec.OK
}

// Free gives a deleted file's slot back: into our own free space when we
// are the trunk server, else with TRUNK_FREE_SPACE to it.
func (d *Side) Free(info codec.TrunkInfo) error {
	addr, err := d.ServerAddr()
	if err != nil {
		return err
	}
	if addr == "" {
		st, err := d.Store()
		if err != nil {
			return err
		}
		return st.Free(info)
	}
	req := codec.TrunkSpaceRequest{Group: d.cfg.Group, Trunk: info}
	_, err = d.call(addr, codec.CmdTrunkFreeSpace, 0, req.Append(nil), 0)
	return err
}

// call is one exchange with the trunk server on a connection of its own;
// the reply body must be want bytes.
func (d *Side) call(addr string, cmd, status byte, body []byte, want int) ([]byte, error) {
	ctx := context.Background()
	c, err := peercall.Dial(ctx, &net.Dialer{Timeout: d.cfg.ConnectTimeout}, addr, d.cfg.NetworkTimeout)
	if err != nil {
		return nil, err
	}
	defer c.NC.Close()
	reply, err := c.Call(ctx, cmd, status, body, nil, 0, "", want)
	if err != nil {
		return nil, err
	}
	if len(reply) != want {
		return nil, fmt.Errorf("%s from %s: reply body %d bytes, want %d", codec.CmdName(cmd), addr, len(reply), want)
	}
	return reply, nil
}
