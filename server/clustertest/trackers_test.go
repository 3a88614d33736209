package clustertest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

// view renders what a tracker knows of the two groups that does not move
// with time: per storage its id, address, join time, priority, paths and
// version, and (withStatus) its status.
func view(t *testing.T, cl *client.Client, withStatus bool) string {
	t.Helper()
	groups, err := cl.ListGroups(ctx(t))
	if err != nil {
		return "LIST_ALL_GROUPS: " + err.Error()
	}
	var b strings.Builder
	for _, g := range groups {
		fmt.Fprintf(&b, "%s count=%d port=%d paths=%d subdirs=%d\n", codec.FixedBytes(g.GroupName),
			g.StorageCount, g.StoragePort, g.StorePathCount, g.SubdirCountPerPath)
		list, err := cl.ListStorages(ctx(t), string(codec.FixedBytes(g.GroupName)), "")
		if err != nil {
			return b.String() + "LIST_STORAGE: " + err.Error()
		}
		var lines []string
		for _, st := range list {
			line := fmt.Sprintf("  %s %s:%d join=%d prio=%d paths=%d subdirs=%d v=%s", codec.FixedBytes(st.ID),
				codec.FixedBytes(st.IP), st.StoragePort, st.JoinTime, st.UploadPriority, st.StorePathCount,
				st.SubdirCountPerPath, codec.FixedBytes(st.Version))
			if withStatus {
				line += fmt.Sprintf(" status=%d", st.Status)
			}
			lines = append(lines, line)
		}
		slices.Sort(lines)
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}

// allStatus waits until the tracker lists every storage of both groups with
// status want.
func (c *twoGroups) allStatus(t *testing.T, cl *client.Client, want byte) {
	t.Helper()
	for _, g := range []string{"group1", "group2"} {
		var ips []string
		for _, sp := range c.specs {
			if sp.group == g {
				ips = append(ips, sp.ip)
			}
		}
		waitUntil(t, fmt.Sprintf("%s status %d at %v", g, want, cl.Trackers()), statusIs(cl, g, want, ips...))
	}
}

// uploadSome stores a few small files through cl and returns their IDs.
func uploadSome(t *testing.T, cl *client.Client, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		data := []byte(fmt.Sprintf("file %d of the cluster test\n", i))
		id, err := cl.Upload(ctx(t), bytes.NewReader(data), int64(len(data)), "txt")
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// answers renders QUERY_FETCH and QUERY_UPDATE for each file.
func answers(t *testing.T, cl *client.Client, ids []string) string {
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		f, ferr := cl.QueryFetch(ctx(t), id)
		u, uerr := cl.QueryUpdate(ctx(t), id)
		fmt.Fprintf(&b, "%s fetch=%s/%v update=%s/%v\n", id, f.Addr, ferr, u.Addr, uerr)
	}
	return b.String()
}

// A tracker restarted from its .dat files knows every group and storage as
// before; until the storages come back it lists them OFFLINE (cluster.md §3.2)
// and hands none out, and once they re-join it answers as before.
func TestTrackerRestartFromStateFiles(t *testing.T) {
	t.Parallel()
	blk := newBlock(t)
	conf := []string{"reserved_storage_space = 1M", "download_server = 1", "check_active_interval = 5"}
	tr := newTracker(t, blk.trackerIP(0), conf...)
	c := startTwoGroups(t, blk, layout{priority: [4]int{10, 5, 7, 3}}, tr.addr)
	cl := newClient(t, tr.addr)
	c.waitReady(t, cl)
	ids := uploadSome(t, cl, 6)
	before, beforeAnswers := view(t, cl, false), answers(t, cl, ids)
	tr.stop()

	// the same base_path on an address no storage knows: only the files speak
	alone := &trackerNode{t: t, addr: blk.trackerIP(1) + ":0", base: tr.base, lines: conf}
	alone.start()
	t.Cleanup(alone.stop)
	acl := newClient(t, alone.addr)
	if got := view(t, acl, false); got != before {
		t.Errorf("restarted from the state files it lists\n%s\nbefore the restart\n%s", got, before)
	}
	c.allStatus(t, acl, client.StatusOffline)
	if got := queryStore(t, acl, ""); got != "ENOENT" {
		t.Errorf("QUERY_STORE with every storage OFFLINE: %s, want ENOENT", got)
	}
	if _, err := acl.QueryFetch(ctx(t), ids[0]); errName(t, err) != "ENOENT" {
		t.Errorf("QUERY_FETCH with every storage OFFLINE: %v, want ENOENT", err)
	}
	alone.stop()

	// back on its own address: the storages re-join and it answers as before
	tr.start()
	c.allStatus(t, cl, client.StatusActive)
	if got := view(t, cl, false); got != before {
		t.Errorf("after the storages re-joined it lists\n%s\nbefore the restart\n%s", got, before)
	}
	if got := answers(t, cl, ids); got != beforeAnswers {
		t.Errorf("after the restart it answers\n%s\nbefore\n%s", got, beforeAnswers)
	}
}

// Two fdfs_trackerd processes: kill -9 the leader, the other is elected, the
// storages hear of it, clients configured with both fail over, and the old
// leader restarted from its files follows the new one (07a, 07b).
func TestLeaderKilledOtherElected(t *testing.T) {
	t.Parallel()
	blk := newBlock(t)
	conf := []string{"reserved_storage_space = 1M", "download_server = 1"}
	trs := []*trackerProc{startTrackerProc(t, blk.trackerIP(0), conf...), startTrackerProc(t, blk.trackerIP(1), conf...)}
	addrs := []string{trs[0].addr, trs[1].addr}
	c := startTwoGroups(t, blk, layout{}, addrs...)
	for _, a := range addrs {
		c.waitReady(t, newClient(t, a))
	}
	leader := waitOneLeader(t, addrs)
	dead, other := trs[0], trs[1]
	if leader == trs[1].addr {
		dead, other = trs[1], trs[0]
	}
	both := newClient(t, dead.addr, other.addr) // the one to die first, as a client would have it
	ids := uploadSome(t, both, 4)

	dead.d.Kill()
	waitUntil(t, "the survivor leads", func() (bool, string) {
		l, err := newClient(t, other.addr).Leader(ctx(t))
		return err == nil && l == other.addr, fmt.Sprintf("leader %q err %v", l, err)
	})
	c.followLeader(t, other.addr)

	// the client fails over: every call still answers, through the survivor
	more := uploadSome(t, both, 2)
	for _, id := range append(ids, more...) {
		var buf bytes.Buffer
		if _, err := both.Download(ctx(t), id, &buf, 0, 0); err != nil {
			t.Errorf("download %s after the leader died: %v", id, err)
		}
	}
	if got := queryStore(t, both, "group2"); !strings.HasPrefix(got, "group2 ") {
		t.Errorf("QUERY_STORE group2 after the leader died: %s", got)
	}

	// the old leader restarted from its files follows the new one
	if err := dead.d.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the restarted tracker follows", func() (bool, string) {
		l, err := newClient(t, dead.addr).Leader(ctx(t))
		return err == nil && l == other.addr, fmt.Sprintf("leader %q err %v", l, err)
	})
	c.allStatus(t, newClient(t, dead.addr), client.StatusActive)
}

