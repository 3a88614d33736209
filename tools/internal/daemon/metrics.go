package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/server/metrics"
)

// RunServerWithMetrics is RunServer with /metrics served on
// metrics_bind_addr:metrics_port while the server runs (nothing when the
// port is 0). The metrics listener starts after the server, so a scrape
// never sees a server that is not up, and a port that cannot be bound
// fails the start as a daemon port would.
func RunServerWithMetrics(ctx context.Context, srv Server, ready func(), grace time.Duration,
	m conf.Metrics, reg *prometheus.Registry, log *slog.Logger) error {
	if m.Port == 0 {
		return RunServer(ctx, srv, ready, grace)
	}
	if err := srv.Start(); err != nil {
		return err
	}
	addr := metrics.Addr(m.BindAddr, m.Port)
	ms, err := metrics.Listen(addr, metrics.Handler(reg, log), log)
	if err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		_ = srv.Stop(sctx)
		return fmt.Errorf("metrics_port: %w", err)
	}
	log.Info("serving /metrics", "addr", ms.Addr())
	ready()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	_ = ms.Close(sctx)
	return srv.Stop(sctx)
}
