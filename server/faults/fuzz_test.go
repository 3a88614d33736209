package faults

import (
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// fuzzFrames fuzzes whole packets against a live daemon: each input goes
// out on a fresh connection as it is, and afterwards the daemon must still
// be running and answer ACTIVE_TEST on another connection. The codec's
// fuzz targets cover each body layout alone; this one covers the servers'
// framing, dispatch and state machines around them. Coverage guidance
// sees only this process, not the daemon, so under -fuzz the mutations are
// blind; the seeds run as live regression tests in every `make test`.
func fuzzFrames(f *testing.F, storage bool) {
	upload := func(size int64, body string) []byte {
		b := frame(15+int64(len(body)), codec.CmdUploadFile, 0, nil)
		b = append(b, 0)
		b = binary.BigEndian.AppendUint64(b, uint64(size))
		b = append(b, "txt\x00\x00\x00"...)
		return append(b, body...)
	}
	f.Add(frame(0, codec.CmdActiveTest, 0, nil))
	f.Add(frame(-1, codec.CmdActiveTest, 0, nil))
	f.Add(frame(0, codec.CmdQueryStoreWithoutGroupOne, 0, nil))
	f.Add(frame(16, codec.CmdQueryStoreWithGroupOne, 0, []byte("group1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")))
	f.Add(upload(4, "abcd"))
	f.Add(upload(1<<40, "abcd"))
	f.Add(append(upload(4, "abcd"), frame(0, codec.CmdActiveTest, 0, nil)...))
	f.Add(frame(60, codec.CmdDownloadFile, 0, []byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00group1")))
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))

	c := newCluster(f)
	tr := c.addTracker("127.0.10.1")
	target := tr
	if storage {
		target = c.addStorage(storageSpec{ip: "127.0.10.2", extra: []string{"network_timeout = 2"}})
	}
	cl, err := client.New(client.Config{Trackers: []string{tr.Addr}, ConnectTimeout: 2 * time.Second,
		NetworkTimeout: 5 * time.Second, MaxIdlePerServer: -1})
	if err != nil {
		f.Fatal(err)
	}
	defer cl.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		conn, err := net.DialTimeout("tcp", target.Addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", target.Addr, err)
		}
		_ = conn.SetDeadline(time.Now().Add(20 * time.Millisecond))
		_, _ = conn.Write(data)
		var buf [512]byte
		_, _ = conn.Read(buf[:])
		conn.Close()
		if !target.Running() {
			t.Fatalf("%s died on %x:\n%s", target.Prog, data, target.LogTail(4000))
		}
		if err := cl.ActiveTest(context.Background(), target.Addr); err != nil {
			t.Fatalf("%s stopped answering after %x: %v", target.Prog, data, err)
		}
	})
}

func FuzzStorageFrames(f *testing.F) { fuzzFrames(f, true) }
func FuzzTrackerFrames(f *testing.F) { fuzzFrames(f, false) }