// waitOneLeader waits until every tracker names the same leader, one of them.
func waitOneLeader(t *testing.T, addrs []string) string {
	t.Helper()
	var leader string
	waitUntil(t, "one leader", func() (bool, string) {
		var got []string
		for _, a := range addrs {
			l, err := newClient(t, a).Leader(ctx(t))
			if err != nil {
				l = err.Error()
			}
			got = append(got, l)
		}
		leader = got[0]
		for _, l := range got {
			if l != leader || !slices.Contains(addrs, l) {
				return false, strings.Join(got, " ")
			}
		}
		return true, ""
	})
	return leader
}

// A third tracker started later with an empty base_path learns the cluster:
// the storages, given all three trackers, join it; on that first JOIN it
// pulls the state files from the others (cluster.md §2.4), the storages'
// beats make every one ACTIVE there, it follows the existing leader and
// answers like the others; the storages take their member lists from the
// leader; and once the first two trackers stop, the late one leads and
// serves alone.
//
// The storages are first run with the two trackers and then restarted with
// three, as an operator adds a tracker: a storage that has finished its sync
// setup and is known to no tracker joins with status -1 until every tracker
// of its list has answered, and a tracker refuses such an unknown storage
// (EFAULT, cluster.md §1.2 step 8), so with the third tracker named but down
// from the first start it could never join anywhere, in C as here.
func TestLateTrackerLearnsEveryStorage(t *testing.T) {
	t.Parallel()
	blk := newBlock(t)
	conf := []string{"reserved_storage_space = 1M", "download_server = 1"}
	a := newTracker(t, blk.trackerIP(0), conf...)
	b := newTracker(t, blk.trackerIP(1), conf...)
	// the third one's address is fixed now, as the storages' confs name it
	lateAddr := fmt.Sprintf("%s:%d", blk.trackerIP(2), sharedPort(t, blk.trackerIP(2)))
	c := startTwoGroups(t, blk, layout{priority: [4]int{10, 5, 7, 3}}, a.addr, b.addr)
	acl, bcl := newClient(t, a.addr), newClient(t, b.addr)
	c.waitReady(t, acl)
	c.waitReady(t, bcl)
	leader := waitOneLeader(t, []string{a.addr, b.addr})
	ids := uploadSome(t, acl, 4)
	for _, n := range c.nodes {
		n.reconfigure(a.addr, b.addr, lateAddr)
	}
	c.allStatus(t, acl, client.StatusActive)
	c.allStatus(t, bcl, client.StatusActive)
	want, wantAnswers := view(t, acl, true), answers(t, acl, ids)

	late := &trackerNode{t: t, addr: lateAddr, base: t.TempDir(), lines: conf}
	if entries, _ := os.ReadDir(late.base); len(entries) != 0 {
		t.Fatalf("base_path not empty: %v", entries)
	}
	late.start()
	t.Cleanup(late.stop)
	lcl := newClient(t, late.addr)
	c.allStatus(t, lcl, client.StatusActive)
	if got := view(t, lcl, true); got != want {
		t.Errorf("the late tracker lists\n%s\nthe first one\n%s", got, want)
	}
	if got := answers(t, lcl, ids); got != wantAnswers {
		t.Errorf("the late tracker answers\n%s\nthe first one\n%s", got, wantAnswers)
	}
	waitUntil(t, "the late tracker follows "+leader, func() (bool, string) {
		l, err := lcl.Leader(ctx(t))
		return err == nil && l == leader, fmt.Sprintf("leader %q err %v", l, err)
	})
	// what it learned is on its disk, in the files a restart reads
	for _, f := range []string{"storage_groups_new.dat", "storage_servers_new.dat"} {
		if fi, err := os.Stat(filepath.Join(late.base, "data", f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// the leader (the only one that answers TRACKER_CLUSTER_STAT) lists all
	// three, the late one active: it joins and pings the leader
	waitUntil(t, "the leader lists three active trackers", func() (bool, string) {
		got := trackersKnown(t, leader)
		want := []string{a.addr + " active", b.addr + " active", late.addr + " active"}
		slices.Sort(want)
		return slices.Equal(got, want), strings.Join(got, ", ")
	})
	// the other way round: the storages take the member lists from the
	// leader, each listing its group's two members ACTIVE
	c.membersFromLeader(t)

	// the late tracker alone: the first two stop, it is elected, the
	// storages follow it and it keeps serving what it learned
	a.stop()
	b.stop()
	waitUntil(t, "the late tracker leads", func() (bool, string) {
		l, err := lcl.Leader(ctx(t))
		return err == nil && l == late.addr, fmt.Sprintf("leader %q err %v", l, err)
	})
	c.followLeader(t, late.addr)
	c.allStatus(t, lcl, client.StatusActive)
	if got := answers(t, lcl, ids); got != wantAnswers {
		t.Errorf("alone, the late tracker answers\n%s\nthe first one did\n%s", got, wantAnswers)
	}
	more := uploadSome(t, lcl, 2)
	var buf bytes.Buffer
	if _, err := lcl.Download(ctx(t), more[1], &buf, 0, 0); err != nil {
		t.Errorf("download through the late tracker alone: %v", err)
	}
}

// membersFromLeader waits until every storage's member list (from the
// leader's change notices) names its group's two storages ACTIVE.
func (c *twoGroups) membersFromLeader(t *testing.T) {
	t.Helper()
	for i := range c.nodes {
		waitUntil(t, c.specs[i].ip+" knows its group", func() (bool, string) {
			members, _ := c.server(i).Members()
			var got []string
			for _, m := range members {
				got = append(got, fmt.Sprintf("%s=%d", m.IP, m.Status))
			}
			want := []string{}
			for _, sp := range c.specs {
				if sp.group == c.specs[i].group {
					want = append(want, fmt.Sprintf("%s=%d", sp.ip, client.StatusActive))
				}
			}
			slices.Sort(got)
			return slices.Equal(got, want), strings.Join(got, " ")
		})
	}
}

// followLeader waits until every storage names addr as the leader tracker.
func (c *twoGroups) followLeader(t *testing.T, addr string) {
	t.Helper()
	waitUntil(t, "every storage follows "+addr, func() (bool, string) {
		var got []string
		ok := true
		for i := range c.nodes {
			p, has := c.server(i).Leader()
			at := fmt.Sprintf("%s:%d", p.IP, p.Port)
			got = append(got, at)
			ok = ok && has && at == addr
		}
		return ok, strings.Join(got, " ")
	})
}

// trackersKnown asks addr for TRACKER_CLUSTER_STAT (96, no filter) on a raw
// connection and returns the trackers it lists as "ip:port active|inactive",
// sorted.
func trackersKnown(t *testing.T, addr string) []string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return []string{err.Error()}
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	var req codec.TrackerClusterStatRequest
	body := req.Append(nil)
	if _, err := conn.Write(append(codec.Request(codec.CmdServerTrackerClusterStat, len(body)).Append(nil), body...)); err != nil {
		return []string{err.Error()}
	}
	head := make([]byte, codec.HeaderSize)
	if _, err := io.ReadFull(conn, head); err != nil {
		return []string{err.Error()}
	}
	h, err := codec.DecodeHeader(head)
	if err != nil || h.Status != 0 || h.BodyLen > 1<<16 {
		return []string{fmt.Sprintf("header %+v %v", h, err)}
	}
	reply := make([]byte, h.BodyLen)
	if _, err := io.ReadFull(conn, reply); err != nil {
		return []string{err.Error()}
	}
	var r codec.TrackerClusterStatReply
	if err := r.Decode(reply); err != nil {
		t.Fatalf("TRACKER_CLUSTER_STAT reply: %v", err)
	}
	var out []string
	for _, tr := range r.Trackers {
		state := " inactive"
		if tr.IsActive {
			state = " active"
		}
		out = append(out, string(tr.Host)+state)
	}
	slices.Sort(out)
	return out
}
