package tracker

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/panjf2000/gnet/v2"

	"github.com/gofdfs/gofdfs/codec"
)

// State-file transfer between trackers (cluster.md §2.4): a tracker that
// starts empty, or after a long stop, copies the four state files from the
// best other tracker before taking its first storage in, so every tracker
// holds the same groups, storages and changelog byte offsets.

// staleAfter is how long a tracker may have been down before it trusts
// another tracker's files more than its own: 2 x 300 s.
const staleAfter = 2 * statusRounding

// sysFiles is both sides of the transfer.
type sysFiles struct {
	mu sync.Mutex
	// serving side: the connection holding the lock (61 to 62) and the
	// snapshot of the files it is being sent
	holder   *connState
	snapshot [codec.SysFileCount][]byte
	// pulling side: the pull is decided once per process, on the first JOIN
	decided bool
	pulling bool
}

// ---- serving side ------------------------------------------------------

// handleGetSysFilesStart (61): save the state, take the lock for this
// connection and freeze what it will be sent.
func handleGetSysFilesStart(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	f := &s.sys
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holder != nil && f.holder != cs {
		return out, codec.EBUSY
	}
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sorted) == 0 {
		return out, codec.ENOENT
	}
	if err := r.saveAll(); err != nil {
		return out, codec.EIO
	}
	f.holder = cs
	f.snapshot = [codec.SysFileCount][]byte{r.formatGroups(), r.formatServers(), r.formatSyncTimestamps(),
		slices.Clone(r.changelog)}
	s.log.Info("state files requested", "peer", cs.peer)
	return out, codec.OK
}

// handleGetOneSysFile (63): a chunk of one file from the requested offset,
// after the file's whole size.
func handleGetOneSysFile(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	var req codec.SysFileRequest
	if err := req.Decode(body); err != nil {
		return out, errnoOf(err)
	}
	f := &s.sys
	f.mu.Lock()
	var data []byte
	if f.holder == cs {
		data = f.snapshot[req.Index]
	}
	f.mu.Unlock()
	if data == nil {
		// without START: the file as it is now
		data = s.reg.stateFile(int(req.Index))
	}
	off := min(req.Offset, int64(len(data)))
	end := min(off+codec.SysFileMaxChunk, int64(len(data)))
	reply := codec.SysFileReply{FileSize: int64(len(data)), Content: data[off:end]}
	return reply.Append(out), codec.OK
}

// handleGetSysFilesEnd (62): the puller is done; release the lock.
func handleGetSysFilesEnd(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	s.sys.release(cs)
	return out, codec.OK
}

// release drops the lock if cs holds it (END or disconnect).
func (f *sysFiles) release(cs *connState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holder == cs {
		f.holder = nil
		f.snapshot = [codec.SysFileCount][]byte{}
	}
}

// stateFile formats state file i as it would be saved now.
func (r *registry) stateFile(i int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch i {
	case codec.SysFileGroups:
		return r.formatGroups()
	case codec.SysFileServers:
		return r.formatServers()
	case codec.SysFileSyncTimestamp:
		return r.formatSyncTimestamps()
	}
	return slices.Clone(r.changelog)
}

// ---- pulling side ------------------------------------------------------

// settled reports whether the pull question is settled for this process.
func (f *sysFiles) settled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.decided
}

// What OnTraffic does with a JOIN while the pull is not settled.
type bootStep int

const (
	bootGo     bootStep = iota // handle the JOIN now
	bootWait                   // leave it buffered: a pull for it is running
	bootRefuse                 // answer EAGAIN: the pull for it failed
)

// Per-connection pull state (connState.boot).
const (
	bootIdle int32 = iota
	bootRunning
	bootDoneOK
	bootDoneAgain
)

// joinBootstrap runs on the event loop for every JOIN until the pull is
// settled. C answers the first JOIN only after the pull; so do we, but the
// pull runs on its own goroutine and the JOIN stays in the connection's
// buffer meanwhile: a blocked loop could hold the very GET_STATUS another
// tracker sends us while it pulls from us. Wake brings the JOIN back.
func (s *Server) joinBootstrap(c gnet.Conn, cs *connState, body []byte) bootStep {
	if s.sys.settled() {
		return bootGo
	}
	switch cs.boot.Load() {
	case bootRunning:
		return bootWait
	case bootDoneOK:
		cs.boot.Store(bootIdle)
		return bootGo
	case bootDoneAgain:
		cs.boot.Store(bootIdle)
		return bootRefuse
	}
	var req codec.StorageJoinRequest
	if err := req.Decode(slices.Clone(body)); err != nil {
		return bootGo // the handler gives the answer
	}
	self, ok := s.findSelf(cs, &req)
	if !ok {
		return bootGo
	}
	// who we are and who the others are must be known before we look
	// for "other" trackers
	s.learnSelf(self)
	s.learnTrackers(&req, self)
	cs.boot.Store(bootRunning)
	peer := cs.peer
	go func() {
		if s.bootstrap(peer, &req) == codec.OK {
			cs.boot.Store(bootDoneOK)
		} else {
			cs.boot.Store(bootDoneAgain)
		}
		_ = c.Wake(nil) // fails only if the storage went away
	}()
	return bootWait
}

