package tracker

import (
	"encoding/binary"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// Malformed packets are answered or closed as the C tracker does, and never
// disturb other connections.
func TestMalformedPackets(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()))
	bystander := dialPeer(t, s, "127.0.0.9")

	raw := func(hdr []byte, body []byte) []byte { return append(append([]byte{}, hdr...), body...) }
	header := func(n int64, cmd byte) []byte {
		h := make([]byte, codec.HeaderSize)
		binary.BigEndian.PutUint64(h, uint64(n))
		h[8] = cmd
		return h
	}
	cases := []struct {
		name      string
		packet    []byte
		wantClose bool
		wantErrno codec.Errno
	}{
		{"negative length", header(-1, codec.CmdActiveTest), true, 0},
		{"larger than max_buff_size", header(s.maxBody+1, codec.CmdQueryStoreWithoutGroupOne), true, 0},
		{"quit", header(0, codec.CmdQuit), true, 0},
		{"unknown command", header(3, 200), false, codec.EINVAL},
		{"active test with a body", header(1, codec.CmdActiveTest), false, codec.EINVAL},
		{"query store with a body", header(2, codec.CmdQueryStoreWithoutGroupOne), false, codec.EINVAL},
		{"beat before join", header(0, codec.CmdStorageBeat), false, codec.EACCES},
		{"disk usage before join", header(16, codec.CmdStorageReportDiskUsage), false, codec.EACCES},
		{"sync report before join", header(20, codec.CmdStorageSyncReport), false, codec.EACCES},
		{"change status before join", header(1, codec.CmdStorageChangeStatus), false, codec.EACCES},
		{"sync dest req before join", header(0, codec.CmdStorageSyncDestReq), false, codec.EACCES},
		{"garbage join", header(20, codec.CmdStorageJoin), false, codec.EINVAL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := dialPeer(t, s, "127.0.0.8")
			n := tc.packet
			bodyLen := int64(binary.BigEndian.Uint64(n))
			if bodyLen > 0 && bodyLen < 1000 {
				n = raw(n, make([]byte, bodyLen))
			}
			if _, err := p.conn.Write(n); err != nil {
				t.Fatal(err)
			}
			if tc.wantClose {
				if !p.closed() {
					t.Fatal("connection kept open")
				}
			} else {
				st, body, err := p.readReply()
				if err != nil {
					t.Fatalf("no reply: %v", err)
				}
				if st != tc.wantErrno || len(body) != 0 {
					t.Fatalf("reply %s with %d bytes, want %s header only", st.Name(), len(body), tc.wantErrno.Name())
				}
				// the connection stays usable
				if st, _ := p.call(codec.CmdActiveTest, nil); st != codec.OK {
					t.Fatalf("ACTIVE_TEST after the error: %s", st.Name())
				}
			}
			if st, _ := bystander.call(codec.CmdActiveTest, nil); st != codec.OK {
				t.Fatalf("bystander ACTIVE_TEST: %s", st.Name())
			}
		})
	}
}

// Requests sent back to back on one connection are answered in order.
func TestPipelinedRequests(t *testing.T) {
	s := startTracker(t, testConf(t, t.TempDir()))
	p := dialPeer(t, s, "127.0.0.2")
	var pkt []byte
	pkt = codec.Request(codec.CmdActiveTest, 0).Append(pkt)
	pkt = codec.Request(200, 0).Append(pkt)
	pkt = codec.Request(codec.CmdServerListAllGroups, 0).Append(pkt)
	if _, err := p.conn.Write(pkt); err != nil {
		t.Fatal(err)
	}
	for i, want := range []codec.Errno{codec.OK, codec.EINVAL, codec.OK} {
		st, _, err := p.readReply()
		if err != nil || st != want {
			t.Fatalf("reply %d: %v %s, want %s", i, err, st.Name(), want.Name())
		}
	}
}
