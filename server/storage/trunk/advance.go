package trunk

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// trunk_create_file_advance, as C 6.16 does it: while a storage is its
// group's trunk server, a task runs at trunk_create_file_time_base and
// every trunk_create_file_interval after it; when the free trunk space is
// below trunk_create_file_space_threshold it creates
// (threshold - free) / trunk_file_size new trunk files at once, each
// logged "A <file> 0 <trunk_file_size>" and free, so uploads do not wait
// for a file to be created. The store paths must keep their reserve with
// the whole amount (else ENOSPC, nothing created).

// advanceParams are the tracker's trunk_create_file_* keys.
type advanceParams struct {
	on        bool
	base      time.Duration // time of day (local); < 0: none
	interval  time.Duration
	threshold int64
}

// parseTimeOfDay reads "HH:MM" or "HH:MM:SS" as a time of day.
func parseTimeOfDay(v string) (time.Duration, bool) {
	parts := strings.Split(strings.TrimSpace(v), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second}[:len(parts)] {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 || (i == 0 && n > 23) || (i > 0 && n > 59) {
			return 0, false
		}
		d += time.Duration(n) * unit
	}
	return d, true
}

// FirstCall is when a task of C's scheduler with this time base (a time of
// day, local; < 0: none) and interval first runs after now: the next
// base + k*interval, counting from the last time the clock showed base.
func FirstCall(now time.Time, base, interval time.Duration) time.Time {
	now = now.Truncate(time.Second)
	if base < 0 {
		return now.Add(interval)
	}
	y, m, d := now.Date()
	b := time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Add(base)
	if b.After(now) {
		b = time.Date(y, m, d-1, 0, 0, 0, 0, now.Location()).Add(base)
	}
	remain := now.Sub(b)
	if remain == 0 {
		return now
	}
	return now.Add(interval - remain%interval)
}

// runTask runs fn at base + k*interval (C's scheduler) until stop closes.
func (d *Side) runTask(name string, base, interval time.Duration, stop <-chan struct{}, fn func() error) {
	next := FirstCall(d.cfg.Now(), base, interval)
	for {
		wait := time.NewTimer(next.Sub(d.cfg.Now()))
		select {
		case <-stop:
			wait.Stop()
			return
		case <-wait.C:
		}
		if err := fn(); err != nil {
			d.cfg.Log.Info(name, "err", err)
		}
		for now := d.cfg.Now(); !next.After(now); {
			next = next.Add(interval)
		}
	}
}

// CreateAdvance is one run of the trunk_create_file_advance task: the
// number of trunk files created.
func (d *Side) CreateAdvance() (int, error) {
	d.mu.Lock()
	p := d.advance
	d.mu.Unlock()
	if !p.on || !d.IsServer() {
		return 0, nil
	}
	st, err := d.Store()
	if err != nil {
		return 0, err
	}
	need := p.threshold - st.FreeBytes()
	if need <= 0 {
		return 0, nil
	}
	if d.cfg.PickPath == nil {
		return 0, fmt.Errorf("trunk: no store path picker")
	}
	if _, err := d.cfg.PickPath(need); err != nil {
		return 0, fmt.Errorf("trunk: %d bytes of trunk files: %w", need, err)
	}
	st.mu.Lock()
	fileSize := st.cfg.TrunkFileSize
	st.mu.Unlock()
	count := int(need / fileSize)
	for i := range count {
		path, err := d.cfg.PickPath(fileSize)
		if err != nil {
			return i, err
		}
		if _, err := st.CreateContainer(path); err != nil {
			return i, err
		}
	}
	return count, nil
}

// CreateContainer makes a new trunk file on a store path, free as a whole
// and logged ("A <file> 0 <trunk_file_size>").
func (s *Store) CreateContainer(storePath int) (codec.TrunkInfo, error) {
	if storePath < 0 || storePath >= len(s.cfg.StorePaths) {
		return codec.TrunkInfo{}, fmt.Errorf("trunk: store path index %d not below %d", storePath, len(s.cfg.StorePaths))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.createContainerLocked(storePath)
	if err != nil {
		return t, err
	}
	if err := s.appendLocked(codec.TrunkBinlogAdd, t); err != nil {
		return t, err
	}
	s.free.add(keyOf(t), t.SlotSize, false)
	return t, nil
}
