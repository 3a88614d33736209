package storage

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/diskio"
)

// C's disk recovery (cluster.md §7.5), the receiving side: a store path
// that lost its data (its mark is gone) while the storage had finished its
// first sync is rebuilt from an ACTIVE peer of the group, path by path,
// instead of copying the whole group again:
//
//  1. at start (New, checkStorePathMarks) the path gets
//     <path>/data/.recovery.flag with fetch_binlog_done=0: the durable
//     "this path needs recovery" note, also what a C storage leaves when it
//     stops mid-recovery (we carry on from its files);
//  2. before the reporters JOIN (reporters.run), for each flagged path: ask
//     the trackers our highest status (GET_STATUS), pick an ACTIVE readable
//     peer (LIST_ONE_GROUP, LIST_STORAGE), report ourselves RECOVERY (76),
//     fetch the path's binlog from the peer (FETCH_ONE_PATH_BINLOG, 26) into
//     .binlog.recovery.0, set fetch_binlog_done=1;
//  3. download every create record's file from the peer (DOWNLOAD_FILE),
//     make every link record's symlink, keeping the offset reached in
//     .recovery.mark.0 (every 1000 records and at the end);
//  4. report the saved status back (76) and remove the three files; the
//     JOIN that follows turns RECOVERY into ONLINE.
//
// A group with no other member, an unknown storage, or one whose status is
// INIT, DELETED or IP_CHANGED needs no recovery (C's rules): the files are
// removed and the storage goes on. A wiped base_path is another matter: the
// storage starts as new and the group copies everything to it (full copy).

const (
	recoveryFlagName   = ".recovery.flag"
	recoveryBinlogName = ".binlog.recovery" // + "." thread index
	recoveryMarkName   = ".recovery.mark"   // + "." thread index
	// statusNone: C's FDFS_STORAGE_STATUS_NONE, the saved status before
	// GET_STATUS answered.
	statusNone     = 99
	statusRecovery = 9
	// recoveryMarkEvery records, the mark is saved (C: 1000).
	recoveryMarkEvery = 1000
)

// errNoRecovery: C's ENOENT from the source search, the path is left as is.
var errNoRecovery = errors.New("no recovery needed")

// recoveryFlag is .recovery.flag.
type recoveryFlag struct {
	savedStatus int
	fetchDone   bool
	threads     int
}

func recoveryFile(dataDir, name string, thread int) string {
	if thread < 0 {
		return filepath.Join(dataDir, name)
	}
	return filepath.Join(dataDir, name+"."+strconv.Itoa(thread))
}

// writeRecoveryFlag writes the flag in C's key order.
func writeRecoveryFlag(dataDir string, f recoveryFlag) error {
	done := "0"
	if f.fetchDone {
		done = "1"
	}
	data := "saved_storage_status=" + strconv.Itoa(f.savedStatus) + "\nfetch_binlog_done=" + done +
		"\nrecovery_threads=" + strconv.Itoa(f.threads) + "\n"
	return writeFileAtomic(recoveryFile(dataDir, recoveryFlagName, -1), []byte(data))
}

// readRecoveryFlag reads the flag; ok is false when there is none.
func readRecoveryFlag(dataDir string) (f recoveryFlag, ok bool, err error) {
	data, err := os.ReadFile(recoveryFile(dataDir, recoveryFlagName, -1))
	if errors.Is(err, os.ErrNotExist) {
		return f, false, nil
	}
	if err != nil {
		return f, false, err
	}
	kv := parseIniLines(data)
	f.savedStatus = -1
	if v, ok := kv["saved_storage_status"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			f.savedStatus = n
		}
	}
	f.fetchDone = iniTrue(kv["fetch_binlog_done"])
	f.threads = -1
	if n, err := strconv.Atoi(kv["recovery_threads"]); err == nil {
		f.threads = n
	}
	return f, true, nil
}

