package tracker

import (
	"testing"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/codec/capture"
)

// upstreamSampleConf holds the values of FastDFS's sample tracker.conf that
// PARAMETER_REQ reports; the C tracker of cluster_startup_fresh ran with it.
var upstreamSampleConf = []string{
	"reserved_storage_space = 20%",
	"use_trunk_file = false",
	"slot_min_size = 256",
	"slot_max_size = 1MB",
	"trunk_alloc_alignment_size = 256",
	"trunk_free_space_merge = true",
	"delete_unused_trunk_files = false",
	"trunk_file_size = 64MB",
	"trunk_create_file_advance = false",
	"trunk_create_file_time_base = 02:00",
	"trunk_create_file_interval = 86400",
	"trunk_create_file_space_threshold = 20G",
	"trunk_init_check_occupying = false",
	"trunk_init_reload_from_binlog = false",
	"trunk_compress_binlog_min_interval = 86400",
	"trunk_compress_binlog_interval = 86400",
	"trunk_compress_binlog_time_base = 03:00",
	"trunk_binlog_max_backups = 7",
	"use_storage_id = false",
	"store_slave_file_use_link = false",
}

// The PARAMETER_REQ reply has the 26 keys of the C tracker in its order,
// byte for byte the 740 bytes of the capture.
func TestParameterReplyMatchesC(t *testing.T) {
	want := captureReply(t, "cluster/cluster_startup_fresh.payload.txt", codec.CmdStorageParameterReq)
	s := startTracker(t, testConf(t, t.TempDir(), upstreamSampleConf...))
	p := dialPeer(t, s, "127.0.0.3")
	st, got := p.call(codec.CmdStorageParameterReq, nil)
	if st != codec.OK || string(got) != string(want) {
		t.Fatalf("PARAMETER_REQ: %s\n got %q\nwant %q", st.Name(), got, want)
	}
	if len(got) != 740 {
		t.Fatalf("%d bytes, want 740", len(got))
	}
	var params codec.Parameters
	_ = params.Decode(got)
	if len(params) != 26 {
		t.Fatalf("%d keys, want 26", len(params))
	}
}

// captureReply is the body of the first reply to cmd in a capture.
func captureReply(t *testing.T, name string, cmd byte) []byte {
	t.Helper()
	dir, err := capture.Dir()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := capture.LoadFile(dir + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex {
		if e.Request.Cmd == cmd && e.Reply != nil {
			return e.Reply.Body
		}
	}
	t.Fatalf("no reply to cmd %d in %s", cmd, name)
	return nil
}
