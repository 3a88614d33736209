package clustertest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// A step is one query and what C would answer. The expected answers are
// worked out from the rules of cluster.md §5 and §4.9 for the cluster each
// case sets up, not taken from our tracker's output.
type step struct {
	op    string // "store" (QUERY_STORE_*_ONE), "storeall" (*_ALL), "fetch" (QUERY_FETCH_ONE), "update" (QUERY_UPDATE)
	group string // store(all): "" for WITHOUT_GROUP, else WITH_GROUP; fetch/update: the file's group
	file  string // fetch/update: "old", "future" or "appender", created on storage src
	src   int
	want  string // store: "group ip pN"; storeall: "group ip,ip pN"; fetch/update: ip; or an errno name
}

// A policyCase is a tracker.conf, the four storages' set-up and the queries
// asked in order (the round robins carry state from one to the next).
type policyCase struct {
	name   string
	conf   []string
	layout layout
	steps  []step
}

// policyCases are the cases; storage i of the cluster is written {i} in
// want and replaced by its address: "group1 {0} p0". Storages 0 and 1 are
// group1, 2 and 3 group2; ids (IPs) sort in that order.
func policyCases() []policyCase {
	rr := []string{"store_lookup = 0", "store_server = 0", "store_path = 0", "reserved_storage_space = 1M"}
	return []policyCase{
		{
			// §5.1 mode 0: start at current_write_group (group1), advance by one
			// after each choice; §5.2 mode 0: each group's own round robin over
			// its writable list sorted by id; §5.3 mode 0: each server's own path
			// round robin, advanced after each choice.
			name: "lookup0 server0 path0 round robin", conf: rr,
			steps: []step{
				{op: "store", want: "group1 {0} p0"}, {op: "store", want: "group2 {2} p0"},
				{op: "store", want: "group1 {1} p0"}, {op: "store", want: "group2 {3} p0"},
				{op: "store", want: "group1 {0} p1"}, {op: "store", want: "group2 {2} p1"},
				{op: "store", want: "group1 {1} p1"}, {op: "store", want: "group2 {3} p1"},
				// an explicit group takes that group's next server; the group
				// round robin is not advanced by it
				{op: "store", group: "group2", want: "group2 {2} p0"},
				{op: "store", want: "group1 {0} p0"},
				{op: "store", group: "group9", want: "ENOENT"},
			},
		},
		{
			// §5.2: the _ALL forms list every writable server and compute the
			// path for the first one (whose path round robin moves); they move
			// the group round robin like the ONE forms but not the group's
			// server round robin.
			name: "store all", conf: rr,
			steps: []step{
				{op: "storeall", want: "group1 {0},{1} p0"},
				{op: "storeall", want: "group2 {2},{3} p0"},
				{op: "store", want: "group1 {0} p1"},
				{op: "storeall", group: "group1", want: "group1 {0},{1} p0"},
				{op: "store", want: "group2 {2} p1"},
				{op: "storeall", group: "group9", want: "ENOENT"},
			},
		},
		{
			// §5.1 mode 1: always store_group; an explicit group still wins.
			// §5.2 mode 1: the first of the writable list sorted by id, though
			// it joined last.
			name: "lookup1 server1 first by id",
			conf: []string{"store_lookup = 1", "store_group = group2", "store_server = 1", "store_path = 0",
				"reserved_storage_space = 1M"},
			steps: []step{
				{op: "store", want: "group2 {2} p0"}, {op: "store", want: "group2 {2} p1"},
				{op: "store", want: "group2 {2} p0"},
				{op: "store", group: "group1", want: "group1 {0} p0"},
				{op: "store", want: "group2 {2} p1"},
			},
		},
		{
			// §5.1 mode 1 with a group that does not exist: ENOENT.
			name: "lookup1 unknown store_group",
			conf: []string{"store_lookup = 1", "store_group = group9", "reserved_storage_space = 1M"},
			steps: []step{
				{op: "store", want: "ENOENT"},
				{op: "store", group: "group1", want: "group1 {0} p0"},
			},
		},
		{
			// §5.2 mode 2: the smallest upload_priority, whatever its id.
			name: "server2 upload priority",
			conf: []string{"store_lookup = 1", "store_group = group1", "store_server = 2", "store_path = 0",
				"reserved_storage_space = 1M"},
			layout: layout{priority: [4]int{10, 5, 7, 3}},
			steps: []step{
				{op: "store", want: "group1 {1} p0"}, {op: "store", want: "group1 {1} p1"},
				{op: "store", group: "group2", want: "group2 {3} p0"},
				{op: "store", want: "group1 {1} p0"},
			},
		},
		{
			// §5.3 mode 2: the freest path, set by each disk report, never
			// advanced by a choice.
			name: "path2 freest path",
			conf: []string{"store_lookup = 1", "store_group = group1", "store_server = 1", "store_path = 2",
				"reserved_storage_space = 1M"},
			layout: layout{pathMB: [4][]int{{16, 48}, {16, 16}, {48, 16}, {16, 16}}},
			steps: []step{
				{op: "store", want: "group1 {0} p1"}, {op: "store", want: "group1 {0} p1"},
				{op: "store", group: "group2", want: "group2 {2} p0"},
				{op: "store", group: "group2", want: "group2 {2} p0"},
				{op: "store", want: "group1 {0} p1"},
			},
		},
		{
			// §5.1 mode 2: the group with the most free MB (a group's free MB is
			// its least free member's), although it sorts second; not advanced
			// by a choice.
			name:   "lookup2 freest group",
			conf:   []string{"store_lookup = 2", "store_server = 0", "store_path = 0", "reserved_storage_space = 1M"},
			layout: layout{pathMB: [4][]int{{16, 16}, {64, 64}, {48, 48}, {24, 24}}},
			steps: []step{
				{op: "store", want: "group2 {2} p0"}, {op: "store", want: "group2 {3} p0"},
				{op: "store", want: "group2 {2} p1"}, {op: "store", want: "group2 {3} p1"},
				{op: "store", group: "group1", want: "group1 {0} p0"},
			},
		},
		{
			// §5.8 MB form, group check: the sum of a member's paths must exceed
			// the reserve; group1's members have 32 MB, group2's 96 MB, so every
			// query lands in group2 and group1 asked by name is ENOSPC.
			name:   "reserved MB skips a full group",
			conf:   []string{"store_lookup = 0", "store_server = 0", "store_path = 0", "reserved_storage_space = 64M"},
			layout: layout{pathMB: [4][]int{{16, 16}, {16, 16}, {48, 48}, {48, 48}}},
			steps: []step{
				{op: "store", want: "group2 {2} p0"}, {op: "store", want: "group2 {3} p0"},
				{op: "store", group: "group1", want: "ENOSPC"},
				{op: "store", want: "group2 {2} p1"},
			},
		},
		{
			// §5.8 MB form, path check: reserve/path count (64/2 = 32 MB) per
			// path; storage 0's first path (16 MB) never qualifies, so its
			// round robin keeps landing on path 1.
			name: "reserved MB per path",
			conf: []string{"store_lookup = 1", "store_group = group1", "store_server = 1", "store_path = 0",
				"reserved_storage_space = 64M"},
			layout: layout{pathMB: [4][]int{{16, 96}, {48, 48}, {48, 48}, {48, 48}}},
			steps: []step{
				{op: "store", want: "group1 {0} p1"}, {op: "store", want: "group1 {0} p1"},
				{op: "store", want: "group1 {0} p1"},
				{op: "store", group: "group2", want: "group2 {2} p0"},
			},
		},
		{
			// §5.8 ratio form: per group (least free member's free/total) and per
			// path. Storage 0 is 62% used: group1 fails. Storage 2's first path is
			// 62% used: group2 passes (its whole is 69% free) but that path is
			// skipped.
			name: "reserved ratio",
			conf: []string{"store_lookup = 0", "store_server = 0", "store_path = 0", "reserved_storage_space = 50%"},
			layout: layout{pathMB: [4][]int{{32, 32}, {32, 32}, {32, 32}, {32, 32}},
				fillMB: [4][]int{{20, 20}, nil, {20, 0}, nil}},
			steps: []step{
				{op: "store", want: "group2 {2} p1"}, {op: "store", want: "group2 {3} p0"},
				{op: "store", want: "group2 {2} p1"},
				{op: "store", group: "group1", want: "ENOSPC"},
			},
		},
		{
			// no group has the reserved space: ENOSPC with and without a group.
			name:   "reserved everywhere",
			conf:   []string{"store_lookup = 2", "reserved_storage_space = 500M"},
			layout: layout{pathMB: [4][]int{{16, 16}, {16, 16}, {16, 16}, {16, 16}}},
			steps: []step{
				{op: "store", want: "ENOSPC"}, {op: "store", group: "group2", want: "ENOSPC"},
			},
		},
		{
			// §4.9 download_server 0: round robin over the readable list from the
			// group's current_read_server, first eligible one wins and the next
			// start is its index + 1. An old file (created before now -
			// storage_sync_file_max_delay) is eligible everywhere; a file newer
			// than every replica's last synced timestamp only on its source;
			// an appender file only on its source. QUERY_UPDATE: the source.
			name: "download0 round robin", conf: append(rr, "download_server = 0"),
			steps: []step{
				{op: "fetch", group: "group1", file: "old", src: 1, want: "{0}"},
				{op: "fetch", group: "group1", file: "future", src: 0, want: "{0}"},
				{op: "fetch", group: "group1", file: "old", src: 1, want: "{1}"},
				{op: "fetch", group: "group1", file: "old", src: 1, want: "{0}"},
				{op: "fetch", group: "group1", file: "appender", src: 1, want: "{1}"},
				{op: "fetch", group: "group2", file: "future", src: 3, want: "{3}"},
				{op: "fetch", group: "group2", file: "old", src: 3, want: "{2}"},
				{op: "update", group: "group1", file: "old", src: 0, want: "{0}"},
				{op: "update", group: "group2", file: "old", src: 3, want: "{3}"},
				{op: "fetch", group: "group9", file: "old", src: 3, want: "ENOENT"},
			},
		},
		{
			// §4.9 download_server 1: the source when it is readable.
			name: "download1 source first", conf: append(rr, "download_server = 1"),
			steps: []step{
				{op: "fetch", group: "group1", file: "old", src: 1, want: "{1}"},
				{op: "fetch", group: "group1", file: "old", src: 1, want: "{1}"},
				{op: "fetch", group: "group1", file: "old", src: 0, want: "{0}"},
				{op: "fetch", group: "group2", file: "old", src: 3, want: "{3}"},
				{op: "fetch", group: "group2", file: "future", src: 2, want: "{2}"},
			},
		},
	}
}

