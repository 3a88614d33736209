// fdfs_trackerd is the FastDFS tracker: `fdfs_trackerd CONF [start|stop|restart]`,
// as the C daemon, plus --foreground for systemd, containers and tests.
package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/metrics"
	"github.com/gofdfs/gofdfs/server/tracker"
	"github.com/gofdfs/gofdfs/tools/internal/daemon"
)

func main() {
	os.Exit(daemon.Main(daemon.Program{
		Name:    "fdfs_trackerd",
		LogName: "trackerd.log",
		Prepare: prepare,
	}, os.Args[1:]))
}

func prepare(path string, log *slog.Logger) (*daemon.Prepared, error) {
	cfg, err := conf.LoadTracker(path, conf.WithLogger(log))
	if err != nil {
		return nil, err
	}
	mcfg, err := conf.MetricsOf(cfg.Origin, cfg.BindAddr)
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
			srv, err := tracker.New(cfg, tracker.WithLogger(log), tracker.WithClock(now))
			if err != nil {
				return err
			}
			reg := metrics.NewRegistry()
			reg.MustRegister(srv.MetricsCollector())
			return daemon.RunServerWithMetrics(ctx, srv, ready, 30*time.Second, mcfg, reg, log)
		},
	}, nil
}
