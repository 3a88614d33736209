package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
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
	statusInit    = 0
	statusOffline = 5
	statusOnline  = 6
	statusActive  = 7
)

// reporters are the storage's links to its trackers (cluster.md §1): a
// startup phase (GET_MY_IP to every tracker, PARAMETER_REQ to one), then
// one goroutine per tracker_server keeping a report connection: JOIN,
// SYNC_DEST_REQ/SYNC_NOTIFY, BEAT + CHANGELOG_REQ every heart_beat_interval,
// REPORT_DISK_USAGE every stat_report_interval, SYNC_REPORT on change.
type reporters struct {
	s      *Server
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	flag   *dataFlag
	links  []*link
	port   int // the port clients reach us on

	autoAdjust atomic.Bool // storage_ip_changed_auto_adjust: CHANGELOG_REQ after beats
	stopping   atomic.Bool // Stop is closing the report connections

	// syncMu serializes the one SYNC_DEST_REQ of the storage's life (the
	// first tracker that accepts a JOIN sends it, §1.2).
	syncMu sync.Mutex

	// syncGen moves when there are new sync timestamps to report (the
	// replication code bumps it); each link remembers what it sent.
	syncGen atomic.Int64

	// rejoinGen moves when every link must join again (our full copy
	// starts over from a new source, reporter_recover.go)
	rejoinGen atomic.Int64

	srcWatchMu   sync.Mutex
	srcGoneSince time.Time // when our sync source was first seen gone or OFFLINE (watchSource)

	pushers *syncManager // one sync pusher per group peer (sync_pusher.go)

	ownIDFound string // our id from FETCH_STORAGE_IDS (run goroutine, before the links start)
}

// link is one tracker_server.
type link struct {
	r    *reporters
	ts   conf.TrackerServer
	host string // the IP the connection targets (current_tracker_ip)
	addr string

	answered atomic.Bool  // this tracker has answered a JOIN (even with an error)
	syncSent int64        // the reporters' syncGen last reported (link goroutine only)
	status   atomic.Int32 // the tracker's view of us (JOIN reply, then CHANGE_STATUS)

	notifyResult atomic.Int32 // this tracker's answer to our last SYNC_NOTIFY (-1: none yet)
	rejoinSeen   int64        // the reporters' rejoinGen at this session's join (link goroutine only)

	mu   sync.Mutex
	conn net.Conn // the report connection, for Stop

	changelog []byte // an unterminated changelog line carried to the next reply

	trunkRep trunkReport // what this session told the tracker as trunk server
}

