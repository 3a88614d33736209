// fdfs_volumn_stat reports each group's ("volumn's", C's spelling) space
// (SERVER_STORAGE_VOLUMN_STAT), as V6.16's C tool, with its options:
//
//	fdfs_volumn_stat [-c config_filename] [-A|-N] [-D|-d] [-T|-t]
//
// -A/-N only groups with / without space available (disk or trunk), -D/-d
// with / without disk space, -T/-t with / without trunk space. With several
// groups a summary follows. Unlike C (which prints nothing and exits 0
// when the query fails) a failure is reported on stderr with its errno as
// the exit code.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: fdfs_volumn_stat [-c config_filename=%s]\n"+
		"\t[-A] list space available groups / volumns\n"+
		"\t[-N] list None space available groups / volumns\n"+
		"\t[-D] list disk available groups / volumns\n"+
		"\t[-d] list None disk available groups / volumns\n\n"+
		"\nwhen use_trunk_file is true, including options:\n"+
		"\t[-T] list trunk available groups / volumns\n"+
		"\t[-t] list None trunk available groups / volumns\n\n"+
		"Note: space available when disk available or trunk available\n\n", cli.DefaultClientConf)
}

func run(args []string, out, errw io.Writer) int {
	opts, _, err := cli.Getopt(args, "hc:ANDdTt")
	if err != nil {
		fmt.Fprintf(errw, "fdfs_volumn_stat: %v\n", err)
		usage(errw)
		return 1
	}
	confPath := cli.DefaultClientConf
	var filter codec.VolumeStatRequest
	for _, o := range opts {
		switch o.Name {
		case 'h':
			usage(errw)
			return 0
		case 'c':
			confPath = o.Value
		case 'A', 'N':
			filter.FilterBy |= codec.VolumeStatFilterSpace
			filter.IsSpaceAvailable = o.Name == 'A'
		case 'D', 'd':
			filter.FilterBy |= codec.VolumeStatFilterDisk
			filter.IsDiskAvailable = o.Name == 'D'
		case 'T', 't':
			filter.FilterBy |= codec.VolumeStatFilterTrunk
			filter.IsTrunkAvailable = o.Name == 'T'
		}
	}
	c, _, err := cli.Open(confPath)
	if err != nil {
		fmt.Fprintf(errw, "fdfs_volumn_stat: %v\n", err)
		return 2
	}
	defer c.Close()
	rep, err := c.VolumeStat(context.Background(), filter)
	if err != nil {
		return cli.Fail(errw, "volumn stat", err)
	}
	if len(rep.Groups) > 0 {
		report(out, &rep)
	}
	return 0
}

// report lays the groups out as C's tool does, with the summary C adds when
// there is more than one.
func report(w io.Writer, rep *codec.VolumeStatReply) {
	fmt.Fprintf(w, "\n")
	var sum codec.VolumeStat
	avail := 0
	for i := range rep.Groups {
		g := &rep.Groups[i]
		sum.TotalMB += g.TotalMB
		sum.FreeMB += g.FreeMB
		sum.ReservedMB += g.ReservedMB
		sum.AvailMB += g.AvailMB
		sum.TrunkFreeMB += g.TrunkFreeMB
		sum.IsDiskAvailable = sum.IsDiskAvailable || g.IsDiskAvailable
		sum.IsTrunkAvailable = sum.IsTrunkAvailable || g.IsTrunkAvailable
		if g.IsDiskAvailable || g.IsTrunkAvailable {
			avail++
		}
		printGroup(w, g, rep.UseTrunkFile)
	}
	if len(rep.Groups) <= 1 {
		fmt.Fprintf(w, "storage volumn / group count: %d\n\n", len(rep.Groups))
		return
	}
	bar := strings.Repeat("=", 32)
	fmt.Fprintf(w, "%s VOLUMNS SUMMARY %s\n", bar, bar)
	printGroup(w, &sum, rep.UseTrunkFile) // the summary's name is empty, as in C
	fmt.Fprintf(w, "volumn / group counts {total: %d, available: %d}\n\n", len(rep.Groups), avail)
}

// printGroup is C's group_output: util is the used share of the space
// above the reserve, (total - reserved - avail) / (total - reserved); with
// trunk files, the total available space and its share of the same.
func printGroup(w io.Writer, g *codec.VolumeStat, useTrunk bool) {
	fmt.Fprintf(w, "%s disk_available: %d", g.GroupName, flag(g.IsDiskAvailable))
	if useTrunk {
		fmt.Fprintf(w, ", trunk_available: %d", flag(g.IsTrunkAvailable))
	}
	usable := g.TotalMB - g.ReservedMB
	util := 0.0
	if usable > 0 {
		util = float64(usable-g.AvailMB) / float64(usable) * 100
	}
	fmt.Fprintf(w, ", disk space {total: %s, free: %s, reserved: %s, avail: %s, util: %.2f%%}",
		cli.HumanMB(g.TotalMB), cli.HumanMB(g.FreeMB), cli.HumanMB(g.ReservedMB), cli.HumanMB(g.AvailMB), util)
	if useTrunk {
		all := g.AvailMB + g.TrunkFreeMB
		ratio := 0.0
		if usable > 0 {
			ratio = float64(all) / float64(usable) * 100
		}
		fmt.Fprintf(w, ", trunk free space: %s, total available {space: %s, ratio: %.2f%%}\n\n",
			cli.HumanMB(g.TrunkFreeMB), cli.HumanMB(all), ratio)
	} else {
		fmt.Fprintf(w, "\n\n")
	}
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