// parseIniLines reads key=value lines (no sections), values trimmed.
func parseIniLines(data []byte) map[string]string {
	kv := make(map[string]string)
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(k), "#") {
			continue
		}
		kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return kv
}

// iniTrue is libfastcommon's boolean: true, yes, on or a non-zero number.
func iniTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "on":
		return true
	}
	n, err := strconv.Atoi(v)
	return err == nil && n != 0
}

func writeRecoveryMark(dataDir string, thread int, off int64) error {
	return writeFileAtomic(recoveryFile(dataDir, recoveryMarkName, thread),
		[]byte("binlog_offset="+strconv.FormatInt(off, 10)+"\n"))
}

func readRecoveryMark(dataDir string, thread int) (int64, error) {
	data, err := os.ReadFile(recoveryFile(dataDir, recoveryMarkName, thread))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	off, err := strconv.ParseInt(parseIniLines(data)["binlog_offset"], 10, 64)
	if err != nil || off < 0 {
		return 0, fmt.Errorf("%s: bad binlog_offset", recoveryFile(dataDir, recoveryMarkName, thread))
	}
	return off, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// startPathRecovery notes that store path p lost its data: recovery runs
// before the next JOIN.
func startPathRecovery(dataDir string) error {
	if err := writeRecoveryFlag(dataDir, recoveryFlag{savedStatus: statusNone, threads: -1}); err != nil {
		return fmt.Errorf("storage: disk recovery flag: %w", err)
	}
	return nil
}

// finishPathRecovery removes the recovery files of a path (threads 0..n-1
// and at least 0).
func finishPathRecovery(dataDir string, threads int) error {
	if err := os.Remove(recoveryFile(dataDir, recoveryFlagName, -1)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for i := 0; i < max(threads, 1); i++ {
		for _, name := range []string{recoveryBinlogName, recoveryMarkName} {
			if err := os.Remove(recoveryFile(dataDir, name, i)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// PathRecovering reports whether store path idx still has a recovery to do
// or finish (its .recovery.flag exists).
func (s *Server) PathRecovering(idx int) bool {
	if idx < 0 || idx >= len(s.paths) {
		return false
	}
	_, ok, _ := readRecoveryFlag(s.paths[idx].disk.DataDir())
	return ok
}

// recoverPaths runs the disk recovery of every flagged store path; false
// when the reporters were stopped meanwhile.
func (r *reporters) recoverPaths() bool {
	for _, p := range r.s.paths {
		for {
			err := r.recoverPath(p)
			if err == nil {
				break
			}
			if r.ctx.Err() != nil {
				return false
			}
			r.s.log.Error("disk recovery failed, retrying", "store_path", p.disk.Root(), "err", err)
			if !r.sleep(5 * time.Second) {
				return false
			}
		}
	}
	return true
}

// recoverPath runs steps 2 to 4 for one path, if it is flagged.
func (r *reporters) recoverPath(p *storePath) error {
	s := r.s
	dataDir := p.disk.DataDir()
	flag, ok, err := readRecoveryFlag(dataDir)
	if err != nil || !ok {
		return err
	}
	cl, err := r.recoveryClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	if !flag.fetchDone {
		flag, err = r.prepareRecovery(cl, p)
		if errors.Is(err, errNoRecovery) {
			s.log.Warn("disk recovery: nothing to recover from, the store path stays empty", "store_path", p.disk.Root(), "why", err)
			return finishPathRecovery(dataDir, flag.threads)
		}
		if err != nil {
			return err
		}
	}
	src, _, err := r.recoverySource(cl)
	if errors.Is(err, errNoRecovery) {
		s.log.Warn("disk recovery: nothing to recover from, the store path stays empty", "store_path", p.disk.Root(), "why", err)
		return finishPathRecovery(dataDir, flag.threads)
	}
	if err != nil {
		return err
	}
	s.log.Info("disk recovery: recovering files", "store_path", p.disk.Root(), "src", src)
	for t := 0; t < max(flag.threads, 1); t++ {
		if err := r.restoreFiles(cl, p, t, src); err != nil {
			return err
		}
	}
	status := flag.savedStatus
	if status < 0 || status == statusNone || status == statusRecovery {
		status = statusOffline
	}
	r.reportOwnStatus(byte(status))
	s.log.Info("disk recovery: done", "store_path", p.disk.Root(), "src", src)
	return finishPathRecovery(dataDir, flag.threads)
}

// recoveryClient is an SDK client on our trackers, for the tracker lists
// and the downloads of a recovery.
func (r *reporters) recoveryClient() (*client.Client, error) {
	addrs := make([]string, 0, len(r.links))
	for _, l := range r.links {
		addrs = append(addrs, l.addr)
	}
	cfg := client.Config{Trackers: addrs, ConnectTimeout: r.s.cfg.ConnectTimeout,
		NetworkTimeout: r.s.cfg.NetworkTimeout, MaxIdlePerServer: 2}
	if b := r.s.cfg.BindAddr; b != "" && r.s.cfg.ClientBind {
		if ip := net.ParseIP(strings.TrimSpace(strings.Split(b, ",")[0])); ip != nil {
			cfg.LocalAddr = &net.TCPAddr{IP: ip}
		}
	}
	return client.New(cfg)
}

// prepareRecovery is step 2: source, RECOVERY, the path's binlog.
func (r *reporters) prepareRecovery(cl *client.Client, p *storePath) (recoveryFlag, error) {
	dataDir := p.disk.DataDir()
	flag := recoveryFlag{savedStatus: statusNone, threads: -1}
	if err := writeRecoveryFlag(dataDir, flag); err != nil {
		return flag, err
	}
	bin := recoveryFile(dataDir, recoveryBinlogName, 0)
	if err := os.WriteFile(bin, nil, 0o644); err != nil {
		return flag, err
	}
	src, saved, err := r.recoverySource(cl)
	if err != nil {
		return flag, err
	}
	flag.savedStatus = int(saved)
	r.reportOwnStatus(statusRecovery)
	r.s.log.Info("disk recovery: fetching the binlog of the store path", "store_path", p.disk.Root(), "src", src)
	n, err := r.fetchPathBinlog(src, p.index, bin)
	if err != nil {
		return flag, fmt.Errorf("fetch binlog of store path %d from %s: %w", p.index, src, err)
	}
	r.s.log.Info("disk recovery: binlog fetched", "store_path", p.disk.Root(), "src", src, "bytes", n)
	if err := dedupTrunkRecords(bin); err != nil {
		_ = os.Remove(recoveryFile(dataDir, recoveryFlagName, -1))
		return flag, err
	}
	if err := writeRecoveryMark(dataDir, 0, 0); err != nil {
		return flag, err
	}
	flag.fetchDone, flag.threads = true, 1
	return flag, writeRecoveryFlag(dataDir, flag)
}

// recoverySource finds the peer to recover from, C's way: our highest
// status at the trackers (GET_STATUS), then an ACTIVE readable member of
// the group other than us. It waits while the group has no such member.
func (r *reporters) recoverySource(cl *client.Client) (src string, saved byte, err error) {
	for {
		st, found, unknown := r.ownMaxStatus()
		if found {
			switch st {
			case statusInit:
				return "", st, fmt.Errorf("our status is INIT: %w", errNoRecovery)
			case statusDeleted, statusIPChanged:
				return "", st, fmt.Errorf("our status is %d: %w", st, errNoRecovery)
			}
			saved = st
			break
		}
		if unknown {
			return "", 0, fmt.Errorf("this storage is unknown to the trackers: %w", errNoRecovery)
		}
		if !r.sleep(time.Second) {
			return "", 0, r.ctx.Err()
		}
	}
	own := r.ownID(nil)
	group := string(r.s.group)
	for {
		ctx, cancel := context.WithTimeout(r.ctx, r.callTimeout())
		g, err := cl.ListGroup(ctx, group)
		var members []codec.StorageStat
		if err == nil && g.StorageCount > 1 && int64(len(r.s.paths)) <= g.StorePathCount {
			members, err = cl.ListStorages(ctx, group, "")
		}
		cancel()
		switch {
		case err != nil:
			r.s.log.Warn("disk recovery: list the group", "group", group, "err", err)
		case g.StorageCount == 1:
			return "", saved, fmt.Errorf("the group has no other member: %w", errNoRecovery)
		case int64(len(r.s.paths)) > g.StorePathCount:
			return "", saved, fmt.Errorf("we have %d store paths, the group %d: %w", len(r.s.paths), g.StorePathCount, errNoRecovery)
		}
		for _, m := range members {
			if string(m.ID) == own || m.Status != statusActive {
				continue
			}
			if m.RWMode != codec.RWModeNone && m.RWMode&4 == 0 { // R_OK
				continue
			}
			return net.JoinHostPort(string(m.IP), strconv.FormatInt(m.StoragePort, 10)), saved, nil
		}
		if !r.sleep(5 * time.Second) {
			return "", 0, r.ctx.Err()
		}
	}
}

func (r *reporters) callTimeout() time.Duration {
	if d := r.s.cfg.NetworkTimeout; d > 0 {
		return 2 * d
	}
	return time.Minute
}

// ownMaxStatus asks every tracker GET_STATUS (71) for our record: the
// highest status (found), or unknown when every tracker that answered
// said ENOENT.
func (r *reporters) ownMaxStatus() (best byte, found, unknown bool) {
	ip := ""
	if p := r.s.myIP.Load(); p != nil {
		ip = p.String()
	}
	req := codec.StorageLookupRequest{Group: r.s.group, Addr: []byte(net.JoinHostPort(ip, strconv.Itoa(r.port)))}
	body := req.Append(nil)
	enoent := 0
	for _, l := range r.links {
		c, err := r.dial(l.addr)
		if err != nil {
			continue
		}
		st, reply, err := r.call(c, codec.CmdStorageGetStatus, body, codec.StorageBriefSize)
		r.quit(c)
		if err == nil && st == codec.ENOENT {
			enoent++
			continue
		}
		var b codec.StorageBrief
		if err != nil || st != codec.OK || b.Decode(reply) != nil {
			continue
		}
		if !found || b.Status > best {
			best = b.Status
		}
		found = true
	}
	return best, found, !found && enoent > 0
}

// reportOwnStatus sends REPORT_STATUS (76) with our own brief to every
// tracker (short connections; the brief's port left 0 as C does).
func (r *reporters) reportOwnStatus(status byte) {
	ip := ""
	if p := r.s.myIP.Load(); p != nil {
		ip = p.String()
	}
	req := codec.ReportStatusRequest{Group: r.s.group,
		Storage: codec.StorageBrief{Status: status, ID: []byte(r.ownID(nil)), IP: []byte(ip)}}
	body := req.Append(nil)
	for _, l := range r.links {
		c, err := r.dial(l.addr)
		if err != nil {
			r.s.log.Warn("REPORT_STATUS", "tracker", l.addr, "err", err)
			continue
		}
		if st, _, err := r.call(c, codec.CmdStorageReportStatus, body, 0); err != nil || st != codec.OK {
			r.s.log.Warn("REPORT_STATUS", "tracker", l.addr, "status", st, "err", err)
		}
		r.quit(c)
	}
}

// fetchPathBinlog asks src for FETCH_ONE_PATH_BINLOG of path idx and
// stores the lines in file (the trailer checked and cut off).
func (r *reporters) fetchPathBinlog(src string, idx int, file string) (int64, error) {
	c, err := r.dial(src)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(r.ctx, func() { _ = c.Close() })
	defer stop()
	timeout := max(r.s.cfg.NetworkTimeout, 600*time.Second) // C: at least 600 s
	req := make([]byte, codec.HeaderSize, codec.HeaderSize+fetchPathBinlogBodyLen)
	codec.Request(codec.CmdFetchOnePathBinlog, fetchPathBinlogBodyLen).Put(req)
	req = codec.AppendFixedBytes(req, r.s.group, codec.GroupNameSize)
	req = append(req, byte(idx))
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(req); err != nil {
		return 0, err
	}
	var hb [codec.HeaderSize]byte
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		return 0, err
	}
	h, err := codec.DecodeHeader(hb[:])
	if err != nil {
		return 0, err
	}
	if h.Status != 0 {
		return 0, fmt.Errorf("status %d", h.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	// read to EOF (or the declared length), keeping the last 8 bytes back
	// as the trailer
	var tail [8]byte
	held := 0
	var got int64
	buf := make([]byte, 64<<10)
	rd := io.LimitReader(c, h.BodyLen)
	for {
		_ = c.SetReadDeadline(time.Now().Add(timeout))
		n, rerr := rd.Read(buf)
		if n > 0 {
			chunk := append(tail[:held:held], buf[:n]...)
			keep := min(8, len(chunk))
			if _, err := f.Write(chunk[:len(chunk)-keep]); err != nil {
				return 0, err
			}
			got += int64(len(chunk) - keep)
			held = copy(tail[:], chunk[len(chunk)-keep:])
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, rerr
		}
	}
	if h.BodyLen != infiniteFileSize { // a plain reply: no trailer
		if _, err := f.Write(tail[:held]); err != nil {
			return 0, err
		}
		got += int64(held)
	} else if held < 8 || int64(binary.BigEndian.Uint64(tail[:])) != got {
		return 0, fmt.Errorf("binlog stream cut short (%d bytes, trailer %x)", got, tail[:held])
	}
	return got, f.Sync()
}

// dedupTrunkRecords is C's split of the fetched binlog: records of trunk
// slots go once per name after the others (C keeps one per trunk file; a
// trunk file's slots are all fetched with it). Other records are kept in
// order. Malformed lines are dropped.
func dedupTrunkRecords(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var out, trunks []byte
	seen := make(map[string]bool)
	var rec codec.BinlogRecord
	for len(data) > 0 {
		n, err := rec.Parse(data)
		if n == 0 {
			break // an unterminated last line
		}
		line := data[:n]
		data = data[n:]
		if err != nil {
			continue
		}
		rf, perr := codec.ParseRemoteFilename(rec.Filename, 256)
		if perr == nil && isTrunkName(&rf) {
			if !seen[string(rec.Filename)] {
				seen[string(rec.Filename)] = true
				trunks = append(trunks, line...)
			}
			continue
		}
		out = append(out, line...)
	}
	out = append(out, trunks...)
	return writeFileAtomic(file, out)
}

// restoreFiles is step 3 for one recovery binlog (thread t): from its mark
// on, download creates from src and make links, saving the mark.
func (r *reporters) restoreFiles(cl *client.Client, p *storePath, t int, src string) error {
	s := r.s
	dataDir := p.disk.DataDir()
	bin := recoveryFile(dataDir, recoveryBinlogName, t)
	off, err := readRecoveryMark(dataDir, t)
	if err != nil {
		return err
	}
	f, err := os.Open(bin)
	if errors.Is(err, os.ErrNotExist) && t > 0 {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var rec codec.BinlogRecord
	var total, ok, noent, count int
	save := func() {
		if err := writeRecoveryMark(dataDir, t, off); err != nil {
			s.log.Error("disk recovery: save mark", "store_path", p.disk.Root(), "err", err)
		}
	}
	defer save()
	for {
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		line, rerr := br.ReadSlice('\n')
		if len(line) == 0 || line[len(line)-1] != '\n' {
			if rerr == io.EOF || rerr == nil {
				break
			}
			return rerr
		}
		n, perr := rec.Parse(line)
		if perr != nil || n != len(line) {
			s.log.Warn("disk recovery: malformed recovery binlog line skipped", "line", strings.TrimSpace(string(line)))
			off += int64(len(line))
			continue
		}
		total++
		switch rec.Op.Source() {
		case 'C':
			err := r.recoverFile(cl, src, &rec)
			switch {
			case err == nil:
				ok++
			case isNotFound(err):
				noent++
			case errors.Is(err, errSkipRecord):
			default:
				return fmt.Errorf("recover %s from %s: %w", rec.Filename, src, err)
			}
		case 'L':
			if err := r.recoverLink(&rec); err != nil {
				return err
			}
			ok++
		default:
			s.log.Warn("disk recovery: unexpected op skipped", "op", string(rune(rec.Op)), "file", string(rec.Filename))
		}
		off += int64(n)
		if count++; count == recoveryMarkEvery {
			count = 0
			save()
			s.log.Info("disk recovery progress", "store_path", p.disk.Root(), "records", total, "recovered", ok, "missing_at_source", noent)
		}
	}
	s.log.Info("disk recovery: records done", "store_path", p.disk.Root(), "records", total, "recovered", ok, "missing_at_source", noent)
	return nil
}

// errSkipRecord: a record whose name this storage cannot place (C's -EINVAL).
var errSkipRecord = errors.New("record skipped")

func isNotFound(err error) bool {
	var se *client.StatusError
	return errors.As(err, &se) && se.Status == codec.ENOENT
}

// recoverFile downloads one file from src into its place (through
// "<name>.recovery.tmp", as C), with the record's time as mtime.
func (r *reporters) recoverFile(cl *client.Client, src string, rec *codec.BinlogRecord) error {
	rf, err := codec.ParseRemoteFilename(rec.Filename, len(r.s.paths))
	if err != nil {
		r.s.log.Warn("disk recovery: bad name skipped", "file", string(rec.Filename), "err", err)
		return errSkipRecord
	}
	if isTrunkName(&rf) {
		r.s.log.Warn("disk recovery: trunk file skipped (trunk storage not supported)", "file", string(rec.Filename))
		return errSkipRecord
	}
	local := filepath.Join(r.s.paths[rf.StorePath].disk.DataDir(), string(rf.TrueName))
	tmp := local + ".recovery.tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	_, err = cl.DownloadFrom(ctx, client.StorageServer{Group: string(r.s.group), Addr: src},
		string(r.s.group)+"/"+string(rec.Filename), f, 0, 0)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, local); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	ts := time.Unix(rec.Timestamp, 0)
	_ = os.Chtimes(local, ts, ts)
	// renamed in place behind StorePath's back: drop a cached descriptor of
	// the old file, or downloads could serve it until its age bound
	if ref, err := diskio.ParseFileRef(string(rf.TrueName)); err == nil {
		r.s.paths[rf.StorePath].disk.Forget(ref)
	}
	return nil
}

// recoverLink makes a link record's symlink (absolute target, as C);
// a missing target directory or an existing link is not an error.
func (r *reporters) recoverLink(rec *codec.BinlogRecord) error {
	if len(rec.SrcFilename) == 0 {
		return fmt.Errorf("recovery binlog: link %s without a source", rec.Filename)
	}
	rf, err := codec.ParseRemoteFilename(rec.Filename, len(r.s.paths))
	if err != nil {
		return fmt.Errorf("recovery binlog: %w", err)
	}
	sf, err := codec.ParseRemoteFilename(rec.SrcFilename, len(r.s.paths))
	if err != nil {
		return fmt.Errorf("recovery binlog: %w", err)
	}
	local := filepath.Join(r.s.paths[rf.StorePath].disk.DataDir(), string(rf.TrueName))
	target := filepath.Join(r.s.paths[sf.StorePath].disk.DataDir(), string(sf.TrueName))
	if err := os.Symlink(target, local); err != nil && !errors.Is(err, os.ErrExist) && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("link %s to %s: %w", local, target, err)
	}
	return nil
}