// startReporting starts the reporters (called once the engine listens).
func (s *Server) startReporting() {
	if !s.reporting || len(s.cfg.TrackerServers) == 0 {
		return
	}
	flag, err := openDataFlag(filepath.Join(s.cfg.BasePath, "data"))
	if err != nil {
		s.log.Error("tracker reporters not started", "err", err)
		return
	}
	port := s.cfg.Port
	if a, ok := s.addr.(*net.TCPAddr); ok && a != nil {
		port = a.Port
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &reporters{s: s, ctx: ctx, cancel: cancel, flag: flag, port: port}
	for _, ts := range s.cfg.TrackerServers {
		if len(ts.Hosts) == 0 {
			continue
		}
		host := ts.Hosts[0]
		r.links = append(r.links, &link{r: r, ts: ts, host: host,
			addr: net.JoinHostPort(host, strconv.Itoa(ts.Port))})
	}
	for _, l := range r.links {
		l.status.Store(-1)
		l.notifyResult.Store(-1)
	}
	s.mu.Lock()
	s.rep = r
	s.mu.Unlock()
	r.wg.Add(1)
	r.pushers = s.startPushers(r)
	go r.run()
	if s.cfg.CompressBinlog {
		r.wg.Add(1)
		go r.runBinlogCompressor()
	}
}

// stopReporting sends QUIT on the report connections, closes them and waits
// for the reporters to end.
func (s *Server) stopReporting() {
	s.mu.Lock()
	r := s.rep
	s.rep = nil
	s.mu.Unlock()
	if r == nil {
		return
	}
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
	if r.pushers != nil {
		r.pushers.stop() // each pusher saves its mark
	}
	r.wg.Wait()
}

// NoteSyncProgress tells the reporters that there are new sync timestamps
// to report (SYNC_REPORT goes out with the next beat).
func (s *Server) NoteSyncProgress() {
	s.mu.Lock()
	r := s.rep
	s.mu.Unlock()
	if r != nil {
		r.syncGen.Add(1)
	}
}

// sleep waits d or until the reporters stop (false then).
func (r *reporters) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (r *reporters) retryDelay() time.Duration {
	if d := r.s.cfg.HeartBeatInterval; d > 0 {
		return d
	}
	return 30 * time.Second
}

// run is the startup phase, then one goroutine per tracker.
func (r *reporters) run() {
	defer r.wg.Done()
	for {
		r.learnMyIP()
		if r.fetchParams() {
			break
		}
		if !r.sleep(r.retryDelay()) {
			return
		}
	}
	// C recovers lost store paths before its first JOIN (recovery.go)
	if !r.recoverPaths() {
		return
	}
	for _, l := range r.links {
		r.wg.Add(1)
		go l.loop()
	}
}

// dialer is the reporters' dialer: bound to bind_addr when client_bind is
// on, so several storages on one host are told apart.
func (r *reporters) dialer() *net.Dialer {
	d := &net.Dialer{Timeout: r.s.cfg.ConnectTimeout}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if b := r.s.cfg.BindAddr; b != "" && r.s.cfg.ClientBind {
		if ip, err := netip.ParseAddr(strings.TrimSpace(strings.Split(b, ",")[0])); err == nil {
			d.LocalAddr = &net.TCPAddr{IP: ip.AsSlice()}
		}
	}
	return d
}

// netTimeout is the idle limit of each step of a tracker call.
func (r *reporters) netTimeout() time.Duration {
	if d := r.s.cfg.NetworkTimeout; d > 0 {
		return d
	}
	return 30 * time.Second
}

// dial opens a plain connection (the sync pusher and disk recovery speak
// on it themselves).
func (r *reporters) dial(addr string) (net.Conn, error) {
	return r.dialer().DialContext(r.ctx, "tcp", addr)
}

// open opens a connection to a tracker for the reporters' calls.
func (r *reporters) open(addr string) (*peercall.Conn, error) {
	return peercall.Dial(r.ctx, r.dialer(), addr, r.netTimeout())
}

// exchange sends one request and reads the reply (at most max body bytes;
// it sits in pc.Buf until pc's next call). Stopping the reporters expires
// the socket's deadline; the owner closes pc after an error.
func (r *reporters) exchange(pc *peercall.Conn, cmd byte, body []byte, max int) (codec.Errno, []byte, error) {
	if r.s.tap != nil {
		r.s.tap(cmd, body)
	}
	stop := pc.Watch(r.ctx)
	defer stop()
	return pc.Exchange(r.ctx, cmd, 0, body, nil, 0, max)
}

// hangUp ends a short connection as C does: QUIT, then close.
func (r *reporters) hangUp(pc *peercall.Conn) {
	if r.s.tap != nil {
		r.s.tap(codec.CmdQuit, nil)
	}
	_ = pc.Quit()
}

// call is exchange for callers holding a plain connection from dial (sync
// setup, disk recovery); the reply is theirs to keep.
func (r *reporters) call(c net.Conn, cmd byte, body []byte, max int) (codec.Errno, []byte, error) {
	return r.exchange(peercall.New(c, c.RemoteAddr().String(), r.netTimeout()), cmd, body, max)
}

// quit is hangUp for a plain connection from dial.
func (r *reporters) quit(c net.Conn) {
	r.hangUp(peercall.New(c, c.RemoteAddr().String(), 0))
}

// learnMyIP asks every tracker for our address (GET_MY_IP, short
// connections); the first answer's first IP becomes "my IP".
func (r *reporters) learnMyIP() {
	req := codec.GetMyIPRequest{Group: r.s.group, Port: int32(r.port)}
	body := req.Append(nil)
	for _, l := range r.links {
		c, err := r.open(l.addr)
		if err != nil {
			r.s.log.Warn("connect to tracker", "tracker", l.addr, "err", err)
			continue
		}
		st, reply, err := r.exchange(c, codec.CmdStorageGetMyIP, body, 2*codec.IPv6AddrSize)
		r.hangUp(c)
		if err != nil || st != codec.OK {
			r.s.log.Warn("GET_MY_IP", "tracker", l.addr, "status", st, "err", err)
			continue
		}
		first, _, _ := strings.Cut(string(reply), ",")
		if ip, err := netip.ParseAddr(first); err == nil && r.s.myIP.Load() == nil {
			ip = ip.Unmap()
			r.s.myIP.Store(&ip)
			r.s.log.Info("my IP from tracker", "tracker", l.addr, "ip", ip)
			// what C keeps for its IP-change check at the next start
			if r.flag.get("last_ip_addr") != string(reply) || r.flag.getInt("last_server_port") != int64(r.port) {
				if err := r.flag.set("last_ip_addr", string(reply), "last_server_port", strconv.Itoa(r.port)); err != nil {
					r.s.log.Error("save .data_init_flag", "err", err)
				}
			}
		}
	}
}

// fetchParams asks the trackers for their parameters (PARAMETER_REQ) in
// list order, the leader first when one is known, until one answers.
func (r *reporters) fetchParams() bool {
	order := r.links
	if lead, ok := r.s.Leader(); ok {
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
			r.s.log.Warn("PARAMETER_REQ", "tracker", l.addr, "status", st, "err", err)
			continue
		}
		var p codec.Parameters
		if err := p.Decode(reply); err != nil {
			r.s.log.Warn("PARAMETER_REQ reply", "tracker", l.addr, "err", err)
			continue
		}
		if v, _ := p.Get("use_storage_id"); v != "" && v != "0" && r.s.prm().StorageID == "" && r.s.cfg.ServerID == "" {
			if c, err := r.open(l.addr); err == nil {
				id, err := r.lookUpOwnID(c.NC)
				r.hangUp(c)
				if err != nil {
					r.s.log.Warn("own storage id not found", "tracker", l.addr, "err", err)
				}
				r.ownIDFound = id
			}
		}
		r.applyParams(p)
		return true
	}
	return false
}

