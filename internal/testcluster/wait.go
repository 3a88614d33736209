package testcluster

import (
	"testing"
	"time"
)

// WaitLimit is how long Eventually waits by default: generous, because the
// machines tests run on are shared and slow at times. It bounds a wait for a
// server to react; no test asserts a duration with it.
const WaitLimit = 60 * time.Second

// Eventually polls cond every poll until it holds, and fails tb with what
// and cond's last state when limit passes (limit 0: WaitLimit; poll 0: 50 ms).
// cond's string says where things stand, for the failure message.
func Eventually(tb testing.TB, what string, limit, poll time.Duration, cond func() (bool, string)) {
	tb.Helper()
	if limit <= 0 {
		limit = WaitLimit
	}
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	deadline := time.Now().Add(limit)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s; last state: %s", limit, what, last)
		}
		time.Sleep(poll)
	}
}

// WaitUntil is Eventually with the default limit and poll: the common case.
func WaitUntil(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	Eventually(tb, what, 0, 0, cond)
}
