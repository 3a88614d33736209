package daemon

import (
	"context"
	"time"
)

// Server is what the tracker and the storage servers offer a daemon.
type Server interface {
	Start() error
	Stop(ctx context.Context) error
}

// RunServer is the body of a Prepared.Serve: it starts srv, reports ready,
// waits for ctx to end and stops srv, giving in-flight work grace to finish.
func RunServer(ctx context.Context, srv Server, ready func(), grace time.Duration) error {
	if err := srv.Start(); err != nil {
		return err
	}
	ready()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return srv.Stop(sctx)
}