// applyParams puts the tracker's parameters in force.
func (r *reporters) applyParams(p codec.Parameters) {
	s := r.s
	s.noteTrunkParams(p)
	np := *s.prm()
	flag := func(k string) (bool, bool) {
		v, ok := p.Get(k)
		if !ok {
			return false, false
		}
		n, err := strconv.Atoi(v)
		return err == nil && n != 0, true
	}
	if v, ok := p.Get("store_path"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			np.StorePathMode = n
		}
	}
	if v, ok := p.Get("reserved_storage_space"); ok {
		if rs, err := conf.ParseReservedSpace(v); err == nil {
			np.Reserve = diskio.Reserve{MB: rs.MB, Ratio: rs.Ratio}
		} else {
			s.log.Warn("tracker parameter reserved_storage_space", "value", v, "err", err)
		}
	}
	if v, ok := p.Get("response_ip_addr_size"); ok {
		if n, err := strconv.Atoi(v); err == nil && n == codec.IPv4AddrSize {
			np.ResponseIPSize = codec.IPv4AddrSize
		} else {
			np.ResponseIPSize = codec.IPv6AddrSize
		}
	}
	if on, ok := flag("store_slave_file_use_link"); ok {
		np.SlaveUseLink = on
	}
	if on, ok := flag("storage_ip_changed_auto_adjust"); ok {
		r.autoAdjust.Store(on)
	}
	useID, _ := flag("use_storage_id")
	idType, _ := p.Get("id_type_in_filename")
	if np.StorageID == "" {
		np.StorageID = s.cfg.ServerID
	}
	if np.StorageID == "" {
		np.StorageID = r.ownIDFound
	}
	idOK := false
	if id, err := strconv.ParseUint(np.StorageID, 10, 32); err == nil && id > 0 && id <= 0xFFFFFF {
		idOK = true
	}
	switch {
	case useID && idType == "id" && idOK:
		np.UseStorageID = true
	case useID && idType == "id":
		s.log.Warn("tracker uses storage ids in file names but this storage's id is unknown (set server_id); using the IP",
			"server_id", np.StorageID)
		np.UseStorageID = false
	default:
		np.UseStorageID = false
	}
	np.ClusterIDs = useID && idOK
	s.live.Store(&np)
	s.log.Info("tracker parameters applied", "store_path", np.StorePathMode, "reserve_mb", np.Reserve.MB,
		"reserve_ratio", np.Reserve.Ratio, "response_ip_addr_size", np.ResponseIPSize,
		"slave_use_link", np.SlaveUseLink, "id_in_filename", np.UseStorageID)
}

