// fdfs_tracker_stat lists the trackers as their leader sees them
// (SERVER_TRACKER_CLUSTER_STAT), as V6.16's C tool, with its options:
//
//	fdfs_tracker_stat [-c config_filename] [-A|-N] [-L|-F] [-d]
//
// -A/-N only active / not active trackers, -L/-F only the leader /
// followers, -d the version, up time and last heartbeat too. Unlike C
// (which prints nothing and exits 0 when the query fails) a failure is
// reported on stderr with its errno as the exit code.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: fdfs_tracker_stat [-c config_filename=%s]\n"+
		"\t[-A] list ACTIVE trackers\n"+
		"\t[-N] list None ACTIVE trackers\n"+
		"\t[-L] list leader tracker\n"+
		"\t[-F] list follower trackers\n"+
		"\t[-d] show detail / more info\n\n", cli.DefaultClientConf)
}

func run(args []string, out, errw io.Writer) int {
	opts, _, err := cli.Getopt(args, "hc:ANLFd")
	if err != nil {
		fmt.Fprintf(errw, "fdfs_tracker_stat: %v\n", err)
		usage(errw)
		return 1
	}
	confPath, detail := cli.DefaultClientConf, false
	var filter codec.TrackerClusterStatRequest
	for _, o := range opts {
		switch o.Name {
		case 'h':
			usage(errw)
			return 0
		case 'c':
			confPath = o.Value
		case 'A', 'N':
			filter.FilterBy |= codec.TrackerStatFilterActive
			filter.IsActive = o.Name == 'A'
		case 'L', 'F':
			filter.FilterBy |= codec.TrackerStatFilterLeader
			filter.IsLeader = o.Name == 'L'
		case 'd':
			detail = true
		}
	}
	c, _, err := cli.Open(confPath)
	if err != nil {
		fmt.Fprintf(errw, "fdfs_tracker_stat: %v\n", err)
		return 2
	}
	defer c.Close()
	trackers, err := c.TrackerClusterStat(context.Background(), filter)
	if err != nil {
		return cli.Fail(errw, "list trackers", err)
	}
	if len(trackers) > 0 {
		report(out, trackers, detail)
	}
	return 0
}

// report lays the trackers out as C's tool does.
func report(w io.Writer, trackers []codec.TrackerStat, detail bool) {
	fmt.Fprintf(w, "\n")
	for _, t := range trackers {
		fmt.Fprintf(w, "%s, is_leader: %d, is_active: %d, connections {alloc: %d, current: %d, max: %d}\n",
			t.Host, flag(t.IsLeader), flag(t.IsActive), t.Connection.AllocCount, t.Connection.CurrentCount,
			t.Connection.MaxCount)
		if !detail {
			continue
		}
		fmt.Fprintf(w, "  version: %s, up_time: %s", t.Version, cli.Datetime(t.UpTime))
		if t.IsLeader {
			fmt.Fprintf(w, "\n\n")
		} else {
			fmt.Fprintf(w, ", last_heartbeat_time: %s\n\n", cli.Datetime(t.LastHeartbeatTime))
		}
	}
	fmt.Fprintf(w, "\ntracker server count: %d\n", len(trackers))
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
