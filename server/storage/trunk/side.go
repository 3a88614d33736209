package trunk

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// Side is a storage's trunk-file state, everything but the command path:
// the store (opened on first use, so a storage that never sees a trunk
// name never creates data/trunk), the tracker's trunk parameters, the
// group's trunk server from the trackers' notices, and the container ids
// this storage hands out while it is that trunk server. The zero value is
// off until Configure; its methods are safe for concurrent use.
type Side struct {
	cfg SideConfig

	once  sync.Once
	store *Store
	err   error

	on atomic.Bool // use_trunk_file (read on every upload)

	mu     sync.Mutex
	server codec.StorageBrief // the group's trunk server; zero: none heard of
	heard  bool
	// the tracker's trunk parameters (PARAMETER_REQ); zero: C's defaults
	slotMin, slotMax, alignment int32
	fileSize                    int64
	maxBackups                  int           // trunk_binlog_max_backups
	nextID                      int32         // the last container id handed out
	merge, deleteUnused         bool          // trunk_free_space_merge, delete_unused_trunk_files
	compressInterval            int64         // trunk_compress_binlog_interval, seconds
	compressMinInterval         int64         // trunk_compress_binlog_min_interval, seconds
	compressBase                time.Duration // trunk_compress_binlog_time_base; < 0: none
	lastCompress                time.Time     // the last compression (compress.go)
	compressedSize              int64         // the binlog's size and generation right after it
	compressedGen               uint64
	checkOccupying              bool          // trunk_init_check_occupying
	reloadFromBinlog            bool          // trunk_init_reload_from_binlog
	advance                     advanceParams // trunk_create_file_* (advance.go)
	started                     time.Time
	stopTasks                   chan struct{} // the trunk server's timed tasks run while non-nil
}

// SideConfig is what the trunk side needs of its storage.
type SideConfig struct {
	Group      []byte
	BasePath   string   // base_path
	StorePaths []string // store_path0..
	// PickDir is the data/HH/HH directory of a new container, from the
	// base64 of its id (the storage's file_distribute_path_mode).
	PickDir func(b64 []byte) (high, low int)
	// PickPath is the store path for size more bytes of trunk files
	// (store_path rules and their reserve; an error when none has room).
	PickPath func(size int64) (int, error)
	// IsMe reports whether ip:port, a trunk server a tracker named, is
	// this storage.
	IsMe func(ip string, port int) bool
	// ConnectTimeout and NetworkTimeout bound calls to the trunk server
	// (0: 10 s and 30 s).
	ConnectTimeout, NetworkTimeout time.Duration
	Log                            *slog.Logger
	Now                            func() time.Time
}

// Configure sets the storage's side up (before it serves).
func (d *Side) Configure(cfg SideConfig) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.NetworkTimeout <= 0 {
		cfg.NetworkTimeout = 30 * time.Second
	}
	d.cfg = cfg
	d.started = cfg.Now()
}

// On reports use_trunk_file as the tracker handed it.
func (d *Side) On() bool { return d.on.Load() }

// Store opens the trunk store once.
func (d *Side) Store() (*Store, error) {
	d.once.Do(func() {
		if d.cfg.BasePath == "" {
			d.err = errors.New("trunk: storage not configured")
			return
		}
		d.mu.Lock()
		slotMin, alignment, fileSize, occupying, reload := d.slotMin, d.alignment, d.fileSize, d.checkOccupying, d.reloadFromBinlog
		d.mu.Unlock()
		d.nextID = d.lastContainerID()
		d.store, d.err = Open(Config{BasePath: d.cfg.BasePath, StorePaths: d.cfg.StorePaths,
			SlotMinSize: slotMin, Alignment: alignment, TrunkFileSize: fileSize, CheckOccupying: occupying,
			ReloadFromBinlog: reload, NextFileID: d.nextContainerID, PickDir: d.cfg.PickDir, Log: d.cfg.Log, Now: d.cfg.Now})
		if d.err != nil {
			d.cfg.Log.Error("open trunk store", "base_path", d.cfg.BasePath, "err", d.err)
		}
	})
	return d.store, d.err
}

