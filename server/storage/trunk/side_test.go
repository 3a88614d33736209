package trunk

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// testSide is a configured side in its own directories; me is its address.
func testSide(t *testing.T, me string) *Side {
	t.Helper()
	d := &Side{}
	d.Configure(SideConfig{Group: []byte("group1"), BasePath: t.TempDir(), StorePaths: []string{t.TempDir()},
		PickDir: func([]byte) (int, int) { return 0, 0 },
		IsMe:    func(ip string, port int) bool { return net.JoinHostPort(ip, strconv.Itoa(port)) == me },
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil))})
	d.SetParams(codec.Parameters{{Key: "use_trunk_file", Value: "1"}, {Key: "slot_min_size", Value: "256"},
		{Key: "slot_max_size", Value: "4096"}, {Key: "trunk_file_size", Value: "1048576"}})
	t.Cleanup(d.Close)
	return d
}

func name(addr string) codec.StorageBrief {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return codec.StorageBrief{IP: []byte(host), Port: int32(p)}
}

// serveSide answers trunk commands for d on a loopback listener, one
// request per connection as the client side sends them.
func serveSide(t *testing.T, d *Side) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.2.77:0")
	if err != nil {
		t.Skip("no 127.0.2.77 on this host:", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			var h [codec.HeaderSize]byte
			if _, err := io.ReadFull(c, h[:]); err == nil {
				hdr, _ := codec.DecodeHeader(h[:])
				body := make([]byte, hdr.BodyLen)
				_, _ = io.ReadFull(c, body)
				errno, reply := d.Serve(hdr.Cmd, hdr.Status, body, c.RemoteAddr().String())
				out := codec.Reply(byte(errno), len(reply)).Append(nil)
				_, _ = c.Write(append(out, reply...))
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// A member allocates, writes and frees through the trunk server's Serve
// over a real socket; the trunk server's free space and binlog follow, and
// C's refusals hold on both sides.
func TestSidePutFreeThroughTrunkServer(t *testing.T) {
	srvAddr := "127.0.2.77:0"
	server := testSide(t, srvAddr) // IsMe fixed below once the port is known
	addr := serveSide(t, server)
	server.cfg.IsMe = func(ip string, port int) bool { return net.JoinHostPort(ip, strconv.Itoa(port)) == addr }
	member := testSide(t, "127.0.2.78:23000")

	f := codec.NameFields{Source: 1, Timestamp: uint32(time.Now().Unix()), SizeField: codec.TrunkSizeField(5, 0), CRC32: 7}
	if _, errno := member.Put(false, 0, f, []byte(".txt\x00\x00\x00"), []byte("hello")); errno != codec.EAGAIN {
		t.Fatalf("Put before any trunk server named: %v, want EAGAIN", errno)
	}
	member.NoteServer(name(addr))
	server.NoteServer(name(addr))
	if !server.IsServer() || member.IsServer() {
		t.Fatalf("IsServer: server %v member %v", server.IsServer(), member.IsServer())
	}
	if _, errno := member.Put(true, 0, f, nil, []byte("hello")); errno != codec.EAGAIN {
		t.Fatalf("Put on a loop with a remote trunk server: %v, want EAGAIN", errno)
	}
	info, errno := member.Put(false, 0, f, nil, []byte("hello"))
	if errno != codec.OK {
		t.Fatalf("Put: %v", errno)
	}
	if info.SlotSize != 256 || info.FileID != 1 || info.Offset != 0 {
		t.Fatalf("slot %s, want 1@0+256", String(info))
	}
	sst, _ := server.Store()
	if sst.Held(info) {
		t.Fatal("slot still held after confirm")
	}
	free := sst.FreeBytes()
	// the content is in the member's container, after the header
	mst, _ := member.Store()
	path, _ := mst.ContainerPath(info)
	b, err := os.ReadFile(path)
	if err != nil || string(b[codec.TrunkSlotHeaderSize:codec.TrunkSlotHeaderSize+5]) != "hello" {
		t.Fatalf("member's container: %v", err)
	}
	if err := member.Free(info); err != nil {
		t.Fatal(err)
	}
	if got := sst.FreeBytes(); got != free+256 {
		t.Fatalf("free bytes %d after free, want %d", got, free+256)
	}
	// the trunk server refuses a binlog push; the member refuses allocation
	chunk := []byte("1796626377 A 0 0 0 1 0 256\n")
	if errno, _ := server.Serve(codec.CmdTrunkSyncBinlog, 0, chunk, "test"); errno != codec.EINVAL {
		t.Fatalf("TRUNK_SYNC_BINLOG on the trunk server: %v, want EINVAL", errno)
	}
	req := codec.TrunkAllocRequest{Group: []byte("group1"), FileSize: 100}
	if errno, _ := member.Serve(codec.CmdTrunkAllocSpace, 0, req.Append(nil), "test"); errno != codec.EINVAL {
		t.Fatalf("TRUNK_ALLOC_SPACE on a member: %v, want EINVAL", errno)
	}
	if errno, _ := member.Serve(codec.CmdTrunkSyncBinlog, 0, chunk, "test"); errno != codec.OK {
		t.Fatalf("TRUNK_SYNC_BINLOG on a member: %v", errno)
	}
	other := codec.TrunkAllocRequest{Group: []byte("group2"), FileSize: 100}
	if errno, _ := server.Serve(codec.CmdTrunkAllocSpace, 0, other.Append(nil), "test"); errno != codec.EINVAL {
		t.Fatalf("TRUNK_ALLOC_SPACE for another group: %v, want EINVAL", errno)
	}
	big := codec.TrunkAllocRequest{Group: []byte("group1"), FileSize: 5000}
	if errno, _ := server.Serve(codec.CmdTrunkAllocSpace, 0, big.Append(nil), "test"); errno != codec.EINVAL {
		t.Fatalf("TRUNK_ALLOC_SPACE above slot_max_size: %v, want EINVAL", errno)
	}
	if !server.RaiseContainerID(9) || server.ContainerID() != 9 || server.RaiseContainerID(3) {
		t.Fatalf("RaiseContainerID: id %d", server.ContainerID())
	}
	var zero Side
	if _, err := zero.Store(); err == nil || zero.On() || !errors.Is(zero.Free(info), codec.EAGAIN) {
		t.Fatal("an unconfigured side must be off and refuse")
	}
}
