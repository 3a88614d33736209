// Package report is the storage's tracker side (cluster.md §1): the
// startup phase (GET_MY_IP, PARAMETER_REQ, FETCH_STORAGE_IDS), then one
// report connection per tracker_server: JOIN, SYNC_DEST_REQ/SYNC_NOTIFY,
// BEAT + CHANGELOG_REQ every heart_beat_interval, REPORT_DISK_USAGE every
// stat_report_interval, SYNC_REPORT on change, and the trunk server's
// reports; plus the files that carry this state across restarts
// (.data_init_flag, storage_stat.dat, the store path marks). What it needs
// of the storage is the Storage and TrunkServer interfaces.
package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/internal/peercall"
)

// storageVersion is what JOIN reports (the C release we are compatible with).
const storageVersion = "6.16.1"

// Storage statuses (cluster.md §3.1) the reporter needs.
const (
	StatusInit      = 0
	StatusWaitSync  = 1
	StatusSyncing   = 2
	StatusIPChanged = 3
	StatusDeleted   = 4
	StatusOffline   = 5
	StatusOnline    = 6
	StatusActive    = 7
)

// Storage is what the reporter needs of the storage around it.
type Storage interface {
	// MyIP is our address as the trackers see it (ok false until learned).
	MyIP() (netip.Addr, bool)
	// LearnIP records ip as our address unless one is known; true when
	// it was recorded.
	LearnIP(ip netip.Addr) bool
	// Params are the parameters in force; SetParams replaces them.
	Params() Params
	SetParams(Params)
	// StatsGen moves whenever a counter of the BEAT stat block moves;
	// Stats fills the block.
	StatsGen() int64
	Stats(b *codec.StatBlock)
	// DiskUsage is total and free MB of every store path, in order.
	DiskUsage() []codec.PathUsage
	// SyncedFrom is the newest source timestamp received from peer id.
	SyncedFrom(id string) int64
	// Changelog takes a changelog entry about our group.
	Changelog(e ChangelogEntry)
	// RecoverPaths runs before the first JOIN (C's disk recovery); false
	// when the reporter stopped meanwhile.
	RecoverPaths() bool
}

// Config is the reporter's setting.
type Config struct {
	// from storage.conf
	TrackerServers     []conf.TrackerServer
	HeartBeatInterval  time.Duration // also the retry delay after a failure
	StatReportInterval time.Duration // REPORT_DISK_USAGE
	ConnectTimeout     time.Duration
	NetworkTimeout     time.Duration // idle limit of each step of a call
	BindAddr           string        // with ClientBind: the local address of tracker connections
	ClientBind         bool
	ServerID           string // our storage id when storage.conf names it
	UploadPriority     int

	Group      []byte
	Port       int // the port clients reach us on
	StorePaths int
	Subdirs    int       // subdir_count_per_path in force
	UpTime     time.Time // process start, JOIN's up_time
	DataDir    string    // <base_path>/data, where .data_init_flag is
	Log        *slog.Logger
	Peers      *Peers      // the leader and member list, filled from change notices
	Host       Storage     // the storage
	Trunk      TrunkServer // the trunk side (nil: no trunk reports)
	// Tap, when set, sees every request the reporter sends (tests).
	Tap func(cmd byte, body []byte)
}

// Reporter is the storage's links to its trackers.
type Reporter struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	flag   *DataFlag
	links  []*link
	port   int

	autoAdjust atomic.Bool // storage_ip_changed_auto_adjust: CHANGELOG_REQ after beats
	stopping   atomic.Bool // Stop is closing the report connections

	// syncMu serializes the one SYNC_DEST_REQ of the storage's life (the
	// first tracker that accepts a JOIN sends it, §1.2).
	syncMu sync.Mutex

	// syncGen moves when there are new sync timestamps to report (the
	// replication code bumps it); each link remembers what it sent.
	syncGen atomic.Int64

	// rejoinGen moves when every link must join again (our full copy
	// starts over from a new source, recover.go)
	rejoinGen atomic.Int64

	srcWatchMu   sync.Mutex
	srcGoneSince time.Time // when our sync source was first seen gone or OFFLINE (watchSource)

	ownIDFound string // our id from FETCH_STORAGE_IDS (run goroutine, before the links start)
}

