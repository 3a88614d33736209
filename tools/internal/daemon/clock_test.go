package daemon

import (
	"strings"
	"testing"
	"time"
)

func TestClockOffset(t *testing.T) {
	t.Setenv(ClockOffsetEnv, "-90s")
	now, err := Clock()
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(now()); d > -89*time.Second || d < -91*time.Second {
		t.Fatalf("clock off by %v, want about -90s", d)
	}
	t.Setenv(ClockOffsetEnv, "")
	if now, err = Clock(); err != nil || time.Since(now()).Abs() > time.Second {
		t.Fatalf("unset offset: %v", err)
	}
	t.Setenv(ClockOffsetEnv, "ninety")
	if _, err := Clock(); err == nil || !strings.Contains(err.Error(), ClockOffsetEnv) {
		t.Fatalf("bad offset: err %v, want one naming %s", err, ClockOffsetEnv)
	}
}
