// fdfs_monitor shows and changes what the trackers know of the cluster, as
// the C tool:
//
//	fdfs_monitor <config_file> [-h <tracker_server>] [list|delete|set_trunk_server <group_name> [storage_id]]
//
// "list" (the default) prints every group and its storages, "list <group>"
// one group (a storage id after it is ignored, as by C); "delete <group>
// <storage_id>" removes a storage that is not online from every tracker,
// "delete <group>" an empty group. The output is laid out as V6.16's.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

const defTrackerPort = 22122

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: fdfs_monitor <config_file> [-h <tracker_server>] "+
		"[list|delete|set_trunk_server <group_name> [storage_id]]\n"+
		"\tthe tracker server format: host[:port], the tracker default port is %d\n\n", defTrackerPort)
}

func run(args []string, out, errw io.Writer) int {
	if len(args) < 1 {
		usage(out)
		return 1
	}
	confPath := args[0]
	rest := args[1:]
	op, tracker := "list", ""
	if len(rest) > 0 && strings.HasPrefix(rest[0], "-h") {
		if rest[0] == "-h" {
			if len(rest) < 2 {
				usage(out)
				return 1
			}
			tracker, rest = rest[1], rest[2:]
		} else {
			tracker, rest = rest[0][2:], rest[1:]
		}
	}
	if len(rest) > 0 {
		op, rest = rest[0], rest[1:]
	}

	c, cfg, err := cli.Open(confPath)
	if err != nil {
		fmt.Fprintf(errw, "fdfs_monitor: %v\n", err)
		return 2
	}
	defer c.Close()

	index := 0
	if tracker != "" {
		index = findTracker(cfg, tracker)
		if index < 0 {
			fmt.Fprintf(out, "tracker server: %s not exists!\n", tracker)
			return 2
		}
	}
	var group string
	if len(rest) > 0 {
		group, rest = rest[0], rest[1:]
	}

	ctx := context.Background()
	if op == "list" {
		return list(ctx, out, errw, cfg, index, group)
	}
	// C prints the tracker it picked before any command; the deletes then go
	// to every tracker
	if op != "set_trunk_server" || group != "" {
		fmt.Fprintf(out, "tracker server count=%d, current server index=%d\n\n", len(cfg.TrackerServers), index)
		fmt.Fprintf(out, "tracker server is %s\n\n", cli.TrackerAddr(cfg.TrackerServers[index]))
	}
	switch op {
	case "delete":
		if group == "" {
			usage(out)
			return 1
		}
		if len(rest) == 0 {
			if err := c.DeleteGroup(ctx, group); err != nil {
				n, text := cli.Info(err)
				fmt.Fprintf(out, "delete group: %s fail, error no: %d, error info: %s\n", group, n, text)
			} else {
				fmt.Fprintf(out, "delete group: %s success\n", group)
			}
			return 0
		}
		id := rest[0]
		if err := c.DeleteStorage(ctx, group, id); err != nil {
			n, text := cli.Info(err)
			fmt.Fprintf(out, "delete storage server %s::%s fail, error no: %d, error info: %s\n", group, id, n, text)
		} else {
			fmt.Fprintf(out, "delete storage server %s::%s success\n", group, id)
		}
		return 0
	case "set_trunk_server":
		if group == "" {
			usage(out)
			return 1
		}
		id := ""
		if len(rest) > 0 {
			id = rest[0]
		}
		// every tracker in turn, until the leader does it (the others say
		// EOPNOTSUPP), as C's tracker_set_trunk_server
		newID, err := c.SetTrunkServer(ctx, group, id)
		if err != nil {
			n, text := cli.Info(err)
			fmt.Fprintf(out, "set trunk server %s::%s fail, error no: %d, error info: %s\n", group, id, n, text)
		} else {
			fmt.Fprintf(out, "set trunk server %s::%s success, new trunk server: %s\n", group, id, newID)
		}
		return 0
	default:
		fmt.Fprintf(out, "Invalid command %s\n\n", op)
		usage(out)
		return 0
	}
}

