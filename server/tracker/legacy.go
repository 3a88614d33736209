package tracker

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// The CSV state files of trackers older than the ini "_new" ones (cluster.md
// §2.5). C converts each once, when its new file is missing: it loads the
// old one, writes the new one and deletes the old one. So do we.
const (
	legacyGroupsFile  = "storage_groups.dat"
	legacyServersFile = "storage_servers.dat"
)

// legacyFileOf names the legacy file standing in for state file i, if any.
func legacyFileOf(i int) string {
	switch i {
	case codec.SysFileGroups:
		return legacyGroupsFile
	case codec.SysFileServers:
		return legacyServersFile
	}
	return ""
}

// csvFields splits a legacy line into at most max comma-separated fields,
// trimmed, as C's splitEx does (the last field keeps any further commas).
func csvFields(line string, max int) []string {
	f := strings.SplitN(line, ",", max)
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

// atoi reads a legacy number as C's atoi/strtoll do: leading digits, 0 if
// none.
func atoi(s string) int64 {
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 64)
	return n
}

// legacyNum is atoi for a field that must lie in [0, hi]: C's files never
// hold a negative count, size, port or time, and a status outside C's set
// is damage, not data.
func legacyNum(n int, name, s string, hi int64) (int64, error) {
	v := atoi(s)
	if v < 0 || v > hi {
		return 0, fmt.Errorf("line %d: %s %q, want 0 to %d", n, name, s, hi)
	}
	return v, nil
}

// legacyLines yields the non-empty lines of a legacy file with their
// 1-based numbers.
func legacyLines(data []byte, fn func(n int, line string) error) error {
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.IndexByte(line, 0) >= 0 {
			// C reads up to it; our ini files refuse it, so the converted
			// file would not load
			return fmt.Errorf("line %d: NUL byte", n+1)
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := fn(n+1, line); err != nil {
			return err
		}
	}
	return nil
}

// loadLegacyGroups reads storage_groups.dat: "group,port" (before V1.12) or
// "group,port,store_path_count,subdir_count_per_path".
func (r *registry) loadLegacyGroups(data []byte) error {
	return legacyLines(data, func(n int, line string) error {
		f := csvFields(line, 4)
		if len(f) != 4 && len(f) != 2 {
			return fmt.Errorf("line %d: %d columns, want 4 or 2", n, len(f))
		}
		name := f[0]
		if !codec.ValidGroupName([]byte(name)) {
			return fmt.Errorf("line %d: invalid group name %q", n, name)
		}
		if r.groups[name] != nil {
			return fmt.Errorf("line %d: group %s listed twice", n, name)
		}
		port := atoi(f[1])
		if port < -1 || port > 65535 { // -1: members differ (join.go)
			return fmt.Errorf("line %d: storage port %q, want -1 to 65535", n, f[1])
		}
		var paths, subdirs int64
		var err error
		if len(f) == 4 {
			if paths, err = legacyNum(n, "store path count", f[2], maxStorePaths); err != nil {
				return err
			}
			if subdirs, err = legacyNum(n, "subdir count", f[3], maxSubdirs); err != nil {
				return err
			}
		}
		g := r.addGroup(name)
		g.port, g.storePathCount, g.subdirCount = int(port), int(paths), int(subdirs)
		return nil
	})
}

