package storage

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// TestCountersMatchC runs, on our group of two, the steps that were run on a
// C 6.16.1 group of two (buff_size 256KB) and compares the BEAT counters
// with what C's fdfs_monitor showed then:
//
//	upload 5,000 B, 100 KiB, 2 MiB and 600,000 B to A, download each from A,
//	then a delete, a get-metadata and a set-metadata of a missing file on A.
//
//	A: total/success_upload_count 4, download 4, upload/download bytes
//	   2,804,552, file_open 8, file_read 14, file_write 14, delete,
//	   get_meta and set_meta counts 0
//	B: total/success_sync_in_bytes 2,804,552, file_open 4, file_write 14
//
// (a) the receiver counted total_sync_in_bytes once per decode attempt
// (5,000 B twice); (b) failing delete/meta commands bumped their totals;
// (c) the file counters stayed 0.
func TestCountersMatchC(t *testing.T) {
	tracker, port := syncGroup(t)
	cl := syncClient(t, tracker)
	ctx := ctxT(t)
	a := startMember(t, cl, 2, port, tracker)
	b := startMember(t, cl, 3, port, tracker)

	sizes := []int{5000, 100 << 10, 2 << 20, 600000}
	var ids []string
	for i, n := range sizes {
		id, err := cl.Upload(ctx, bytes.NewReader(randBytes(uint64(i+1), n)), int64(n), "", client.OnStorage(a.storage()))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if _, err := cl.DownloadFrom(ctx, a.storage(), id, io.Discard, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	// a name of A's that does not exist: the tracker routes it to A
	missing := ids[0][:len(ids[0])-4] + "XXXX"
	for what, err := range map[string]error{
		"delete":  cl.Delete(ctx, missing),
		"setmeta": cl.SetMetadata(ctx, missing, []client.Meta{{Name: "a", Value: "b"}}, false),
	} {
		if !errors.Is(err, codec.ENOENT) {
			t.Fatalf("%s of a missing file: %v, want ENOENT", what, err)
		}
	}
	if _, err := cl.GetMetadata(ctx, missing); !errors.Is(err, codec.ENOENT) {
		t.Fatalf("getmeta of a missing file: %v, want ENOENT", err)
	}
	waitUntil(t, "B has every file", func() (bool, string) {
		for i, id := range ids {
			if !b.hasFile(id, randBytes(uint64(i+1), sizes[i])) {
				return false, id
			}
		}
		return true, ""
	})

	var sa, sb codec.StatBlock
	a.srv.stats.Snapshot(&sa)
	b.srv.stats.Snapshot(&sb)
	const bytesAll = 5000 + 100<<10 + 2<<20 + 600000 // 2,804,552
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"A total_upload_count", sa.TotalUploadCount, 4}, {"A success_upload_count", sa.SuccessUploadCount, 4},
		{"A total_download_count", sa.TotalDownloadCount, 4}, {"A success_download_count", sa.SuccessDownloadCount, 4},
		{"A total_upload_bytes", sa.TotalUploadBytes, bytesAll}, {"A total_download_bytes", sa.TotalDownloadBytes, bytesAll},
		{"A total_delete_count", sa.TotalDeleteCount, 0}, {"A total_get_meta_count", sa.TotalGetMetaCount, 0},
		{"A total_set_meta_count", sa.TotalSetMetaCount, 0},
		{"A total_file_open_count", sa.TotalFileOpenCount, 8}, {"A success_file_open_count", sa.SuccessFileOpenCount, 8},
		{"A total_file_read_count", sa.TotalFileReadCount, 14}, {"A success_file_read_count", sa.SuccessFileReadCount, 14},
		{"A total_file_write_count", sa.TotalFileWriteCount, 14}, {"A success_file_write_count", sa.SuccessFileWriteCount, 14},
		{"B total_sync_in_bytes", sb.TotalSyncInBytes, bytesAll}, {"B success_sync_in_bytes", sb.SuccessSyncInBytes, bytesAll},
		{"B total_file_open_count", sb.TotalFileOpenCount, 4}, {"B success_file_open_count", sb.SuccessFileOpenCount, 4},
		{"B total_file_write_count", sb.TotalFileWriteCount, 14}, {"B total_file_read_count", sb.TotalFileReadCount, 0},
		{"B total_upload_count", sb.TotalUploadCount, 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, C counts %d", c.name, c.got, c.want)
		}
	}
}