// Close saves the free-space snapshot and closes the store if it was
// opened (storage stop).
func (d *Side) Close() {
	d.scheduleTasks(false)
	d.once.Do(func() { d.err = errors.New("storage stopped") })
	if d.store != nil {
		if d.IsServer() && d.saveAtStop() {
			d.save()
		}
		if _, err := d.store.SaveSnapshotMerged(false); err != nil {
			d.cfg.Log.Warn("save trunk snapshot", "err", err)
		}
		_ = d.store.Close()
	}
}

// SetParams takes the trunk keys of the tracker's PARAMETER_REQ reply.
func (d *Side) SetParams(p codec.Parameters) {
	num := func(k string) int64 {
		v, ok := p.Get(k)
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		return n
	}
	d.mu.Lock()
	d.on.Store(num("use_trunk_file") != 0)
	d.slotMin, d.slotMax = int32(num("slot_min_size")), int32(num("slot_max_size"))
	d.alignment, d.fileSize = int32(num("trunk_alloc_alignment_size")), num("trunk_file_size")
	d.maxBackups = int(num("trunk_binlog_max_backups"))
	d.merge, d.deleteUnused = num("trunk_free_space_merge") != 0, num("delete_unused_trunk_files") != 0
	d.compressInterval = num("trunk_compress_binlog_interval")
	d.compressMinInterval = num("trunk_compress_binlog_min_interval")
	d.checkOccupying = num("trunk_init_check_occupying") != 0
	d.reloadFromBinlog = num("trunk_init_reload_from_binlog") != 0
	d.advance = advanceParams{on: num("trunk_create_file_advance") != 0, base: -1,
		interval:  time.Duration(num("trunk_create_file_interval")) * time.Second,
		threshold: num("trunk_create_file_space_threshold")}
	if v, ok := p.Get("trunk_create_file_time_base"); ok {
		if b, ok := parseTimeOfDay(v); ok {
			d.advance.base = b
		}
	}
	d.compressBase = -1
	if v, ok := p.Get("trunk_compress_binlog_time_base"); ok {
		if b, ok := parseTimeOfDay(v); ok {
			d.compressBase = b
		}
	}
	slotMin, alignment, fileSize := d.slotMin, d.alignment, d.fileSize
	merge, deleteUnused := d.merge, d.deleteUnused
	d.mu.Unlock()
	if !d.on.Load() {
		// use_trunk_file turned off: the timed tasks stop; the store opens
		// when a trunk name or command first needs it
		d.scheduleTasks(false)
		return
	}
	if st, err := d.Store(); err == nil {
		st.SetAllocation(slotMin, alignment, fileSize)
		st.SetMerge(merge, deleteUnused)
	}
	// the timed tasks run with the parameters in force now
	d.scheduleTasks(false)
	d.scheduleTasks(d.IsServer())
}

// saveOnDuty is C's storage_trunk_save on the trunk server: on becoming
// it (after loading the free space) when no periodic compression is set,
// and on stopping after an hour up (saveAtStop). With
// trunk_compress_binlog_min_interval past since the last compression it
// compresses instead (refused in the first 600 s up: then nothing is
// saved); else it saves storage_trunk.dat after a free-space merge.
func (d *Side) saveOnDuty() {
	d.mu.Lock()
	periodic := d.compressInterval != 0
	d.mu.Unlock()
	if !periodic && d.on.Load() {
		d.save()
	}
}

func (d *Side) save() {
	st, err := d.Store()
	if err != nil {
		return
	}
	d.mu.Lock()
	minIv := time.Duration(d.compressMinInterval) * time.Second
	viaCompress := minIv > 0 && d.cfg.Now().Sub(d.lastCompress) > minIv
	d.mu.Unlock()
	if viaCompress {
		if err := d.compress(); err != nil {
			d.cfg.Log.Info("trunk binlog compression", "err", err)
		}
		return
	}
	if _, err := st.SaveSnapshotMerged(true); err != nil {
		d.cfg.Log.Warn("save trunk snapshot", "err", err)
	}
}

// saveAtStop reports whether a stopping trunk server saves as C does
// (after an hour up, without periodic compression); else the snapshot is
// saved without a merge.
func (d *Side) saveAtStop() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.compressInterval == 0 && d.cfg.Now().Sub(d.started) >= time.Hour
}

// slotMaxSize is slot_max_size (C's default, trunk_file_size / 8, when unset).
func (d *Side) slotMaxSize() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.slotMax <= 0 {
		return 8 << 20
	}
	return int64(d.slotMax)
}

