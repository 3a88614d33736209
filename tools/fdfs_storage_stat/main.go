// fdfs_storage_stat lists every storage of the cluster
// (SERVER_STORAGE_CLUSTER_STAT), as V6.16's C tool, with its options:
//
//	fdfs_storage_stat [-c config_filename] [-A|-N] [-T|-t] [-d]
//
// -A/-N only ACTIVE / not ACTIVE storages, -T/-t only trunk servers / the
// others, -d the version, up time and last heartbeat too. Unlike C (which
// prints nothing and exits 0 when the query fails) a failure is reported on
// stderr with its errno as the exit code.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: fdfs_storage_stat [-c config_filename=%s]\n"+
		"\t[-A] list ACTIVE storages\n"+
		"\t[-N] list None ACTIVE storages\n"+
		"\t[-d] show detail / more info\n\n"+
		"\nwhen use_trunk_file is true, including options:\n"+
		"\t[-T] list trunk servers / storages\n"+
		"\t[-t] list None trunk servers / storages\n\n", cli.DefaultClientConf)
}

func run(args []string, out, errw io.Writer) int {
	opts, _, err := cli.Getopt(args, "hc:ANTtd")
	if err != nil {
		fmt.Fprintf(errw, "fdfs_storage_stat: %v\n", err)
		usage(errw)
		return 1
	}
	confPath, detail := cli.DefaultClientConf, false
	var filter codec.StorageClusterStatRequest
	for _, o := range opts {
		switch o.Name {
		case 'h':
			usage(errw)
			return 0
		case 'c':
			confPath = o.Value
		case 'A', 'N':
			filter.FilterBy |= codec.StorageStatFilterStatus
			filter.Status = client.StatusActive
			filter.OpType = codec.StorageStatOpEqual
			if o.Name == 'N' {
				filter.OpType = codec.StorageStatOpNotEqual
			}
		case 'T', 't':
			filter.FilterBy |= codec.StorageStatFilterTrunk
			filter.IsTrunkServer = o.Name == 'T'
		case 'd':
			detail = true
		}
	}
	c, _, err := cli.Open(confPath)
	if err != nil {
		fmt.Fprintf(errw, "fdfs_storage_stat: %v\n", err)
		return 2
	}
	defer c.Close()
	rep, err := c.StorageClusterStat(context.Background(), filter)
	if err != nil {
		return cli.Fail(errw, "list storages", err)
	}
	if len(rep.Storages) > 0 {
		report(out, &rep, detail)
	}
	return 0
}

// report lays the storages out as C's tool does.
func report(w io.Writer, rep *codec.StorageClusterStatReply, detail bool) {
	fmt.Fprintf(w, "\n")
	for _, s := range rep.Storages {
		if rep.UseStorageID {
			fmt.Fprintf(w, "%s ", s.ID)
		}
		fmt.Fprintf(w, "%s %s, ", s.Host, cli.StatusCaption(s.Status))
		if rep.UseTrunkFile {
			fmt.Fprintf(w, "is_trunk_server: %d, ", flag(s.IsTrunkServer))
		}
		fmt.Fprintf(w, "connections {alloc: %d, current: %d, max: %d}\n",
			s.Connection.AllocCount, s.Connection.CurrentCount, s.Connection.MaxCount)
		if detail {
			fmt.Fprintf(w, "  version: %s, up_time: %s, last_heartbeat_time: %s\n\n",
				s.Version, cli.Datetime(s.UpTime), cli.Datetime(s.LastHeartbeatTime))
		}
	}
	fmt.Fprintf(w, "\nstorage server count: %d\n\n", len(rep.Storages))
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