// bootstrap pulls the state files when the rules say so. EAGAIN refuses
// the JOIN (no other tracker answered, or another pull is under way); the
// storage tries again and the decision is taken again then.
func (s *Server) bootstrap(peer string, req *codec.StorageJoinRequest) codec.Errno {
	f := &s.sys
	f.mu.Lock()
	if f.decided {
		f.mu.Unlock()
		return codec.OK
	}
	if f.pulling {
		f.mu.Unlock()
		return codec.EAGAIN
	}
	f.pulling = true
	f.mu.Unlock()

	done, err := s.pullIfDue(req)
	f.mu.Lock()
	f.pulling = false
	f.decided = done
	f.mu.Unlock()
	if err != nil {
		s.log.Warn("state files from other trackers: JOIN refused for now", "peer", peer, "err", err)
		return codec.EAGAIN
	}
	return codec.OK
}

// errNoTracker: no other tracker answered at all.
var errNoTracker = errors.New("no other tracker answered")

// pullIfDue applies the rules of §2.4; done means the question is settled
// for this process.
func (s *Server) pullIfDue(req *codec.StorageJoinRequest) (done bool, err error) {
	start := s.startTime().Unix()
	stale := s.prevCheck > 0 && start-s.prevCheck > staleAfter
	if !stale && s.reg.groupCount() > 0 {
		return true, nil
	}
	var others []trackerAddr
	for e := range req.Trackers() {
		a, ok := parseTrackerEntry(e)
		if ok && !s.isSelf(a) && !slices.ContainsFunc(others, a.equal) {
			others = append(others, a)
		}
	}
	if len(others) == 0 {
		return true, nil
	}
	// the best other tracker with groups; its connection carries the pull
	var best *peerConn
	var bestStatus codec.TrackerStatus
	answered := false
	for _, a := range others {
		p, err := s.dialTracker(a)
		if err != nil {
			continue
		}
		st, err := callStatus(p)
		if err != nil {
			var code codec.Errno
			answered = answered || errors.As(err, &code)
			p.close()
			continue
		}
		answered = true
		if best == nil || compareStatus(st, bestStatus) > 0 {
			if best != nil {
				best.close()
			}
			best, bestStatus = p, st
		} else {
			p.close()
		}
	}
	if best == nil {
		if answered {
			return true, nil // the others have no groups either: start empty
		}
		return false, errNoTracker
	}
	defer best.close()
	if stale && s.reg.groupCount() > 0 && compareStatus(bestStatus, s.runningStatus()) <= 0 {
		return true, nil // our own files are as good as theirs
	}
	files, err := pullFiles(best)
	if err != nil {
		return false, err
	}
	if err := s.installFiles(&files); err != nil {
		return false, err
	}
	s.log.Info("state files copied from another tracker", "from", best.conn.RemoteAddr().String(),
		"groups", s.reg.groupCount())
	return true, nil
}

// isSelf reports whether a names this tracker.
func (s *Server) isSelf(a trackerAddr) bool {
	if a.port != s.port() {
		return false
	}
	s.mu.Lock()
	mine := []netip.Addr{s.addr.Addr().Unmap(), s.learnedIP}
	s.mu.Unlock()
	for _, ip := range a.ips {
		if slices.Contains(mine, ip) {
			return true
		}
	}
	return false
}

// pullFiles is START, every file chunk by chunk, END on one connection.
func pullFiles(p *peerConn) ([codec.SysFileCount][]byte, error) {
	var files [codec.SysFileCount][]byte
	if err := expectOK(p.call(codec.CmdTrackerGetSysFilesStart, nil)); err != nil {
		return files, fmt.Errorf("GET_SYS_FILES_START: %w", err)
	}
	for i := range files {
		data := []byte{}
		for {
			req := codec.SysFileRequest{Index: byte(i), Offset: int64(len(data))}
			code, body, err := p.call(codec.CmdTrackerGetOneSysFile, req.Append(nil))
			if err == nil && code != codec.OK {
				err = code
			}
			var reply codec.SysFileReply
			if err == nil {
				err = reply.Decode(body)
			}
			if err != nil {
				return files, fmt.Errorf("GET_ONE_SYS_FILE %s: %w", codec.SysFileName(i), err)
			}
			data = append(data, reply.Content...)
			if int64(len(data)) >= reply.FileSize {
				break
			}
			if len(reply.Content) == 0 {
				return files, fmt.Errorf("GET_ONE_SYS_FILE %s: no progress at %d of %d bytes",
					codec.SysFileName(i), len(data), reply.FileSize)
			}
		}
		files[i] = data
	}
	if err := expectOK(p.call(codec.CmdTrackerGetSysFilesEnd, nil)); err != nil {
		return files, fmt.Errorf("GET_SYS_FILES_END: %w", err)
	}
	return files, nil
}

func expectOK(code codec.Errno, _ []byte, err error) error {
	if err != nil {
		return err
	}
	if code != codec.OK {
		return code
	}
	return nil
}

// installFiles writes the pulled files verbatim, rebuilds the state from
// them and stamps .tracker_status, as after a clean run.
func (s *Server) installFiles(files *[codec.SysFileCount][]byte) error {
	r := s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store != nil {
		for i, data := range files {
			if err := r.store.writeFile(codec.SysFileName(i), data); err != nil {
				return err
			}
		}
	}
	r.reset()
	if err := r.loadFiles(files); err != nil {
		// what we wrote came from a tracker that runs on it; still, do
		// not keep a half-built state
		r.reset()
		return err
	}
	return r.saveTrackerStatus(s.startTime(), s.now())
}