// loadLegacyServers reads storage_servers.dat, one storage a line in 22,
// 20, 18 or 17 columns: group, ip, status, sync source, sync until, the
// upload/set-meta/delete/download/get-meta counters (total, success), last
// source update, last sync update, then changelog offset (18+), storage and
// HTTP port (20+), join time and version (22).
func (r *registry) loadLegacyServers(data []byte) error {
	const cols = 22
	counters := []func(*codec.StatBlock) *int64{
		func(s *codec.StatBlock) *int64 { return &s.TotalUploadCount },
		func(s *codec.StatBlock) *int64 { return &s.SuccessUploadCount },
		func(s *codec.StatBlock) *int64 { return &s.TotalSetMetaCount },
		func(s *codec.StatBlock) *int64 { return &s.SuccessSetMetaCount },
		func(s *codec.StatBlock) *int64 { return &s.TotalDeleteCount },
		func(s *codec.StatBlock) *int64 { return &s.SuccessDeleteCount },
		func(s *codec.StatBlock) *int64 { return &s.TotalDownloadCount },
		func(s *codec.StatBlock) *int64 { return &s.SuccessDownloadCount },
		func(s *codec.StatBlock) *int64 { return &s.TotalGetMetaCount },
		func(s *codec.StatBlock) *int64 { return &s.SuccessGetMetaCount },
		func(s *codec.StatBlock) *int64 { return &s.LastSourceUpdate },
		func(s *codec.StatBlock) *int64 { return &s.LastSyncUpdate },
	}
	err := legacyLines(data, func(n int, line string) error {
		f := csvFields(line, cols)
		switch len(f) {
		case cols, cols - 2, cols - 4, cols - 5:
		default:
			return fmt.Errorf("line %d: %d columns, want 22, 20, 18 or 17", n, len(f))
		}
		g := r.groups[f[0]]
		if g == nil {
			return fmt.Errorf("line %d: unknown group %q", n, f[0])
		}
		ip := f[1]
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("line %d: bad ip address %q", n, ip)
		}
		// every number but the version must be a non-negative one
		last := len(f)
		if len(f) == cols {
			last = cols - 1
		}
		for i := 2; i < last; i++ {
			if i == 3 { // the sync source
				continue
			}
			hi := int64(nonNeg)
			switch i {
			case 2:
				hi = int64(StatusNone)
			case 18, 19:
				hi = 65535
			}
			if _, err := legacyNum(n, fmt.Sprintf("column %d", i+1), f[i], hi); err != nil {
				return err
			}
		}
		if len(f) == cols && len(f[21]) > conf.MaxValueLen {
			// the ini reader would cut it: the converted file would not say the same
			return fmt.Errorf("line %d: version of %d bytes, want at most %d", n, len(f[21]), conf.MaxValueLen)
		}
		if st := byte(atoi(f[2])); !knownStatus(st) {
			return fmt.Errorf("line %d: status %d is no FastDFS storage status", n, st)
		}
		port := g.port
		if len(f) >= cols-2 {
			if p := int(atoi(f[18])); p > 0 {
				port = p
			}
		}
		id, rw := ip, codec.RWModeBoth
		if r.cfg.UseStorageID && r.cfg.StorageIDs != nil {
			e := r.cfg.StorageIDs.ByAddr(ip, port)
			if e == nil || e.Group != g.name {
				return fmt.Errorf("line %d: %s:%d of %s not in storage_ids", n, ip, port, g.name)
			}
			id, rw = e.ID, wireRWMode(e.RW)
		}
		if g.find(id) != nil {
			return fmt.Errorf("line %d: storage %s listed twice", n, id)
		}
		m := newStorage(g, id, ip, port)
		m.rwMode = rw
		m.status = byte(atoi(f[2]))
		switch m.status {
		case StatusInit, StatusWaitSync, StatusSyncing:
		default:
			m.status = StatusOffline
		}
		m.syncSrcID = f[3]
		m.syncUntil = atoi(f[4])
		for i, field := range counters {
			*field(&m.stat) = atoi(f[5+i])
		}
		if len(f) > cols-5 {
			m.changelogOffset = min(max(atoi(f[17]), 0), int64(len(r.changelog)))
		}
		if len(f) == cols {
			m.joinTime = atoi(f[20])
			m.version = f[21]
		}
		g.add(m)
		return nil
	})
	if err != nil {
		return err
	}
	// a sync source must be a storage of the same group, as C checks
	for _, g := range r.sorted {
		for _, m := range g.storages {
			if m.syncSrcID == "" {
				continue
			}
			if g.find(m.syncSrcID) == nil {
				if r.cfg.UseStorageID && r.cfg.StorageIDs != nil {
					if e := r.cfg.StorageIDs.ByAddr(m.syncSrcID, g.port); e != nil && g.find(e.ID) != nil {
						m.syncSrcID = e.ID
						continue
					}
				}
				return fmt.Errorf("group %s: sync source %q of %s does not exist", g.name, m.syncSrcID, m.id)
			}
		}
		g.updateSpace()
	}
	return nil
}
