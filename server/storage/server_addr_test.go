package storage

import (
	"errors"
	"testing"
	"time"

	"github.com/gofdfs/gofdfs/server/internal/engine"
)

// A second storage on the address of a running one fails to start, as a C
// storage does ("address in use"), although the loops listen with
// SO_REUSEPORT (which would let it share the port and its connections).
func TestSecondStorageOnSameAddressFails(t *testing.T) {
	first := startServer(t, testConf(t, t.TempDir(), 1, ""), WithMulticore(true))
	addr := first.Addr().String()
	second, err := New(testConf(t, t.TempDir(), 1, ""), WithListenAddr(addr), WithLogger(quietLogger()),
		WithMulticore(true), WithReporting(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(); !errors.Is(err, engine.ErrAddrInUse) {
		t.Fatalf("second storage on %s: %v, want address in use", addr, err)
	}
	// Start failed: Serve closes the second one's disks and ends.
	select {
	case <-second.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the refused storage did not shut down")
	}
}
