// fdfs_storaged is the FastDFS storage server: `fdfs_storaged CONF
// [start|stop|restart]`, as the C daemon, plus --foreground for systemd,
// containers and tests.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/storage"
	"github.com/gofdfs/gofdfs/tools/internal/daemon"
)

func main() {
	os.Exit(daemon.Main(daemon.Program{
		Name:    "fdfs_storaged",
		LogName: "storaged.log",
		Prepare: prepare,
	}, os.Args[1:]))
}

func prepare(path string, log *slog.Logger) (*daemon.Prepared, error) {
	cfg, err := conf.LoadStorage(path, conf.WithLogger(log))
	if err != nil {
		return nil, err
	}
	mcfg, err := conf.MetricsOf(cfg.Origin, cfg.BindAddr)
	if err != nil {
		return nil, err
	}
	scfg, err := conf.ScrubOf(cfg.Origin)
	if err != nil {
		return nil, err
	}
	now, err := daemon.Clock()
	if err != nil {
		return nil, err
	}
	return &daemon.Prepared{
		BasePath: cfg.BasePath,
		LogLevel: cfg.LogLevel,
		Serve: func(ctx context.Context, log *slog.Logger, ready func()) error {
			srv, err := storage.New(cfg, storage.WithLogger(log), storage.WithClock(now))
			if err != nil {
				return err
			}
			go srv.RunScrub(ctx, scfg)
			// in-flight uploads either finish or leave nothing (the engine
			// removes their temp files); give them the network timeout
			return daemon.RunServerWithMetrics(ctx, srv, ready, cfg.NetworkTimeout+5*time.Second,
				mcfg, srv.MetricsRegistry(), log)
		},
	}, nil
}
