package clustertest

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/server/storage"
)

// groupOf is the group of storage i of a two-group cluster: storages 0 and 1
// are group1, 2 and 3 group2.
func groupOf(i int) string {
	if i < 2 {
		return "group1"
	}
	return "group2"
}

// twoGroups is 2 groups x 2 storages (one shared port on four addresses of
// the block) reporting to the given trackers.
type twoGroups struct {
	blk   block
	port  int
	specs [4]storageSpec
	nodes [4]*storageNode
}

// storage i's running server.
func (c *twoGroups) server(i int) *storage.Server { return c.nodes[i].srv }

// layout says how each of the four storages is set up; the zero value is
// two plain store paths and the default priority.
type layout struct {
	pathMB   [4][]int
	fillMB   [4][]int // MiB written into each path before the storage starts
	priority [4]int
}

func (l layout) paths(i int) []int {
	if l.pathMB[i] != nil {
		return l.pathMB[i]
	}
	return []int{0, 0}
}

// startTwoGroups starts the four storages in descending IP order, each one
// only after the previous has joined, so the order of joining is the
// reverse of the order of ids and a policy that takes "the first" is seen
// to sort rather than to take the oldest member.
func startTwoGroups(t testing.TB, blk block, l layout, trackers ...string) *twoGroups {
	t.Helper()
	c := &twoGroups{blk: blk}
	c.port = sharedPort(t, blk.storageIP(0), blk.storageIP(1), blk.storageIP(2), blk.storageIP(3))
	for i := range c.specs {
		c.specs[i] = storageSpec{group: groupOf(i), ip: blk.storageIP(i), port: c.port, trackers: trackers,
			pathMB: l.paths(i), fillMB: l.fillMB[i], priority: l.priority[i]}
	}
	watch := newClient(t, trackers[0])
	for i := 3; i >= 0; i-- {
		c.nodes[i] = startStorageNode(t, c.specs[i])
		waitUntil(t, "storage "+c.specs[i].ip+" joined", func() (bool, string) {
			m, state := storages(watch, c.specs[i].group)
			_, ok := m[c.specs[i].ip]
			return ok, state
		})
	}
	return c
}

// waitReady waits until the tracker lists every storage ACTIVE with a disk
// report received (the space checks need one).
func (c *twoGroups) waitReady(t testing.TB, cl *client.Client) {
	t.Helper()
	for _, g := range []string{"group1", "group2"} {
		waitUntil(t, g+" ACTIVE with disk usage at "+strings.Join(cl.Trackers(), ","), func() (bool, string) {
			m, state := storages(cl, g)
			for i, sp := range c.specs {
				if sp.group != g {
					continue
				}
				st, ok := m[sp.ip]
				if !ok || st.Status != client.StatusActive || st.TotalMB == 0 || !c.reportedFill(i, st) {
					return false, state
				}
			}
			return true, state
		})
	}
}

// reportedFill holds once the storage's report reflects its filled paths.
func (c *twoGroups) reportedFill(i int, st codec.StorageStat) bool {
	total, used := 0, 0
	for j, mb := range c.specs[i].pathMB {
		total += mb
		if j < len(c.specs[i].fillMB) {
			used += c.specs[i].fillMB[j]
		}
	}
	if used == 0 || total == 0 {
		return true
	}
	return st.FreeMB <= int64(total-used)
}

// queryStore is QUERY_STORE (with or without a group) as a comparable
// string: "group1 127.0.6.11 p0" or the error's errno name.
func queryStore(t testing.TB, cl *client.Client, group string) string {
	t.Helper()
	s, err := cl.QueryStore(ctx(t), group)
	if err != nil {
		return errName(t, err)
	}
	return s.Group + " " + ipOf(s) + " p" + strconv.Itoa(s.StorePathIndex)
}

func errName(t testing.TB, err error) string {
	t.Helper()
	var se *client.StatusError
	if errors.As(err, &se) {
		return se.Status.Name()
	}
	t.Fatalf("not an answer: %v", err)
	return ""
}

// fileIDAt is a file ID of group whose name says it was created on source
// at ts (cluster.md §4.9), the way a storage names a file.
func fileIDAt(group, source string, ts time.Time, appender bool) string {
	var ip [4]byte
	for i, part := range strings.SplitN(source, ".", 4) {
		n := 0
		for _, ch := range part {
			n = n*10 + int(ch-'0')
		}
		ip[i] = byte(n)
	}
	f := codec.NameFields{Source: codec.SourceFromIPv4(ip), Timestamp: uint32(ts.Unix()),
		SizeField: codec.NormalSizeField(1234, 77), CRC32: 0xdeadbeef}
	if appender {
		f.SizeField = codec.AppenderSizeField(77)
	}
	return group + "/M00/00/00/" + string(f.AppendB64(nil)) + ".txt"
}