// link is one tracker_server.
type link struct {
	r    *Reporter
	ts   conf.TrackerServer
	host string // the IP the connection targets (current_tracker_ip)
	addr string

	answered atomic.Bool  // this tracker has answered a JOIN (even with an error)
	syncSent int64        // the reporter's syncGen last reported (link goroutine only)
	status   atomic.Int32 // the tracker's view of us (JOIN reply, then CHANGE_STATUS)

	notifyResult atomic.Int32 // this tracker's answer to our last SYNC_NOTIFY (-1: none yet)
	rejoinSeen   int64        // the reporter's rejoinGen at this session's join (link goroutine only)

	mu   sync.Mutex
	conn net.Conn // the report connection, for Stop

	changelog []byte // an unterminated changelog line carried to the next reply

	trunkRep trunkReport // what this session told the tracker as trunk server
}

// New opens .data_init_flag and sets up one link per tracker_server;
// nothing is sent before Start.
func New(cfg Config) (*Reporter, error) {
	flag, err := OpenDataFlag(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Peers == nil {
		cfg.Peers = &Peers{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Reporter{cfg: cfg, log: cfg.Log, ctx: ctx, cancel: cancel, flag: flag, port: cfg.Port}
	for _, ts := range cfg.TrackerServers {
		if len(ts.Hosts) == 0 {
			continue
		}
		host := ts.Hosts[0]
		l := &link{r: r, ts: ts, host: host, addr: net.JoinHostPort(host, strconv.Itoa(ts.Port))}
		l.status.Store(-1)
		l.notifyResult.Store(-1)
		r.links = append(r.links, l)
	}
	return r, nil
}

// Start runs the startup phase, then the links, in the background.
func (r *Reporter) Start() {
	r.wg.Add(1)
	go r.run()
}

// Stop sends QUIT on the report connections, closes them and waits for
// the reporter's goroutines to end.
func (r *Reporter) Stop() {
	r.stopping.Store(true)
	for _, l := range r.links {
		l.mu.Lock()
		if l.conn != nil {
			var q [codec.HeaderSize]byte
			codec.Request(codec.CmdQuit, 0).Put(q[:])
			_ = l.conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = l.conn.Write(q[:])
			_ = l.conn.Close()
		}
		l.mu.Unlock()
	}
	r.cancel()
	r.wg.Wait()
}

// Context ends when the reporter stops.
func (r *Reporter) Context() context.Context { return r.ctx }

// NoteSyncProgress says that there are new sync timestamps to report
// (SYNC_REPORT goes out with the next beat).
func (r *Reporter) NoteSyncProgress() { r.syncGen.Add(1) }

// SyncSource is the full-copy setup from .data_init_flag: whether it is
// done (SYNC_DEST_REQ answered), the source storage id (empty: none) and
// the until timestamp.
func (r *Reporter) SyncSource() (done bool, src string, until int64) {
	return r.flag.Get("sync_old_done") == "1", r.flag.Get("sync_src_server"), r.flag.GetInt("sync_until_timestamp")
}

// Sleep waits d or until the reporter stops (false then).
func (r *Reporter) Sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (r *Reporter) retryDelay() time.Duration {
	if d := r.cfg.HeartBeatInterval; d > 0 {
		return d
	}
	return 30 * time.Second
}

// run is the startup phase, then one goroutine per tracker.
func (r *Reporter) run() {
	defer r.wg.Done()
	for {
		r.learnMyIP()
		if r.fetchParams() {
			break
		}
		if !r.Sleep(r.retryDelay()) {
			return
		}
	}
	// C recovers lost store paths before its first JOIN
	if !r.cfg.Host.RecoverPaths() {
		return
	}
	for _, l := range r.links {
		r.wg.Add(1)
		go l.loop()
	}
}

// dialer is the reporter's dialer: bound to bind_addr when client_bind is
// on, so several storages on one host are told apart.
func (r *Reporter) dialer() *net.Dialer {
	c := &r.cfg
	d := &net.Dialer{Timeout: c.ConnectTimeout}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if ip, ok := ClientBindIP(c.BindAddr, c.ClientBind); ok {
		d.LocalAddr = &net.TCPAddr{IP: ip.AsSlice()}
	}
	return d
}

// ClientBindIP is the local address of the storage's outgoing connections:
// bind_addr's first address when client_bind is on (ok false: none, the
// system picks).
func ClientBindIP(bindAddr string, clientBind bool) (netip.Addr, bool) {
	if bindAddr == "" || !clientBind {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(strings.Split(bindAddr, ",")[0]))
	return ip, err == nil
}

// netTimeout is the idle limit of each step of a tracker call.
func (r *Reporter) netTimeout() time.Duration {
	if d := r.cfg.NetworkTimeout; d > 0 {
		return d
	}
	return 30 * time.Second
}

// Dial opens a plain connection to a tracker or a peer (the sync pusher
// and disk recovery speak on it themselves).
func (r *Reporter) Dial(addr string) (net.Conn, error) {
	return r.dialer().DialContext(r.ctx, "tcp", addr)
}

// open opens a connection to a tracker for the reporter's calls.
func (r *Reporter) open(addr string) (*peercall.Conn, error) {
	return peercall.Dial(r.ctx, r.dialer(), addr, r.netTimeout())
}

// exchange sends one request and reads the reply (at most max body bytes;
// it sits in pc.Buf until pc's next call). Stopping the reporter expires
// the socket's deadline; the owner closes pc after an error.
func (r *Reporter) exchange(pc *peercall.Conn, cmd byte, body []byte, max int) (codec.Errno, []byte, error) {
	if r.cfg.Tap != nil {
		r.cfg.Tap(cmd, body)
	}
	stop := pc.Watch(r.ctx)
	defer stop()
	return pc.Exchange(r.ctx, cmd, 0, body, nil, 0, max)
}

// hangUp ends a short connection as C does: QUIT, then close.
func (r *Reporter) hangUp(pc *peercall.Conn) {
	if r.cfg.Tap != nil {
		r.cfg.Tap(codec.CmdQuit, nil)
	}
	_ = pc.Quit()
}

// Call is exchange for callers holding a plain connection from Dial (sync
// setup, disk recovery); the reply is theirs to keep.
func (r *Reporter) Call(c net.Conn, cmd byte, body []byte, max int) (codec.Errno, []byte, error) {
	return r.exchange(peercall.New(c, c.RemoteAddr().String(), r.netTimeout()), cmd, body, max)
}

// Quit is hangUp for a plain connection from Dial.
func (r *Reporter) Quit(c net.Conn) {
	r.hangUp(peercall.New(c, c.RemoteAddr().String(), 0))
}

// Addrs are the tracker_servers, host:port.
func (r *Reporter) Addrs() []string {
	addrs := make([]string, len(r.links))
	for i, l := range r.links {
		addrs[i] = l.addr
	}
	return addrs
}

// Port is the port clients reach us on.
func (r *Reporter) Port() int { return r.port }

// learnMyIP asks every tracker for our address (GET_MY_IP, short
// connections); the first answer's first IP becomes "my IP".
func (r *Reporter) learnMyIP() {
	req := codec.GetMyIPRequest{Group: r.cfg.Group, Port: int32(r.port)}
	body := req.Append(nil)
	for _, l := range r.links {
		c, err := r.open(l.addr)
		if err != nil {
			r.log.Warn("connect to tracker", "tracker", l.addr, "err", err)
			continue
		}
		st, reply, err := r.exchange(c, codec.CmdStorageGetMyIP, body, 2*codec.IPv6AddrSize)
		r.hangUp(c)
		if err != nil || st != codec.OK {
			r.log.Warn("GET_MY_IP", "tracker", l.addr, "status", st, "err", err)
			continue
		}
		first, _, _ := strings.Cut(string(reply), ",")
		if ip, err := netip.ParseAddr(first); err == nil && r.cfg.Host.LearnIP(ip.Unmap()) {
			r.log.Info("my IP from tracker", "tracker", l.addr, "ip", ip.Unmap())
			// what C keeps for its IP-change check at the next start
			if r.flag.Get("last_ip_addr") != string(reply) || r.flag.GetInt("last_server_port") != int64(r.port) {
				if err := r.flag.Set("last_ip_addr", string(reply), "last_server_port", strconv.Itoa(r.port)); err != nil {
					r.log.Error("save .data_init_flag", "err", err)
				}
			}
		}
	}
}

// fetchParams asks the trackers for their parameters (PARAMETER_REQ) in
// list order, the leader first when one is known, until one answers.
func (r *Reporter) fetchParams() bool {
	order := r.links
	if lead, ok := r.cfg.Peers.Leader(); ok {
		order = nil
		for _, l := range r.links {
			if l.host == lead.IP && l.ts.Port == lead.Port {
				order = append([]*link{l}, order...)
			} else {
				order = append(order, l)
			}
		}
	}
	for _, l := range order {
		c, err := r.open(l.addr)
		if err != nil {
			continue
		}
		st, reply, err := r.exchange(c, codec.CmdStorageParameterReq, nil, 1023)
		_ = c.NC.Close() // C closes this one without QUIT (cluster_startup_fresh)
		if err != nil || st != codec.OK {
			r.log.Warn("PARAMETER_REQ", "tracker", l.addr, "status", st, "err", err)
			continue
		}
		var p codec.Parameters
		if err := p.Decode(reply); err != nil {
			r.log.Warn("PARAMETER_REQ reply", "tracker", l.addr, "err", err)
			continue
		}
		if v, _ := p.Get("use_storage_id"); v != "" && v != "0" && r.cfg.Host.Params().StorageID == "" && r.cfg.ServerID == "" {
			if c, err := r.open(l.addr); err == nil {
				id, err := r.lookUpOwnID(c)
				r.hangUp(c)
				if err != nil {
					r.log.Warn("own storage id not found", "tracker", l.addr, "err", err)
				}
				r.ownIDFound = id
			}
		}
		r.applyParams(p)
		return true
	}
	return false
}

// OwnID is this storage's id at the trackers: the storage id when the
// cluster uses them, else its IP ("" while GET_MY_IP has not answered).
func (r *Reporter) OwnID() string { return r.ownID(nil) }

// ownID is OwnID, falling back to c's local address while GET_MY_IP has
// not answered.
func (r *Reporter) ownID(c *peercall.Conn) string {
	if p := r.cfg.Host.Params(); p.StorageID != "" && (p.UseStorageID || p.ClusterIDs) {
		return p.StorageID
	}
	if ip, ok := r.cfg.Host.MyIP(); ok {
		return ip.String()
	}
	if c != nil {
		if a, ok := c.NC.LocalAddr().(*net.TCPAddr); ok {
			return a.IP.String()
		}
	}
	return ""
}

// errRejoin ends a report connection so that the link joins again.
var errRejoin = errors.New("re-join")

// loop keeps this tracker's report connection, reconnecting
// heart_beat_interval after a failure.
func (l *link) loop() {
	r := l.r
	defer r.wg.Done()
	for r.ctx.Err() == nil {
		err := l.session()
		if r.ctx.Err() != nil || r.stopping.Load() {
			return
		}
		delay := r.retryDelay()
		if errors.Is(err, errRejoin) {
			delay = time.Second
			r.log.Info("re-joining tracker", "tracker", l.addr)
		} else {
			r.log.Warn("tracker report connection ended", "tracker", l.addr, "err", err)
		}
		if !r.Sleep(delay) {
			return
		}
	}
}

// session is one report connection: JOIN and what follows, then beats
// until an error.
func (l *link) session() error {
	r := l.r
	c, err := r.open(l.addr)
	if err != nil {
		return err
	}
	l.mu.Lock()
	if r.ctx.Err() != nil {
		l.mu.Unlock()
		_ = c.NC.Close()
		return r.ctx.Err()
	}
	l.conn = c.NC
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.conn = nil
		l.mu.Unlock()
		_ = c.NC.Close()
	}()

	l.rejoinSeen = r.rejoinGen.Load()
	if err := l.join(c); err != nil {
		return err
	}
	if err := l.syncSetup(c); err != nil {
		return err
	}
	first := true
	var lastGen int64 = -1
	var lastDisk time.Time
	l.trunkRep = trunkReport{lastFree: -1}
	for {
		if !first && !r.Sleep(r.retryDelay()) {
			return r.ctx.Err()
		}
		// BEAT: the full stat block after every (re)join and when a
		// counter moved, else empty.
		var beat codec.StorageBeat
		if gen := r.cfg.Host.StatsGen(); first || gen != lastGen {
			beat.HasStats = true
			r.cfg.Host.Stats(&beat.Stats)
			lastGen = gen
		}
		if err := l.noticeCall(c, codec.CmdStorageBeat, beat.Append(nil)); err != nil {
			return err
		}
		if r.autoAdjust.Load() {
			st, reply, err := r.exchange(c, codec.CmdStorageChangelogReq, nil, 64<<10)
			if err != nil {
				return err
			}
			if st != codec.OK {
				r.log.Debug("CHANGELOG_REQ", "tracker", l.addr, "status", st)
			} else if len(reply) > 0 {
				l.takeChangelog(reply)
			}
		}
		if now := time.Now(); first || now.Sub(lastDisk) >= r.cfg.StatReportInterval {
			lastDisk = now
			if err := l.noticeCall(c, codec.CmdStorageReportDiskUsage, r.diskUsage()); err != nil {
				return err
			}
		}
		if g := r.syncGen.Load(); g != l.syncSent {
			l.syncSent = g
			if err := l.noticeCall(c, codec.CmdStorageSyncReport, r.syncReport(c)); err != nil {
				return err
			}
		}
		if err := l.reportTrunk(c); err != nil {
			return err
		}
		first = false
		if err := l.checkStatus(c); err != nil {
			return err
		}
		if r.watchSource() {
			r.rejoinGen.Add(1)
		}
		if r.rejoinGen.Load() != l.rejoinSeen {
			return errRejoin
		}
	}
}

// join sends JOIN (81) and records the tracker's view of us.
func (l *link) join(c *peercall.Conn) error {
	r := l.r
	req := codec.StorageJoinRequest{
		GroupName:          r.cfg.Group,
		StoragePort:        int64(r.port),
		StorePathCount:     int64(r.cfg.StorePaths),
		SubdirCountPerPath: int64(r.cfg.Subdirs),
		UploadPriority:     int64(r.cfg.UploadPriority),
		JoinTime:           r.flag.GetInt("storage_join_time"),
		UpTime:             r.cfg.UpTime.Unix(),
		Version:            []byte(storageVersion),
		InitFlag:           r.flag.Get("sync_old_done") != "1",
		Status:             r.joinStatus(c),
		CurrentTrackerIP:   []byte(l.host),
	}
	if p := r.cfg.Host.Params(); p.UseStorageID || p.ClusterIDs {
		req.StorageID = []byte(p.StorageID)
	}
	for _, ts := range r.cfg.TrackerServers {
		req.AddTracker([]byte(ts.String()))
	}
	st, reply, err := r.exchange(c, codec.CmdStorageJoin, req.Append(nil), codec.JoinReplySize)
	if err != nil {
		return fmt.Errorf("JOIN: %w", err)
	}
	l.answered.Store(true)
	if st != codec.OK {
		return fmt.Errorf("JOIN refused: status %d (%w)", st, st)
	}
	var jr codec.StorageJoinReply
	if err := jr.Decode(reply); err != nil {
		return fmt.Errorf("JOIN reply: %w", err)
	}
	l.status.Store(int32(jr.Status))
	r.log.Info("joined tracker", "tracker", l.addr, "status", jr.Status, "src_id", string(jr.SrcID))
	return nil
}

// joinStatus is JOIN's status byte (§1.2 field 74): our status in the
// leader's list; not listed: INIT when there is one tracker or every
// tracker has answered a JOIN, else -1.
func (r *Reporter) joinStatus(c *peercall.Conn) int8 {
	if st, ok := r.cfg.Peers.Status(r.ownID(c)); ok {
		return int8(st)
	}
	if len(r.links) == 1 {
		return StatusInit
	}
	for _, l := range r.links {
		if !l.answered.Load() {
			return -1
		}
	}
	return StatusInit
}

// syncSetup follows a JOIN: the storage's one SYNC_DEST_REQ (87) while
// "sync old" is not done, then SYNC_NOTIFY (88) with the source and until
// time from .data_init_flag (§1.2, §4.6).
func (l *link) syncSetup(c *peercall.Conn) error {
	r := l.r
	r.syncMu.Lock()
	if r.flag.Get("sync_old_done") != "1" {
		st, reply, err := r.exchange(c, codec.CmdStorageSyncDestReq, nil, codec.SyncSourceSize)
		if err != nil {
			r.syncMu.Unlock()
			return fmt.Errorf("SYNC_DEST_REQ: %w", err)
		}
		if st != codec.OK {
			r.syncMu.Unlock()
			return fmt.Errorf("SYNC_DEST_REQ: status %d (%w)", st, st)
		}
		var sr codec.SyncSourceReply
		if err := sr.Decode(reply); err != nil {
			r.syncMu.Unlock()
			return fmt.Errorf("SYNC_DEST_REQ reply: %w", err)
		}
		src, until := "", int64(0)
		if sr.Found {
			src, until = string(sr.Source.SrcID), sr.Source.Until
		}
		if err := r.flag.Set("sync_old_done", "1", "sync_src_server", src,
			"sync_until_timestamp", strconv.FormatInt(until, 10)); err != nil {
			r.log.Error("save .data_init_flag", "err", err)
		}
		r.log.Info("sync source from tracker", "tracker", l.addr, "src", src, "until", until)
	}
	r.syncMu.Unlock()
	ss := codec.SyncSource{SrcID: []byte(r.flag.Get("sync_src_server")), Until: r.flag.GetInt("sync_until_timestamp")}
	st, _, err := r.exchange(c, codec.CmdStorageSyncNotify, ss.Append(nil), 0)
	if err != nil {
		return fmt.Errorf("SYNC_NOTIFY: %w", err)
	}
	l.notifyResult.Store(int32(st))
	if st != codec.OK {
		r.log.Warn("SYNC_NOTIFY refused", "tracker", l.addr, "status", st, "src", string(ss.SrcID))
		if st == codec.ENOENT && len(ss.SrcID) > 0 && r.allNotifyUnknown() {
			return l.recoverSource(c)
		}
	}
	return nil
}

// noticeCall sends a request answered by a change notice and merges it.
func (l *link) noticeCall(c *peercall.Conn, cmd byte, body []byte) error {
	r := l.r
	st, reply, err := r.exchange(c, cmd, body, 1+(2+codec.MaxGroupServers)*codec.StorageBriefSize)
	if err != nil {
		return fmt.Errorf("%s: %w", codec.CmdName(cmd), err)
	}
	if st != codec.OK {
		return fmt.Errorf("%s: status %d (%w)", codec.CmdName(cmd), st, st)
	}
	var n codec.ChangeNotice
	if err := n.Decode(reply); err != nil {
		return fmt.Errorf("%s reply: %w", codec.CmdName(cmd), err)
	}
	if r.cfg.Trunk != nil {
		r.cfg.Trunk.TrunkNotice(&n)
	}
	if r.cfg.Peers.ApplyNotice(&n) {
		// the list came from this tracker, the leader: its view of us
		// is this tracker's view
		if st, ok := r.cfg.Peers.Status(r.ownID(c)); ok {
			l.status.Store(int32(st))
		}
	}
	return nil
}

// checkStatus compares this tracker's view of us with the leader's and
// sends CHANGE_STATUS (59) with the leader's value when they differ (not
// both in {OFFLINE, ONLINE, ACTIVE}), then closes to re-join (§1.4).
func (l *link) checkStatus(c *peercall.Conn) error {
	r := l.r
	want, ok := r.cfg.Peers.Status(r.ownID(c))
	if !ok {
		return nil
	}
	have := l.status.Load()
	if have < 0 || have == int32(want) || available(byte(have)) && available(want) {
		return nil
	}
	req := codec.ChangeStatusRequest{Status: want}
	st, _, err := r.exchange(c, codec.CmdStorageChangeStatus, req.Append(nil), 0)
	if err != nil {
		return fmt.Errorf("CHANGE_STATUS: %w", err)
	}
	r.log.Info("status changed at tracker", "tracker", l.addr, "from", have, "to", want, "reply", st)
	l.status.Store(int32(want))
	return errRejoin
}

func available(st byte) bool { return st == StatusOffline || st == StatusOnline || st == StatusActive }

// diskUsage is the REPORT_DISK_USAGE body: total and free MB per store path.
func (r *Reporter) diskUsage() []byte {
	var rep codec.DiskUsageReport
	for _, u := range r.cfg.Host.DiskUsage() {
		rep.Add(u)
	}
	return rep.Append(nil)
}

// syncReport is the SYNC_REPORT body: every member the leader listed (self
// included, listed first when the list is not known yet) with the newest
// source timestamp received from it.
func (r *Reporter) syncReport(c *peercall.Conn) []byte {
	var rep codec.SyncReport
	own := r.ownID(c)
	ids := r.cfg.Peers.ids()
	seen := false
	for _, id := range ids {
		seen = seen || id == own
	}
	if !seen {
		ids = append([]string{own}, ids...)
	}
	for _, id := range ids {
		rep.Add(codec.SyncTimestamp{ID: []byte(id), Timestamp: int32(r.cfg.Host.SyncedFrom(id))})
	}
	return rep.Append(nil)
}

// ChangelogEntry is a line of a tracker's storage changelog about this
// storage's group: a member DELETED (4), or IP_CHANGED (3) from ID to NewID.
type ChangelogEntry struct {
	Timestamp int64
	ID        string
	Status    byte
	NewID     string
}

// takeChangelog parses a CHANGELOG_REQ reply; a chunk may end inside a
// line, which is kept for the next reply.
func (l *link) takeChangelog(chunk []byte) {
	r := l.r
	buf := append(l.changelog, chunk...)
	for len(buf) > 0 {
		var line codec.ChangelogLine
		n, err := line.Parse(buf)
		if errors.Is(err, codec.ErrChangelogPartial) {
			break
		}
		buf = buf[n:]
		if err != nil {
			r.log.Warn("bad changelog line from tracker", "tracker", l.addr, "err", err)
			continue
		}
		if string(line.Group) != string(r.cfg.Group) {
			continue
		}
		e := ChangelogEntry{Timestamp: line.Timestamp, ID: string(line.StorageID), Status: line.Status,
			NewID: string(line.NewID)}
		r.log.Info("storage changelog", "tracker", l.addr, "id", e.ID, "status", e.Status, "new_id", e.NewID)
		r.cfg.Host.Changelog(e)
		if r.sourceChangelog(e) {
			r.rejoinGen.Add(1)
		}
	}
	l.changelog = append(l.changelog[:0], buf...)
}

// DiskUsageOf is the DISK_USAGE report of the store paths, in order: total
// and free MB of each; a path statfs fails on is logged and counts zero.
func DiskUsageOf(paths []*diskio.StorePath, log *slog.Logger) []codec.PathUsage {
	out := make([]codec.PathUsage, 0, len(paths))
	for _, p := range paths {
		sp, err := p.Space()
		if err != nil {
			log.Warn("statfs store path", "store_path", p.Root(), "err", err)
		}
		out = append(out, codec.PathUsage{TotalMB: sp.TotalMB(), FreeMB: sp.FreeMB()})
	}
	return out
}