// findTracker returns the index in the conf of the tracker host[:port], or -1.
func findTracker(cfg *conf.Client, s string) int {
	host, port := s, defTrackerPort
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil {
			return -1
		}
		host, port = h, n
	}
	host = strings.Trim(host, "[]")
	ips, err := net.LookupHost(host)
	if err != nil {
		ips = []string{host}
	}
	for i, t := range cfg.TrackerServers {
		if t.Port != port {
			continue
		}
		for _, h := range t.Hosts {
			for _, ip := range ips {
				if h == ip || h == host {
					return i
				}
			}
		}
	}
	return -1
}

// list asks the trackers from index on, as C's tracker_get_connection does,
// until one answers, and prints its view.
func list(ctx context.Context, out, errw io.Writer, cfg *conf.Client, index int, group string) int {
	n := len(cfg.TrackerServers)
	var lastErr error
	for k := 0; k < n; k++ {
		i := (index + k) % n
		addr := cli.TrackerAddr(cfg.TrackerServers[i])
		c, err := client.New(client.Config{Trackers: []string{addr},
			ConnectTimeout: cfg.ConnectTimeout, NetworkTimeout: cfg.NetworkTimeout})
		if err != nil {
			lastErr = err
			continue
		}
		groups, err := c.ListGroups(ctx)
		if err != nil {
			c.Close()
			lastErr = err
			if n, _ := cli.Info(err); n == int(codec.EIO) || isNetErr(err) {
				continue
			}
			break
		}
		storages := make([][]codec.StorageStat, len(groups))
		var listErr error
		for j := range groups {
			if group != "" && string(groups[j].GroupName) != group {
				continue
			}
			storages[j], listErr = c.ListStorages(ctx, string(groups[j].GroupName), "")
			if listErr != nil {
				storages = storages[:j]
				break
			}
		}
		c.Close()
		r := &report{TrackerCount: n, TrackerIndex: i, Tracker: addr, Group: group,
			Groups: groups, Storages: storages}
		r.print(out)
		if listErr != nil {
			fmt.Fprintf(errw, "fdfs_monitor: list storages: %v\n", listErr)
		}
		return 0
	}
	n, text := cli.Info(lastErr)
	fmt.Fprintf(errw, "connect tracker server fail, error no: %d, error info: %s\n", n, text)
	return n
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// report is what "list" prints: the tracker asked, its groups and, for each
// group printed, its storages (Storages[i] belongs to Groups[i]; a shorter
// Storages stops the printing there, as C stops at a failed LIST_STORAGE).
type report struct {
	TrackerCount int
	TrackerIndex int
	Tracker      string // ip:port
	Group        string // "": every group
	Groups       []codec.GroupStat
	Storages     [][]codec.StorageStat
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "tracker server count=%d, current server index=%d\n\n", r.TrackerCount, r.TrackerIndex)
	fmt.Fprintf(w, "tracker server is %s\n\n", r.Tracker)
	if r.Group == "" {
		fmt.Fprintf(w, "group count: %d\n", len(r.Groups))
	}
	for i := range r.Groups {
		if i >= len(r.Storages) {
			return
		}
		g := &r.Groups[i]
		if r.Group != "" {
			if string(g.GroupName) == r.Group {
				printGroup(w, g, r.Storages[i])
				return
			}
			continue
		}
		fmt.Fprintf(w, "\nGroup %d:\n", i+1)
		printGroup(w, g, r.Storages[i])
	}
}

func rwCaption(m byte) string {
	switch m {
	case codec.RWModeNone:
		return "none (disabled)"
	case codec.RWModeRead:
		return "readonly"
	case codec.RWModeWrite:
		return "writeonly"
	case codec.RWModeBoth:
		return "both (normal)"
	default:
		return "unknown"
	}
}

func hostPort(ip []byte, port int64) string {
	return net.JoinHostPort(string(ip), strconv.FormatInt(port, 10))
}