// Fits says whether a file of size bytes goes into a slot, as C decides
// for a plain upload: use_trunk_file is on and header plus content fit
// slot_max_size.
func (d *Side) Fits(size int64) bool {
	return d.on.Load() && size+codec.TrunkSlotHeaderSize <= d.slotMaxSize()
}

// lastContainerID is current_trunk_file_id of .data_init_flag (0 if
// absent): new containers are numbered after it. Ids whose file exists are
// skipped anyway, so a stale value costs a few stats, never a collision.
func (d *Side) lastContainerID() int32 {
	b, err := os.ReadFile(filepath.Join(d.cfg.BasePath, "data", ".data_init_flag"))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "current_trunk_file_id="); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			return int32(n)
		}
	}
	return 0
}

// nextContainerID hands out the next container id.
func (d *Side) nextContainerID() (int32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID++
	return d.nextID, nil
}

// ContainerID is the last container id handed out (current_trunk_file_id).
func (d *Side) ContainerID() int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.nextID
}

// RaiseContainerID makes new containers number after id (the tracker's
// FETCH_TRUNK_FID answer); it reports whether the id moved.
func (d *Side) RaiseContainerID(id int32) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id <= d.nextID {
		return false
	}
	d.cfg.Log.Info("trunk file id from the tracker", "old", d.nextID, "new", id)
	d.nextID = id
	return true
}

// NoteServer records the trunk server a tracker's change notice names
// (the brief's slices may alias a reply buffer: they are copied).
func (d *Side) NoteServer(b codec.StorageBrief) {
	b.ID, b.IP = bytes.Clone(codec.FixedBytes(b.ID)), bytes.Clone(codec.FixedBytes(b.IP))
	was := d.IsServer()
	d.mu.Lock()
	d.server, d.heard = b, true
	d.mu.Unlock()
	d.cfg.Log.Info("trunk server", "group", string(d.cfg.Group), "id", string(b.ID), "ip", string(b.IP), "port", b.Port)
	is := d.IsServer()
	if !was && is {
		d.saveOnDuty()
	}
	d.scheduleTasks(is)
}

// scheduleTasks starts the trunk server's timed tasks
// (trunk_create_file_advance) when this storage is trunk server, and
// stops them when it is not.
func (d *Side) scheduleTasks(on bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	adv, compress := d.advance, time.Duration(d.compressInterval)*time.Second
	on = on && d.on.Load()
	switch {
	case on && d.stopTasks == nil:
		d.stopTasks = make(chan struct{})
		if adv.on && adv.interval > 0 {
			go d.runTask("create trunk files in advance", adv.base, adv.interval, d.stopTasks, func() error {
				n, err := d.CreateAdvance()
				if n > 0 {
					d.cfg.Log.Info("created trunk files in advance", "count", n)
				}
				return err
			})
		}
		if compress > 0 {
			go d.runTask("compress trunk binlog", d.compressBase, compress, d.stopTasks, d.compress)
		}
	case !on && d.stopTasks != nil:
		close(d.stopTasks)
		d.stopTasks = nil
	}
}

// ErrNoServer: no tracker has named the group's trunk server yet, or the
// trackers say there is none now (between a trunk server's loss and the
// next election). Uploads then fail EAGAIN rather than take space
// locally: two storages must never hand out the same slot.
var ErrNoServer = fmt.Errorf("the group has no trunk server now: %w", codec.EAGAIN)

// ServerAddr is the address of the group's trunk server when it is
// another storage, "" when it is this one, ErrNoServer when none is known.
func (d *Side) ServerAddr() (string, error) {
	d.mu.Lock()
	b, heard := d.server, d.heard
	d.mu.Unlock()
	ip := string(b.IP)
	if !heard || ip == "" {
		return "", ErrNoServer
	}
	if d.cfg.IsMe != nil && d.cfg.IsMe(ip, int(b.Port)) {
		return "", nil
	}
	return net.JoinHostPort(ip, strconv.Itoa(int(b.Port))), nil
}

// IsServer reports whether a tracker named this storage the group's trunk
// server (C's g_if_trunker_self): it keeps the group's free space, and the
// storages it pushes its trunk binlog to refuse that binlog from anyone
// while they are it.
func (d *Side) IsServer() bool {
	addr, err := d.ServerAddr()
	return addr == "" && err == nil
}