// TestPolicies runs every case on its own tracker and 2 groups x 2
// in-process storages.
func TestPolicies(t *testing.T) {
	for _, tc := range policyCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			blk := newBlock(t)
			tr := newTracker(t, blk.trackerIP(0), tc.conf...)
			c := startTwoGroups(t, blk, tc.layout, tr.addr)
			cl := newClient(t, tr.addr)
			c.waitReady(t, cl)
			for i, st := range tc.steps {
				want := c.expand(st.want)
				if got := c.run(t, cl, st); got != want {
					t.Errorf("step %d %s %s %s@%d: got %q, want %q", i, st.op, st.group, st.file, st.src, got, want)
				}
			}
		})
	}
}

// expand replaces {i} by storage i's IP.
func (c *twoGroups) expand(s string) string {
	for i, sp := range c.specs {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", sp.ip)
	}
	return s
}

// run asks the tracker what the step asks and renders the answer like want.
func (c *twoGroups) run(t testing.TB, cl *client.Client, st step) string {
	t.Helper()
	switch st.op {
	case "store":
		return queryStore(t, cl, st.group)
	case "storeall":
		all, err := cl.QueryStoreAll(ctx(t), st.group)
		if err != nil {
			return errName(t, err)
		}
		var ips []string
		for _, s := range all {
			ips = append(ips, ipOf(s))
		}
		return all[0].Group + " " + strings.Join(ips, ",") + " p" + strconv.Itoa(all[0].StorePathIndex)
	}
	id := fileFor(st, c.specs[st.src].ip)
	var s client.StorageServer
	var err error
	switch st.op {
	case "fetch":
		s, err = cl.QueryFetch(ctx(t), id)
	case "update":
		s, err = cl.QueryUpdate(ctx(t), id)
	default:
		t.Fatalf("unknown op %q", st.op)
	}
	if err != nil {
		return errName(t, err)
	}
	return ipOf(s)
}

// fileFor is the file ID a step asks about, created on srcIP.
func fileFor(st step, srcIP string) string {
	now := time.Now()
	switch st.file {
	case "old":
		return fileIDAt(st.group, srcIP, now.Add(-48*time.Hour), false)
	case "future":
		// newer than any replica can have synced: only the source qualifies
		return fileIDAt(st.group, srcIP, now.Add(time.Hour), false)
	case "appender":
		return fileIDAt(st.group, srcIP, now.Add(-48*time.Hour), true)
	}
	panic("unknown file kind " + st.file)
}
