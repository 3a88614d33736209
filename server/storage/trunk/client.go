package trunk

import (
	"context"
	"fmt"
	"net"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// The storage's side of TRUNK_ALLOC_SPACE, TRUNK_ALLOC_CONFIRM and
// TRUNK_FREE_SPACE: toward its own store when it is the trunk server,
// else one call to the storage the trackers named.

// Put stores content in a new slot, in C's order: allocate at the trunk
// server, write the 24-byte header (from f and ext7) and the content at
// the slot, confirm. A failed write gives the slot back (confirm with the
// error). onLoop (an event loop's thread) refuses with EAGAIN rather than
// call a remote trunk server: the loop must not block on the network. An
// upload killed before its confirm leaves a held slot that the trunk
// server's restart frees.
func (d *Side) Put(onLoop bool, storePath int, f codec.NameFields, ext7, content []byte) (codec.TrunkInfo, codec.Errno) {
	st, err := d.Store()
	if err != nil {
		return codec.TrunkInfo{}, codec.EIO
	}
	// one trunk server for the whole upload: alloc and confirm go to the same
	addr, err := d.ServerAddr()
	if err != nil {
		d.cfg.Log.Warn("trunk alloc", "size", len(content), "err", err)
		return codec.TrunkInfo{}, codec.EAGAIN
	}
	if onLoop && addr != "" {
		return codec.TrunkInfo{}, codec.EAGAIN
	}
	need := int32(len(content)) + codec.TrunkSlotHeaderSize
	info, errno := d.alloc(st, addr, storePath, need)
	if errno != codec.OK {
		return info, errno
	}
	slot := codec.TrunkSlot{ID: info.FileID, Offset: info.Offset, Size: info.SlotSize}
	hdr := codec.TrunkSlotHeaderFor(codec.TrunkSlotRegular, f, slot, ext7)
	var hdrBuf [codec.TrunkSlotHeaderSize]byte
	if err := st.WriteSlot(info, hdr.Append(hdrBuf[:0]), content); err != nil {
		d.cfg.Log.Error("trunk upload: write slot", "slot", String(info), "err", err)
		d.confirm(st, addr, info, errnoOf(err))
		return info, errnoOf(err)
	}
	return info, d.confirm(st, addr, info, codec.OK)
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
