package daemon

import (
	"fmt"
	"os"
	"time"
)

// ClockOffsetEnv names the test hook that skews a daemon's wall clock.
// Go reads the clock through the vDSO, so faketime and time namespaces
// cannot shift it from outside; the reliability suite sets this instead
// to run members whose clocks disagree.
const ClockOffsetEnv = "GOFDFS_CLOCK_OFFSET"

// Clock is the daemon's wall clock: time.Now shifted by
// GOFDFS_CLOCK_OFFSET (a Go duration such as 90s or -2m). Unset or empty
// is time.Now itself; a bad value is an error naming the variable.
func Clock() (func() time.Time, error) {
	v := os.Getenv(ClockOffsetEnv)
	if v == "" {
		return time.Now, nil
	}
	off, err := time.ParseDuration(v)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", ClockOffsetEnv, v, err)
	}
	if off == 0 {
		return time.Now, nil
	}
	return func() time.Time { return time.Now().Add(off) }, nil
}
