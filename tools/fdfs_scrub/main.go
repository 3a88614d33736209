// fdfs_scrub checks a storage's files against the size and CRC32 their IDs
// carry: `fdfs_scrub STORAGE_CONF [-repair] [-rate MB/s] [-path N]`. It reads
// at a bounded rate next to a running storage, prints each bad file ID and
// exits 1 if there is any. Trunk-resident files (use_trunk_file) are
// found through the binlog and checked in their slots. Appender and slave
// files, and trunk link slots, whose IDs do not describe their content, are
// counted as not verifiable. With -repair a bad file is replaced
// (atomically; a trunk slot is rewritten in place behind an invalidated
// header) by a copy from an ACTIVE group peer whose size and CRC32 match its
// ID; where no peer has one, it says so and leaves the file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/scrub"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

const usage = "Usage: fdfs_scrub <storage_conf> [-repair] [-rate MB/s] [-path N]\n" +
	"  -repair   replace a bad file with a good copy from a group peer\n" +
	"  -rate     read at most this many MB per second (default 8; 0: unlimited)\n" +
	"  -path     scrub only store path N (default: every store path)\n"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	conf   string
	repair bool
	rate   float64
	path   int
}

func parse(args []string) (options, error) {
	o := options{rate: 8, path: -1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch a {
		case "-repair", "--repair":
			o.repair = true
		case "-rate", "--rate":
			v, err := value()
			if err != nil {
				return o, err
			}
			if o.rate, err = strconv.ParseFloat(v, 64); err != nil || o.rate < 0 {
				return o, fmt.Errorf("-rate %q: want MB per second >= 0", v)
			}
		case "-path", "--path":
			v, err := value()
			if err != nil {
				return o, err
			}
			if o.path, err = strconv.Atoi(v); err != nil || o.path < 0 {
				return o, fmt.Errorf("-path %q: want a store path index", v)
			}
		default:
			if o.conf != "" || len(a) > 0 && a[0] == '-' {
				return o, fmt.Errorf("unexpected %q", a)
			}
			o.conf = a
		}
	}
	if o.conf == "" {
		return o, errors.New("no storage conf")
	}
	return o, nil
}

func run(ctx context.Context, args []string, out, errw io.Writer) int {
	o, err := parse(args)
	if err != nil {
		fmt.Fprintf(errw, "fdfs_scrub: %v\n%s", err, usage)
		return 2
	}
	cfg, err := conf.LoadStorage(o.conf, conf.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Fprintf(errw, "fdfs_scrub: %v\n", err)
		return 2
	}
	if o.path >= len(cfg.StorePaths) {
		fmt.Fprintf(errw, "fdfs_scrub: -path %d: the conf has %d store paths\n", o.path, len(cfg.StorePaths))
		return 2
	}
	var peers func() []string
	var fetch scrub.Fetch
	if o.repair {
		c, err := peerClient(cfg)
		if err != nil {
			fmt.Fprintf(errw, "fdfs_scrub: %v\n", err)
			return 2
		}
		defer c.Close()
		peers = func() []string { return groupPeers(ctx, c, cfg, errw) }
		fetch = func(ctx context.Context, addr, fileID string, w io.Writer) error {
			_, err := c.DownloadFrom(ctx, client.StorageServer{Group: cfg.GroupName, Addr: addr}, fileID, w, 0, 0)
			return err
		}
	}
	lim := scrub.NewLimiter(int64(o.rate * (1 << 20)))
	var total scrub.Summary
	unrepaired := 0
	found := func(f scrub.Finding) {
		if f.Result != scrub.Bad {
			return
		}
		fmt.Fprintf(out, "bad: %s: %s\n", f.FileID, f.Why)
		if !o.repair {
			unrepaired++
			return
		}
		from, err := scrub.Repair(ctx, f, peers(), fetch)
		switch {
		case errors.Is(err, scrub.ErrGone):
			fmt.Fprintf(out, "gone: %v\n", err)
		case err != nil:
			unrepaired++
			fmt.Fprintf(out, "not repaired: %v\n", err)
		case from == "":
			fmt.Fprintf(out, "good again, left alone: %s\n", f.FileID)
		default:
			fmt.Fprintf(out, "repaired: %s from %s\n", f.FileID, from)
		}
	}
	roots := make([]string, len(cfg.StorePaths))
	for i, root := range cfg.StorePaths {
		roots[i] = root.Path
	}
	for i, root := range roots {
		if o.path >= 0 && i != o.path {
			continue
		}
		sum, err := scrub.StorePath(ctx, cfg.GroupName, i, root, lim, found)
		total.Add(sum)
		if err != nil {
			fmt.Fprintf(errw, "fdfs_scrub: store path %d (%s): %v\n", i, root, err)
			return 2
		}
	}
	// trunk-resident files (use_trunk_file): the binlog names them
	sum, err := scrub.TrunkStore(ctx, cfg.GroupName, filepath.Join(cfg.BasePath, "data", "sync"), roots, o.path, lim, found)
	total.Add(sum)
	if err != nil {
		fmt.Fprintf(errw, "fdfs_scrub: trunk slots: %v\n", err)
		return 2
	}
	fmt.Fprintf(out, "checked %d files (%d bytes, %d in trunk slots): ok %d, bad %d, not verifiable %d",
		total.OK+total.Bad+total.Unverifiable, total.Bytes, total.Trunk, total.OK, total.Bad, total.Unverifiable)
	if o.repair && total.Bad > 0 {
		fmt.Fprintf(out, ", repaired %d", total.Bad-int64(unrepaired))
	}
	fmt.Fprintln(out)
	if total.Bad > 0 {
		return 1
	}
	return 0
}

func peerClient(cfg *conf.Storage) (*client.Client, error) {
	var trackers []string
	for _, t := range cfg.TrackerServers {
		trackers = append(trackers, cli.TrackerAddr(t))
	}
	return client.New(client.Config{Trackers: trackers, ConnectTimeout: cfg.ConnectTimeout,
		NetworkTimeout: cfg.NetworkTimeout, MaxIdlePerServer: -1})
}

// groupPeers are the ACTIVE members of the group other than this storage,
// as the tracker lists them.
func groupPeers(ctx context.Context, c *client.Client, cfg *conf.Storage, errw io.Writer) []string {
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	list, err := c.ListStorages(lctx, cfg.GroupName, "")
	if err != nil {
		fmt.Fprintf(errw, "fdfs_scrub: listing group %s: %v\n", cfg.GroupName, err)
		return nil
	}
	self := net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.Port))
	var out []string
	for _, s := range list {
		addr := net.JoinHostPort(string(s.IP), strconv.FormatInt(s.StoragePort, 10))
		if s.Status != client.StatusActive || addr == self {
			continue
		}
		out = append(out, addr)
	}
	return out
}