// delayText is how far a storage's sync lags the newest source update of the
// others. V6.16 prints "(0 second delay)" and "(3 seconds delay)" (seen in
// the captures); the forms from one minute up are the older releases' and
// not seen in V6.16's output.
func delayText(d int64) string {
	if d < 0 {
		d = 0
	}
	day, rem := d/(24*3600), d%(24*3600)
	hour, rem := rem/3600, rem%3600
	minute, second := rem/60, rem%60
	var s string
	switch {
	case day != 0:
		s = fmt.Sprintf("%d days %02dh:%02dm:%02ds", day, hour, minute, second)
	case hour != 0:
		s = fmt.Sprintf("%02dh:%02dm:%02ds", hour, minute, second)
	case minute != 0:
		s = fmt.Sprintf("%02dm:%02ds", minute, second)
	case second > 1:
		s = fmt.Sprintf("%d seconds", second)
	default:
		s = fmt.Sprintf("%d second", second)
	}
	return "(" + s + " delay)"
}

func printGroup(w io.Writer, g *codec.GroupStat, storages []codec.StorageStat) {
	avail := max(g.FreeMB-g.ReservedMB, 0)
	fmt.Fprintf(w, "group name = %s\n"+
		"disk total space     = %7s\n"+
		"disk free space      = %7s\n"+
		"disk reserved space  = %7s\n"+
		"disk available space = %7s\n",
		g.GroupName, cli.HumanMB(g.TotalMB), cli.HumanMB(g.FreeMB), cli.HumanMB(g.ReservedMB), cli.HumanMB(avail))
	trunk := g.CurrentTrunkFileID >= 0
	if trunk {
		fmt.Fprintf(w, "trunk free space = %7s\n", cli.HumanMB(g.TrunkFreeMB))
	}
	fmt.Fprintf(w, "storage server count = %d\n"+
		"readable server count = %d\n"+
		"writable server count = %d\n"+
		"storage server port = %d\n"+
		"store path count = %d\n"+
		"subdir count per path = %d\n"+
		"current write server index = %d\n",
		g.StorageCount, g.ReadableServerCount, g.WritableServerCount, g.StoragePort,
		g.StorePathCount, g.SubdirCountPerPath, g.CurrentWriteServer)
	printed := false
	if trunk {
		for i := range storages {
			if s := &storages[i]; s.IfTrunkServer {
				fmt.Fprintf(w, "current trunk server = %s (%s)\ncurrent trunk file id = %d\n\n",
					s.ID, s.IP, g.CurrentTrunkFileID)
				printed = true
				break
			}
		}
	}
	if !printed {
		fmt.Fprintf(w, "\n")
	}
	for k := range storages {
		s := &storages[k]
		var maxSrc int64
		for j := range storages {
			if j != k && storages[j].Stat.LastSourceUpdate > maxSrc {
				maxSrc = storages[j].Stat.LastSourceUpdate
			}
		}
		st := &s.Stat
		delay := ""
		if maxSrc != 0 {
			if st.LastSyncedTimestamp == 0 {
				delay = "(never synced)"
			} else {
				delay = delayText(maxSrc - st.LastSyncedTimestamp)
			}
		}
		up := ""
		if s.UpTime != 0 {
			up = cli.Datetime(s.UpTime)
		}
		trunkFlag := 0
		if s.IfTrunkServer {
			trunkFlag = 1
		}
		fmt.Fprintf(w, "\tStorage %d:\n"+
			"\t\tid = %s\n"+
			"\t\thost = %s  %s\n"+
			"\t\tread write mode = %s\n"+
			"\t\tversion = %s\n"+
			"\t\tjoin time = %s\n"+
			"\t\tup time = %s\n"+
			"\t\tdisk total space     = %7s\n"+
			"\t\tdisk free space      = %7s\n"+
			"\t\tdisk reserved space  = %7s\n"+
			"\t\tdisk available space = %7s\n"+
			"\t\tupload priority = %d\n"+
			"\t\tstore_path_count = %d\n"+
			"\t\tsubdir_count_per_path = %d\n"+
			"\t\tcurrent_write_path = %d\n"+
			"\t\tsource storage id = %s\n"+
			"\t\tif_trunk_server = %d\n"+
			"\t\tconnection.alloc_count = %d\n"+
			"\t\tconnection.current_count = %d\n"+
			"\t\tconnection.max_count = %d\n",
			k+1, s.ID, hostPort(s.IP, s.StoragePort), cli.StatusCaption(s.Status), rwCaption(s.RWMode),
			s.Version, cli.Datetime(s.JoinTime), up,
			cli.HumanMB(s.TotalMB), cli.HumanMB(s.FreeMB), cli.HumanMB(s.ReservedMB), cli.HumanMB(max(s.FreeMB-s.ReservedMB, 0)),
			s.UploadPriority, s.StorePathCount, s.SubdirCountPerPath, s.CurrentWritePath,
			s.SrcID, trunkFlag,
			st.Connection.AllocCount, st.Connection.CurrentCount, st.Connection.MaxCount)
		counters := []struct {
			name string
			v    int64
		}{
			{"total_upload_count", st.TotalUploadCount}, {"success_upload_count", st.SuccessUploadCount},
			{"total_append_count", st.TotalAppendCount}, {"success_append_count", st.SuccessAppendCount},
			{"total_modify_count", st.TotalModifyCount}, {"success_modify_count", st.SuccessModifyCount},
			{"total_truncate_count", st.TotalTruncateCount}, {"success_truncate_count", st.SuccessTruncateCount},
			{"total_set_meta_count", st.TotalSetMetaCount}, {"success_set_meta_count", st.SuccessSetMetaCount},
			{"total_delete_count", st.TotalDeleteCount}, {"success_delete_count", st.SuccessDeleteCount},
			{"total_download_count", st.TotalDownloadCount}, {"success_download_count", st.SuccessDownloadCount},
			{"total_get_meta_count", st.TotalGetMetaCount}, {"success_get_meta_count", st.SuccessGetMetaCount},
			{"total_create_link_count", st.TotalCreateLinkCount}, {"success_create_link_count", st.SuccessCreateLinkCount},
			{"total_delete_link_count", st.TotalDeleteLinkCount}, {"success_delete_link_count", st.SuccessDeleteLinkCount},
			{"total_upload_bytes", st.TotalUploadBytes}, {"success_upload_bytes", st.SuccessUploadBytes},
			{"total_append_bytes", st.TotalAppendBytes}, {"success_append_bytes", st.SuccessAppendBytes},
			{"total_modify_bytes", st.TotalModifyBytes}, {"success_modify_bytes", st.SuccessModifyBytes},
			// "stotal": C's typo, kept for the scripts that grep it
			{"stotal_download_bytes", st.TotalDownloadBytes}, {"success_download_bytes", st.SuccessDownloadBytes},
			{"total_sync_in_bytes", st.TotalSyncInBytes}, {"success_sync_in_bytes", st.SuccessSyncInBytes},
			{"total_sync_out_bytes", st.TotalSyncOutBytes}, {"success_sync_out_bytes", st.SuccessSyncOutBytes},
			{"total_file_open_count", st.TotalFileOpenCount}, {"success_file_open_count", st.SuccessFileOpenCount},
			{"total_file_read_count", st.TotalFileReadCount}, {"success_file_read_count", st.SuccessFileReadCount},
			{"total_file_write_count", st.TotalFileWriteCount}, {"success_file_write_count", st.SuccessFileWriteCount},
		}
		for _, c := range counters {
			fmt.Fprintf(w, "\t\t%s = %d\n", c.name, c.v)
		}
		fmt.Fprintf(w, "\t\tlast_heart_beat_time = %s\n"+
			"\t\tlast_source_update = %s\n"+
			"\t\tlast_sync_update = %s\n"+
			"\t\tlast_synced_timestamp = %s %s\n",
			cli.Datetime(st.LastHeartBeatTime), cli.Datetime(st.LastSourceUpdate),
			cli.Datetime(st.LastSyncUpdate), cli.Datetime(st.LastSyncedTimestamp), delay)
	}
}