// ownID is this storage's id at the trackers: the storage id when the
// cluster uses them, else its IP (falling back to the connection's local
// address while GET_MY_IP has not answered).
func (r *reporters) ownID(c *peercall.Conn) string {
	if p := r.s.prm(); p.StorageID != "" && (p.UseStorageID || p.ClusterIDs) {
		return p.StorageID
	}
	if ip := r.s.myIP.Load(); ip != nil {
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
			r.s.log.Info("re-joining tracker", "tracker", l.addr)
		} else {
			r.s.log.Warn("tracker report connection ended", "tracker", l.addr, "err", err)
		}
		if !r.sleep(delay) {
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
		if !first && !r.sleep(r.retryDelay()) {
			return r.ctx.Err()
		}
		// BEAT: the full stat block after every (re)join and when a
		// counter moved, else empty.
		var beat codec.StorageBeat
		if gen := r.s.stats.gen.Load(); first || gen != lastGen {
			beat.HasStats = true
			r.s.stats.snapshot(&beat.Stats)
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
				r.s.log.Debug("CHANGELOG_REQ", "tracker", l.addr, "status", st)
			} else if len(reply) > 0 {
				l.takeChangelog(reply)
			}
		}
		if now := time.Now(); first || now.Sub(lastDisk) >= r.s.cfg.StatReportInterval {
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
	s := r.s
	req := codec.StorageJoinRequest{
		GroupName:          s.group,
		StoragePort:        int64(r.port),
		StorePathCount:     int64(len(s.paths)),
		SubdirCountPerPath: int64(s.dist.subdirs),
		UploadPriority:     int64(s.cfg.UploadPriority),
		JoinTime:           r.flag.getInt("storage_join_time"),
		UpTime:             s.upTime.Unix(),
		Version:            []byte(storageVersion),
		InitFlag:           r.flag.get("sync_old_done") != "1",
		Status:             r.joinStatus(c),
		CurrentTrackerIP:   []byte(l.host),
	}
	if p := s.prm(); p.UseStorageID || p.ClusterIDs {
		req.StorageID = []byte(p.StorageID)
	}
	for _, ts := range s.cfg.TrackerServers {
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
	s.log.Info("joined tracker", "tracker", l.addr, "status", jr.Status, "src_id", string(jr.SrcID))
	return nil
}

// joinStatus is JOIN's status byte (§1.2 field 74): our status in the
// leader's list; not listed: INIT when there is one tracker or every
// tracker has answered a JOIN, else -1.
func (r *reporters) joinStatus(c *peercall.Conn) int8 {
	if st, ok := r.s.peers.status(r.ownID(c)); ok {
		return int8(st)
	}
	if len(r.links) == 1 {
		return statusInit
	}
	for _, l := range r.links {
		if !l.answered.Load() {
			return -1
		}
	}
	return statusInit
}

// syncSetup follows a JOIN: the storage's one SYNC_DEST_REQ (87) while
// "sync old" is not done, then SYNC_NOTIFY (88) with the source and until
// time from .data_init_flag (§1.2, §4.6).
func (l *link) syncSetup(c *peercall.Conn) error {
	r := l.r
	r.syncMu.Lock()
	if r.flag.get("sync_old_done") != "1" {
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
		if err := r.flag.set("sync_old_done", "1", "sync_src_server", src,
			"sync_until_timestamp", strconv.FormatInt(until, 10)); err != nil {
			r.s.log.Error("save .data_init_flag", "err", err)
		}
		r.s.log.Info("sync source from tracker", "tracker", l.addr, "src", src, "until", until)
	}
	r.syncMu.Unlock()
	ss := codec.SyncSource{SrcID: []byte(r.flag.get("sync_src_server")), Until: r.flag.getInt("sync_until_timestamp")}
	st, _, err := r.exchange(c, codec.CmdStorageSyncNotify, ss.Append(nil), 0)
	if err != nil {
		return fmt.Errorf("SYNC_NOTIFY: %w", err)
	}
	l.notifyResult.Store(int32(st))
	if st != codec.OK {
		r.s.log.Warn("SYNC_NOTIFY refused", "tracker", l.addr, "status", st, "src", string(ss.SrcID))
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
	r.s.noteTrunkServer(&n)
	if r.s.peers.applyNotice(&n) {
		// the list came from this tracker, the leader: its view of us
		// is this tracker's view
		if st, ok := r.s.peers.status(r.ownID(c)); ok {
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
	want, ok := r.s.peers.status(r.ownID(c))
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
	r.s.log.Info("status changed at tracker", "tracker", l.addr, "from", have, "to", want, "reply", st)
	l.status.Store(int32(want))
	return errRejoin
}

func available(st byte) bool { return st == statusOffline || st == statusOnline || st == statusActive }

// diskUsage is the REPORT_DISK_USAGE body: total and free MB per store path.
func (r *reporters) diskUsage() []byte {
	var rep codec.DiskUsageReport
	for _, p := range r.s.paths {
		sp, err := p.disk.Space()
		if err != nil {
			r.s.log.Warn("statfs store path", "store_path", p.disk.Root(), "err", err)
		}
		rep.Add(codec.PathUsage{TotalMB: sp.TotalMB(), FreeMB: sp.FreeMB()})
	}
	return rep.Append(nil)
}

// syncReport is the SYNC_REPORT body: every member the leader listed (self
// included, listed first when the list is not known yet) with the newest
// source timestamp received from it (sync_receiver.go credits them).
func (r *reporters) syncReport(c *peercall.Conn) []byte {
	var rep codec.SyncReport
	own := r.ownID(c)
	ids := r.s.peers.ids()
	seen := false
	for _, id := range ids {
		seen = seen || id == own
	}
	if !seen {
		ids = append([]string{own}, ids...)
	}
	for _, id := range ids {
		rep.Add(codec.SyncTimestamp{ID: []byte(id), Timestamp: int32(r.s.synced.get(id))})
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

// OnChangelog sets fn to receive the changelog entries of our group the
// trackers send after beats (the replication code renames mark files and
// clears its sync source with them). Set it before Start.
func OnChangelog(fn func(ChangelogEntry)) Option { return func(s *Server) { s.onChangelog = fn } }

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
			r.s.log.Warn("bad changelog line from tracker", "tracker", l.addr, "err", err)
			continue
		}
		if string(line.Group) != string(r.s.group) {
			continue
		}
		e := ChangelogEntry{Timestamp: line.Timestamp, ID: string(line.StorageID), Status: line.Status,
			NewID: string(line.NewID)}
		r.s.log.Info("storage changelog", "tracker", l.addr, "id", e.ID, "status", e.Status, "new_id", e.NewID)
		if r.pushers != nil {
			r.pushers.changelog(e)
		}
		if r.sourceChangelog(e) {
			r.rejoinGen.Add(1)
		}
		if r.s.onChangelog != nil {
			r.s.onChangelog(e)
		}
	}
	l.changelog = append(l.changelog[:0], buf...)
}
