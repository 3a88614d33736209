//go:build race

package storage

// raceEnabled: the test binary runs under the race detector.
const raceEnabled = true
