package tracker

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Tracker state files in <base_path>/data (cluster.md §2.5), written in C's
// exact text layout so a C tracker can take over the directory and back.
const (
	groupsFile        = "storage_groups_new.dat"
	serversFile       = "storage_servers_new.dat"
	syncTimestampFile = "storage_sync_timestamp.dat"
	changelogFile     = "storage_changelog.dat"
	trackerStatusFile = ".tracker_status"
)

// stateFiles is the data directory.
type stateFiles struct {
	dir          string
	useStorageID bool
}

func newStateFiles(cfg *conf.Tracker) *stateFiles {
	return &stateFiles{dir: filepath.Join(cfg.BasePath, "data"), useStorageID: cfg.UseStorageID}
}

// writeFile replaces name atomically: <name>.tmp, fsync, rename, then an
// fsync of the directory so the rename itself survives a crash.
func (f *stateFiles) writeFile(name string, data []byte) error {
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(f.dir, name)
	tmp := path + ".tmp"
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err = fh.Write(data); err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(f.dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// appendFile appends and fsyncs (the changelog: one line per deletion).
func (f *stateFiles) appendFile(name string, data []byte) error {
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	fh, err := os.OpenFile(filepath.Join(f.dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err = fh.Write(data); err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeFile deletes a state file (a converted legacy one).
func (f *stateFiles) removeFile(name string) error {
	return os.Remove(filepath.Join(f.dir, name))
}

func (f *stateFiles) readFile(name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// ---- writers (caller holds the registry lock) ---------------------------

func (r *registry) saveFile(name string, data []byte) {
	if r.store == nil {
		return
	}
	if err := r.store.writeFile(name, data); err != nil {
		r.log.Error("cannot save tracker state", "file", name, "err", err)
	}
}

func (r *registry) saveGroups()         { r.saveFile(groupsFile, r.formatGroups()) }
func (r *registry) saveServers()        { r.saveFile(serversFile, r.formatServers()) }
func (r *registry) saveSyncTimestamps() { r.saveFile(syncTimestampFile, r.formatSyncTimestamps()) }

// saveAll writes the three state files (caller holds the lock).
func (r *registry) saveAll() error {
	if r.store == nil {
		return nil
	}
	var errs []error
	for _, f := range []struct {
		name string
		data []byte
	}{
		{groupsFile, r.formatGroups()},
		{serversFile, r.formatServers()},
		{syncTimestampFile, r.formatSyncTimestamps()},
	} {
		if err := r.store.writeFile(f.name, f.data); err != nil {
			r.log.Error("cannot save tracker state", "file", f.name, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// persist is saveAll taking the lock (shutdown).
func (r *registry) persist() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.saveAll()
}

// appendChangelog adds a line to storage_changelog.dat, on disk first.
func (r *registry) appendChangelog(line []byte) error {
	if r.store != nil {
		if err := r.store.appendFile(changelogFile, line); err != nil {
			return err
		}
	}
	r.changelog = append(r.changelog, line...)
	return nil
}

// saveTrackerStatus writes .tracker_status.
func (r *registry) saveTrackerStatus(up, now time.Time) error {
	if r.store == nil {
		return nil
	}
	return r.store.writeFile(trackerStatusFile, formatTrackerStatus(up.Unix(), now.Unix()))
}

func formatTrackerStatus(up, lastCheck int64) []byte {
	return fmt.Appendf(nil, "up_time=%d\nlast_check_time=%d\n", up, lastCheck)
}

func (r *registry) formatGroups() []byte {
	b := fmt.Appendf(nil, "[Global]\n\tgroup_count=%d\n\n", len(r.sorted))
	for i, g := range r.sorted {
		b = fmt.Appendf(b, "# group: %s\n[Group%03d]\n", g.name, i+1)
		b = fmt.Appendf(b, "\tgroup_name=%s\n\tstorage_port=%d\n\tstore_path_count=%d\n"+
			"\tsubdir_count_per_path=%d\n\tcurrent_trunk_file_id=%d\n\ttrunk_server=%s\n"+
			"\tlast_trunk_server=%s\n\n",
			g.name, g.port, g.storePathCount, g.subdirCount, g.currentTrunkFileID,
			g.trunkServer, g.lastTrunkServer)
	}
	return b
}

// persisted reports whether a record goes to the files: deleted and
// superseded records do not.
func persisted(m *storage) bool {
	return m.status != StatusDeleted && m.status != StatusIPChanged
}

// statKeys are the counters of storage_servers_new.dat in C's order
// (modify and truncate counters are not persisted).
var statKeys = []struct {
	key   string
	field func(*codec.StatBlock) *int64
}{
	{"total_upload_count", func(s *codec.StatBlock) *int64 { return &s.TotalUploadCount }},
	{"success_upload_count", func(s *codec.StatBlock) *int64 { return &s.SuccessUploadCount }},
	{"total_append_count", func(s *codec.StatBlock) *int64 { return &s.TotalAppendCount }},
	{"success_append_count", func(s *codec.StatBlock) *int64 { return &s.SuccessAppendCount }},
	{"total_set_meta_count", func(s *codec.StatBlock) *int64 { return &s.TotalSetMetaCount }},
	{"success_set_meta_count", func(s *codec.StatBlock) *int64 { return &s.SuccessSetMetaCount }},
	{"total_delete_count", func(s *codec.StatBlock) *int64 { return &s.TotalDeleteCount }},
	{"success_delete_count", func(s *codec.StatBlock) *int64 { return &s.SuccessDeleteCount }},
	{"total_download_count", func(s *codec.StatBlock) *int64 { return &s.TotalDownloadCount }},
	{"success_download_count", func(s *codec.StatBlock) *int64 { return &s.SuccessDownloadCount }},
	{"total_get_meta_count", func(s *codec.StatBlock) *int64 { return &s.TotalGetMetaCount }},
	{"success_get_meta_count", func(s *codec.StatBlock) *int64 { return &s.SuccessGetMetaCount }},
	{"total_create_link_count", func(s *codec.StatBlock) *int64 { return &s.TotalCreateLinkCount }},
	{"success_create_link_count", func(s *codec.StatBlock) *int64 { return &s.SuccessCreateLinkCount }},
	{"total_delete_link_count", func(s *codec.StatBlock) *int64 { return &s.TotalDeleteLinkCount }},
	{"success_delete_link_count", func(s *codec.StatBlock) *int64 { return &s.SuccessDeleteLinkCount }},
	{"total_upload_bytes", func(s *codec.StatBlock) *int64 { return &s.TotalUploadBytes }},
	{"success_upload_bytes", func(s *codec.StatBlock) *int64 { return &s.SuccessUploadBytes }},
	{"total_append_bytes", func(s *codec.StatBlock) *int64 { return &s.TotalAppendBytes }},
	{"success_append_bytes", func(s *codec.StatBlock) *int64 { return &s.SuccessAppendBytes }},
	{"total_download_bytes", func(s *codec.StatBlock) *int64 { return &s.TotalDownloadBytes }},
	{"success_download_bytes", func(s *codec.StatBlock) *int64 { return &s.SuccessDownloadBytes }},
	{"total_sync_in_bytes", func(s *codec.StatBlock) *int64 { return &s.TotalSyncInBytes }},
	{"success_sync_in_bytes", func(s *codec.StatBlock) *int64 { return &s.SuccessSyncInBytes }},
	{"total_sync_out_bytes", func(s *codec.StatBlock) *int64 { return &s.TotalSyncOutBytes }},
	{"success_sync_out_bytes", func(s *codec.StatBlock) *int64 { return &s.SuccessSyncOutBytes }},
	{"total_file_open_count", func(s *codec.StatBlock) *int64 { return &s.TotalFileOpenCount }},
	{"success_file_open_count", func(s *codec.StatBlock) *int64 { return &s.SuccessFileOpenCount }},
	{"total_file_read_count", func(s *codec.StatBlock) *int64 { return &s.TotalFileReadCount }},
	{"success_file_read_count", func(s *codec.StatBlock) *int64 { return &s.SuccessFileReadCount }},
	{"total_file_write_count", func(s *codec.StatBlock) *int64 { return &s.TotalFileWriteCount }},
	{"success_file_write_count", func(s *codec.StatBlock) *int64 { return &s.SuccessFileWriteCount }},
	{"last_source_update", func(s *codec.StatBlock) *int64 { return &s.LastSourceUpdate }},
	{"last_sync_update", func(s *codec.StatBlock) *int64 { return &s.LastSyncUpdate }},
	{"last_synced_timestamp", func(s *codec.StatBlock) *int64 { return &s.LastSyncedTimestamp }},
	{"last_heart_beat_time", func(s *codec.StatBlock) *int64 { return &s.LastHeartBeatTime }},
}

// hostPort is "ip:port", brackets around IPv6.
func hostPort(ip string, port int) string {
	if strings.IndexByte(ip, ':') >= 0 {
		return "[" + ip + "]:" + strconv.Itoa(port)
	}
	return ip + ":" + strconv.Itoa(port)
}

func (r *registry) formatServers() []byte {
	var b []byte
	n := 0
	for _, g := range r.sorted {
		for _, m := range g.storages {
			if !persisted(m) {
				continue
			}
			n++
			b = fmt.Appendf(b, "# storage: %s\n[Storage%03d]\n", hostPort(m.ip, m.port), n)
			if r.store != nil && r.store.useStorageID {
				b = fmt.Appendf(b, "\tid=%s\n", m.id)
			}
			b = fmt.Appendf(b, "\tgroup_name=%s\n\tip_addr=%s\n\tstatus=%d\n\tversion=%s\n"+
				"\tjoin_time=%d\n\tstorage_port=%d\n\tsync_src_server=%s\n\tsync_until_timestamp=%d\n"+
				"\ttotal_mb=%d\n\tfree_mb=%d\n\tchangelog_offset=%d\n\tstore_path_count=%d\n"+
				"\tsubdir_count_per_path=%d\n\tupload_priority=%d\n",
				g.name, m.ip, m.status, m.version, m.joinTime, m.port, m.syncSrcID, m.syncUntil,
				m.totalMB, m.freeMB, m.changelogOffset, m.storePathCount, m.subdirCount, m.uploadPriority)
			for _, k := range statKeys {
				b = fmt.Appendf(b, "\t%s=%d\n", k.key, *k.field(&m.stat))
			}
			b = append(b, '\n')
		}
	}
	return fmt.Appendf(b, "\n[Global]\n\tstorage_count=%d\n", n)
}

func (r *registry) formatSyncTimestamps() []byte {
	var b []byte
	for _, g := range r.sorted {
		for _, src := range g.storages {
			if !persisted(src) {
				continue
			}
			b = fmt.Appendf(b, "%s,%s", g.name, src.id)
			for _, dest := range g.storages {
				if !persisted(dest) {
					continue
				}
				var ts int64
				if dest != src {
					ts = dest.syncedFrom[src.id]
				}
				b = fmt.Appendf(b, ",%d", ts)
			}
			b = append(b, '\n')
		}
	}
	return b
}

// ---- loading -------------------------------------------------------------

// load reads the state files of a previous run (ours or C's). Storages come
// back OFFLINE unless they were still being set up (INIT, WAIT_SYNC,
// SYNCING): nobody is connected yet.
//
// A missing groups or servers file whose legacy CSV form exists is read
// from that, written in the new form and the legacy file deleted, as C
// converts them.
func (r *registry) load() error {
	defer func() { r.loadedAs = nil }()
	var files [codec.SysFileCount][]byte
	for i := range files {
		data, err := r.store.readFile(codec.SysFileName(i))
		if err != nil {
			return err
		}
		files[i] = data
	}
	var legacy [codec.SysFileCount][]byte
	anyLegacy := false
	for i := range files {
		if name := legacyFileOf(i); files[i] == nil && name != "" {
			data, err := r.store.readFile(name)
			if err != nil {
				return err
			}
			legacy[i], anyLegacy = data, anyLegacy || data != nil
		}
	}
	if !anyLegacy {
		return r.loadFiles(&files)
	}
	// the changelog first: legacy changelog offsets are clamped to its size
	r.changelog = files[codec.SysFileChangelog]
	loaders := [...]func([]byte) error{r.loadGroups, r.loadServers, r.loadSyncTimestamps}
	legacyLoaders := [...]func([]byte) error{r.loadLegacyGroups, r.loadLegacyServers, nil}
	for i, load := range loaders {
		name, data := codec.SysFileName(i), files[i]
		if legacy[i] != nil {
			load, name, data = legacyLoaders[i], legacyFileOf(i), legacy[i]
		}
		if data == nil {
			continue
		}
		if err := load(data); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for i, data := range legacy {
		if data == nil {
			continue
		}
		formatted := r.formatGroups()
		if i == codec.SysFileServers {
			formatted = r.formatServers()
		}
		if err := r.store.writeFile(codec.SysFileName(i), formatted); err != nil {
			return fmt.Errorf("converting %s: %w", legacyFileOf(i), err)
		}
		if err := r.store.removeFile(legacyFileOf(i)); err != nil {
			return fmt.Errorf("converted %s, but: %w", legacyFileOf(i), err)
		}
	}
	return nil
}

// loadFiles builds the state from the contents of the four state files,
// indexed as GET_ONE_SYS_FILE numbers them; a nil file is absent.
func (r *registry) loadFiles(files *[codec.SysFileCount][]byte) error {
	defer func() { r.loadedAs = nil }()
	loaders := [...]func([]byte) error{r.loadGroups, r.loadServers, r.loadSyncTimestamps}
	for i, load := range loaders {
		if data := files[i]; data != nil {
			if err := load(data); err != nil {
				return fmt.Errorf("%s: %w", codec.SysFileName(i), err)
			}
		}
	}
	r.changelog = files[codec.SysFileChangelog]
	return nil
}

// reset forgets every group and storage, before loading files pulled
// from another tracker (caller holds the lock).
func (r *registry) reset() {
	r.groups = map[string]*group{}
	r.sorted = nil
	r.currentWriteGroup = 0
	r.changelog = nil
	r.syncReports = 0
}

// iniInts reads the integer keys of one state-file section. A value that
// is not an integer in its range is an error naming the file and line, kept
// in err (the first one): a damaged file must stop the tracker, not load as
// zeros that the next save writes over it.
type iniInts struct {
	sec *conf.Section
	err error
}

// Ranges of the state files' numbers: what a JOIN may announce (join.go),
// and non-negative for counts, sizes and times.
const (
	maxStorePaths = codec.MaxStorePaths
	maxSubdirs    = 256
	nonNeg        = math.MaxInt64
)

// knownStatus reports a storage status C defines (storage.go).
func knownStatus(s byte) bool {
	switch s {
	case StatusInit, StatusWaitSync, StatusSyncing, StatusIPChanged, StatusDeleted,
		StatusOffline, StatusOnline, StatusActive, StatusRecovery, StatusNone:
		return true
	}
	return false
}

// get reads key, 0 when absent.
func (r *iniInts) get(key string, lo, hi int64) int64 {
	it, ok := r.sec.Last(key)
	if !ok || r.err != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.TrimSpace(it.Value), 10, 64)
	if err != nil || n < lo || n > hi {
		r.err = fmt.Errorf("%s: %s=%q, want an integer in [%d, %d]", it.Pos(), key, it.Value, lo, hi)
		return 0
	}
	return n
}

func iniStr(s *conf.Section, key string) string {
	it, _ := s.Last(key)
	return it.Value
}

// errStateInclude refuses #include in a state file: we never write one,
// and the parser would resolve it against the working directory.
var errStateInclude = errors.New("a state file includes no other file")

// parseStateINI parses an ini state file, warnings to the tracker's log.
func (r *registry) parseStateINI(name string, data []byte) (*conf.INI, error) {
	return conf.ParseINI(name, data, conf.WithLogger(r.log),
		conf.WithReadFile(func(string) ([]byte, error) { return nil, errStateInclude }))
}

func (r *registry) loadGroups(data []byte) error {
	ini, err := r.parseStateINI(groupsFile, data)
	if err != nil {
		return err
	}
	global := iniInts{sec: ini.Section("Global")}
	count := int(global.get("group_count", 0, nonNeg))
	if global.err != nil {
		return global.err
	}
	for i := 1; i <= count; i++ {
		sec := ini.Section(fmt.Sprintf("Group%03d", i))
		if sec == nil {
			return fmt.Errorf("section [Group%03d] missing", i)
		}
		name := iniStr(sec, "group_name")
		if !codec.ValidGroupName([]byte(name)) {
			return fmt.Errorf("[Group%03d]: invalid group name %q", i, name)
		}
		if r.groups[name] != nil {
			return fmt.Errorf("[Group%03d]: group %s listed twice", i, name)
		}
		ints := iniInts{sec: sec}
		port := int(ints.get("storage_port", -1, 65535)) // -1: members differ (join.go)
		paths := int(ints.get("store_path_count", 0, maxStorePaths))
		subdirs := int(ints.get("subdir_count_per_path", 0, maxSubdirs))
		trunkID := ints.get("current_trunk_file_id", 0, nonNeg)
		if ints.err != nil {
			return ints.err
		}
		g := r.addGroup(name)
		g.port, g.storePathCount, g.subdirCount, g.currentTrunkFileID = port, paths, subdirs, trunkID
		g.trunkServer = iniStr(sec, "trunk_server")
		if g.trunkServer != "" {
			g.trunkChanges++ // storages hear of it with their first notice
		}
		g.lastTrunkServer = iniStr(sec, "last_trunk_server")
	}
	return nil
}

func (r *registry) loadServers(data []byte) error {
	ini, err := r.parseStateINI(serversFile, data)
	if err != nil {
		return err
	}
	global := iniInts{sec: ini.Section("Global")}
	count := int(global.get("storage_count", 0, nonNeg))
	if global.err != nil {
		return global.err
	}
	for i := 1; i <= count; i++ {
		sec := ini.Section(fmt.Sprintf("Storage%03d", i))
		ints := iniInts{sec: sec}
		if sec == nil {
			return fmt.Errorf("section [Storage%03d] missing", i)
		}
		groupName := iniStr(sec, "group_name")
		g := r.groups[groupName]
		if g == nil {
			return fmt.Errorf("[Storage%03d]: unknown group %q", i, groupName)
		}
		ip := iniStr(sec, "ip_addr")
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("[Storage%03d]: bad ip_addr %q", i, ip)
		}
		port := int(ints.get("storage_port", 0, 65535))
		if ints.err != nil {
			return ints.err
		}
		if port == 0 {
			port = g.port
		}
		id := iniStr(sec, "id")
		fileID := id
		if fileID == "" {
			fileID = ip
		}
		rw := codec.RWModeBoth
		if r.cfg.UseStorageID && r.cfg.StorageIDs != nil {
			e := r.cfg.StorageIDs.ByID(id)
			if e == nil {
				// no id, or the IP a tracker without storage ids wrote:
				// the record is converted to the id of its address
				e = r.cfg.StorageIDs.ByAddr(ip, port)
			}
			if e == nil {
				return fmt.Errorf("[Storage%03d]: %s:%d not in storage_ids", i, ip, port)
			}
			id, rw = e.ID, wireRWMode(e.RW)
		} else {
			id = ip
		}
		if id != fileID {
			r.noteLoadedAs(groupName, fileID, id)
		}
		if g.find(id) != nil {
			return fmt.Errorf("[Storage%03d]: storage %s listed twice", i, id)
		}
		m := newStorage(g, id, ip, port)
		m.rwMode = rw
		status := ints.get("status", 0, int64(StatusNone))
		if ints.err == nil && !knownStatus(byte(status)) {
			it, _ := sec.Last("status")
			return fmt.Errorf("%s: status=%d is no FastDFS storage status", it.Pos(), status)
		}
		m.status = byte(status)
		switch m.status {
		case StatusInit, StatusWaitSync, StatusSyncing:
		default:
			m.status = StatusOffline
		}
		m.version = iniStr(sec, "version")
		m.joinTime = ints.get("join_time", 0, nonNeg)
		m.syncSrcID = iniStr(sec, "sync_src_server")
		m.syncUntil = ints.get("sync_until_timestamp", 0, nonNeg)
		m.totalMB = ints.get("total_mb", 0, nonNeg)
		m.freeMB = ints.get("free_mb", 0, nonNeg)
		m.changelogOffset = ints.get("changelog_offset", 0, nonNeg)
		m.storePathCount = int(ints.get("store_path_count", 0, maxStorePaths))
		m.subdirCount = int(ints.get("subdir_count_per_path", 0, maxSubdirs))
		m.uploadPriority = ints.get("upload_priority", math.MinInt64, math.MaxInt64)
		for _, k := range statKeys {
			*k.field(&m.stat) = ints.get(k.key, 0, nonNeg)
		}
		if ints.err != nil {
			return ints.err
		}
		g.add(m)
	}
	for _, g := range r.sorted {
		g.updateSpace()
		for _, m := range g.storages {
			m.syncSrcID = r.idLoadedAs(g.name, m.syncSrcID)
		}
	}
	return nil
}

// noteLoadedAs records that the record keyed fileID in the state files is
// the storage id now (IP records converted under use_storage_id).
func (r *registry) noteLoadedAs(group, fileID, id string) {
	if r.loadedAs == nil {
		r.loadedAs = map[string]string{}
	}
	r.loadedAs[group+"/"+fileID] = id
}

// idLoadedAs is the id now of the record keyed fileID in the state files.
func (r *registry) idLoadedAs(group, fileID string) string {
	if id, ok := r.loadedAs[group+"/"+fileID]; ok {
		return id
	}
	return fileID
}

func (r *registry) loadSyncTimestamps(data []byte) error {
	rows := map[string]int{} // group -> rows read
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cols := strings.Split(line, ",")
		if len(cols) < 2 {
			return fmt.Errorf("line %d: too few columns", n+1)
		}
		g := r.groups[cols[0]]
		if g == nil {
			return fmt.Errorf("line %d: unknown group %q", n+1, cols[0])
		}
		k := rows[g.name]
		rows[g.name]++
		if k >= len(g.storages) || g.storages[k].id != r.idLoadedAs(g.name, cols[1]) {
			return fmt.Errorf("line %d: row %d of %s is %s, the servers file says otherwise", n+1, k, g.name, cols[1])
		}
		src := g.storages[k]
		for j, c := range cols[2:] {
			if j >= len(g.storages) {
				break
			}
			ts, err := strconv.ParseInt(c, 10, 64)
			if err != nil || ts < 0 {
				return fmt.Errorf("line %d: bad timestamp %q", n+1, c)
			}
			if dest := g.storages[j]; dest != src && ts > 0 {
				dest.syncedFrom[src.id] = ts
			}
		}
	}
	// last_synced_timestamp follows from the matrix (cluster.md §2.5)
	for _, g := range r.sorted {
		for _, dest := range g.storages {
			var v int64
			first := true
			for _, ts := range dest.syncedFrom {
				if ts <= 0 {
					continue
				}
				if r.cfg.StoreServer == conf.StoreServerRoundRobin {
					if first || ts < v {
						v = ts
					}
				} else if ts > v {
					v = ts
				}
				first = false
			}
			if !first {
				dest.stat.LastSyncedTimestamp = v
			}
		}
	}
	return nil
}

// lastCheckTime reads last_check_time from the previous run's
// .tracker_status, 0 when there is none.
func (f *stateFiles) lastCheckTime() (int64, error) {
	data, err := f.readFile(trackerStatusFile)
	if err != nil || data == nil {
		return 0, err
	}
	return parseTrackerStatus(data)
}

// parseTrackerStatus finds last_check_time in a .tracker_status, 0 when
// absent; a value that is not a non-negative number is an error naming the
// line.
func parseTrackerStatus(data []byte) (int64, error) {
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "last_check_time="); ok {
			t, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || t < 0 {
				return 0, fmt.Errorf("%s:%d: bad last_check_time %q", trackerStatusFile, n, v)
			}
			return t, nil
		}
	}
	return 0, nil
}
