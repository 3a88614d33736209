// Package recovery is C's disk recovery (cluster.md §7.5): a store path
// that lost its data while the storage had finished its first sync is
// rebuilt from an ACTIVE peer of the group, path by path, instead of
// copying the whole group again. Both sides are here: the recovering
// storage (Run) and the peer it recovers from (Source, the reply of
// FETCH_ONE_PATH_BINLOG). The storage core marks a path (MarkPath), runs
// Run before its reporters JOIN, and frames command 26; it is seen only
// through Host and Source.
//
//  1. at start the path gets <path>/data/.recovery.flag with
//     fetch_binlog_done=0 (MarkPath): the durable "this path needs
//     recovery" note, also what a C storage leaves when it stops
//     mid-recovery (we carry on from its files);
//  2. before the reporters JOIN (Run), for each flagged path: ask the
//     trackers our highest status (GET_STATUS), pick an ACTIVE readable
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
package recovery

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// statusRecovery is the status a recovering storage reports (76).
const statusRecovery = 9

// Host is what a recovery uses of the storage around it.
type Host struct {
	Conf  *conf.Storage // connect and network timeouts, bind_addr, client_bind
	Group []byte
	Log   *slog.Logger
	// Paths are the store paths, by index.
	Paths []*diskio.StorePath
	// MyIP is this storage's address as the trackers see it ("" until
	// known).
	MyIP func() string
	// Trackers are the reporters' tracker links (the pushers' too).
	Trackers replica.TrackerLinks
}

// errNoRecovery: C's ENOENT from the source search, the path is left as is.
var errNoRecovery = errors.New("no recovery needed")

// run is one recovery pass: the host and the context that ends it.
type run struct {
	ctx context.Context
	h   *Host
}

// Run recovers every flagged store path, retrying a failed one every 5 s;
// false when ctx ended meanwhile.
func Run(ctx context.Context, h *Host) bool {
	r := &run{ctx: ctx, h: h}
	for i, p := range h.Paths {
		for {
			err := r.recoverPath(i, p)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return false
			}
			h.Log.Error("disk recovery failed, retrying", "store_path", p.Root(), "err", err)
			if !r.sleep(5 * time.Second) {
				return false
			}
		}
	}
	return true
}

// sleep waits d or until the recovery is stopped (false then).
func (r *run) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// recoverPath runs steps 2 to 4 for path idx, if it is flagged.
func (r *run) recoverPath(idx int, p *diskio.StorePath) error {
	log := r.h.Log
	dataDir := p.DataDir()
	fl, ok, err := readFlag(dataDir)
	if err != nil || !ok {
		return err
	}
	cl, err := r.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	if !fl.fetchDone {
		fl, err = r.prepare(cl, idx, p)
		if errors.Is(err, errNoRecovery) {
			log.Warn("disk recovery: nothing to recover from, the store path stays empty", "store_path", p.Root(), "why", err)
			return finish(dataDir, fl.threads)
		}
		if err != nil {
			return err
		}
	}
	src, _, err := r.source(cl)
	if errors.Is(err, errNoRecovery) {
		log.Warn("disk recovery: nothing to recover from, the store path stays empty", "store_path", p.Root(), "why", err)
		return finish(dataDir, fl.threads)
	}
	if err != nil {
		return err
	}
	log.Info("disk recovery: recovering files", "store_path", p.Root(), "src", src)
	for t := 0; t < max(fl.threads, 1); t++ {
		if err := r.restoreFiles(cl, p, t, src); err != nil {
			return err
		}
	}
	status := fl.savedStatus
	if status < 0 || status == replica.StatusNone || status == statusRecovery {
		status = replica.StatusOffline
	}
	r.reportOwnStatus(byte(status))
	log.Info("disk recovery: done", "store_path", p.Root(), "src", src)
	return finish(dataDir, fl.threads)
}

// client is an SDK client on our trackers, for the tracker lists and the
// downloads of a recovery.
func (r *run) client() (*client.Client, error) {
	cfg := client.Config{Trackers: r.h.Trackers.Addrs(), ConnectTimeout: r.h.Conf.ConnectTimeout,
		NetworkTimeout: r.h.Conf.NetworkTimeout, MaxIdlePerServer: 2}
	if b := r.h.Conf.BindAddr; b != "" && r.h.Conf.ClientBind {
		if ip := net.ParseIP(strings.TrimSpace(strings.Split(b, ",")[0])); ip != nil {
			cfg.LocalAddr = &net.TCPAddr{IP: ip}
		}
	}
	return client.New(cfg)
}

// prepare is step 2: source, RECOVERY, the path's binlog.
func (r *run) prepare(cl *client.Client, idx int, p *diskio.StorePath) (flag, error) {
	dataDir := p.DataDir()
	fl := flag{savedStatus: replica.StatusNone, threads: -1}
	if err := writeFlag(dataDir, fl); err != nil {
		return fl, err
	}
	bin := fileName(dataDir, binlogName, 0)
	if err := os.WriteFile(bin, nil, 0o644); err != nil {
		return fl, err
	}
	src, saved, err := r.source(cl)
	if err != nil {
		return fl, err
	}
	fl.savedStatus = int(saved)
	r.reportOwnStatus(statusRecovery)
	r.h.Log.Info("disk recovery: fetching the binlog of the store path", "store_path", p.Root(), "src", src)
	n, err := r.fetchPathBinlog(src, idx, bin)
	if err != nil {
		return fl, fmt.Errorf("fetch binlog of store path %d from %s: %w", idx, src, err)
	}
	r.h.Log.Info("disk recovery: binlog fetched", "store_path", p.Root(), "src", src, "bytes", n)
	if err := dedupTrunkRecords(bin); err != nil {
		_ = os.Remove(fileName(dataDir, flagName, -1))
		return fl, err
	}
	if err := writeMark(dataDir, 0, 0); err != nil {
		return fl, err
	}
	fl.fetchDone, fl.threads = true, 1
	return fl, writeFlag(dataDir, fl)
}

// source finds the peer to recover from, C's way: our highest status at
// the trackers (GET_STATUS), then an ACTIVE readable member of the group
// other than us. It waits while the group has no such member.
func (r *run) source(cl *client.Client) (src string, saved byte, err error) {
	for {
		st, found, unknown := r.ownMaxStatus()
		if found {
			switch st {
			case replica.StatusInit:
				return "", st, fmt.Errorf("our status is INIT: %w", errNoRecovery)
			case replica.StatusDeleted, replica.StatusIPChanged:
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
	own := r.h.Trackers.OwnID()
	group := string(r.h.Group)
	paths := int64(len(r.h.Paths))
	for {
		ctx, cancel := context.WithTimeout(r.ctx, r.callTimeout())
		g, err := cl.ListGroup(ctx, group)
		var members []codec.StorageStat
		if err == nil && g.StorageCount > 1 && paths <= g.StorePathCount {
			members, err = cl.ListStorages(ctx, group, "")
		}
		cancel()
		switch {
		case err != nil:
			r.h.Log.Warn("disk recovery: list the group", "group", group, "err", err)
		case g.StorageCount == 1:
			return "", saved, fmt.Errorf("the group has no other member: %w", errNoRecovery)
		case paths > g.StorePathCount:
			return "", saved, fmt.Errorf("we have %d store paths, the group %d: %w", paths, g.StorePathCount, errNoRecovery)
		}
		for _, m := range members {
			if string(m.ID) == own || m.Status != replica.StatusActive {
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

func (r *run) callTimeout() time.Duration {
	if d := r.h.Conf.NetworkTimeout; d > 0 {
		return 2 * d
	}
	return time.Minute
}

// ownMaxStatus asks every tracker GET_STATUS (71) for our record: the
// highest status (found), or unknown when every tracker that answered
// said ENOENT.
func (r *run) ownMaxStatus() (best byte, found, unknown bool) {
	t := r.h.Trackers
	req := codec.StorageLookupRequest{Group: r.h.Group,
		Addr: []byte(net.JoinHostPort(r.h.MyIP(), strconv.Itoa(t.Port())))}
	body := req.Append(nil)
	enoent := 0
	for _, addr := range t.Addrs() {
		c, err := t.Dial(addr)
		if err != nil {
			continue
		}
		st, reply, err := t.Call(c, codec.CmdStorageGetStatus, body, codec.StorageBriefSize)
		t.Quit(c)
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
func (r *run) reportOwnStatus(status byte) {
	t := r.h.Trackers
	req := codec.ReportStatusRequest{Group: r.h.Group,
		Storage: codec.StorageBrief{Status: status, ID: []byte(t.OwnID()), IP: []byte(r.h.MyIP())}}
	body := req.Append(nil)
	for _, addr := range t.Addrs() {
		c, err := t.Dial(addr)
		if err != nil {
			r.h.Log.Warn("REPORT_STATUS", "tracker", addr, "err", err)
			continue
		}
		if st, _, err := t.Call(c, codec.CmdStorageReportStatus, body, 0); err != nil || st != codec.OK {
			r.h.Log.Warn("REPORT_STATUS", "tracker", addr, "status", st, "err", err)
		}
		t.Quit(c)
	}
}

// fetchPathBinlog asks src for FETCH_ONE_PATH_BINLOG of path idx and
// stores the lines in file (the trailer checked and cut off).
func (r *run) fetchPathBinlog(src string, idx int, file string) (int64, error) {
	c, err := r.h.Trackers.Dial(src)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(r.ctx, func() { _ = c.Close() })
	defer stop()
	timeout := max(r.h.Conf.NetworkTimeout, 600*time.Second) // C: at least 600 s
	req := make([]byte, codec.HeaderSize, codec.HeaderSize+FetchPathBinlogBodyLen)
	codec.Request(codec.CmdFetchOnePathBinlog, FetchPathBinlogBodyLen).Put(req)
	req = codec.AppendFixedBytes(req, r.h.Group, codec.GroupNameSize)
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
	if h.BodyLen != InfiniteFileSize { // a plain reply: no trailer
		if _, err := f.Write(tail[:held]); err != nil {
			return 0, err
		}
		got += int64(held)
	} else if held < 8 || int64(binary.BigEndian.Uint64(tail[:])) != got {
		return 0, fmt.Errorf("binlog stream from %s cut short (%d bytes, trailer %x)", src, got, tail[:held])
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
func (r *run) restoreFiles(cl *client.Client, p *diskio.StorePath, t int, src string) error {
	log := r.h.Log
	dataDir := p.DataDir()
	bin := fileName(dataDir, binlogName, t)
	off, err := readMark(dataDir, t)
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
		if err := writeMark(dataDir, t, off); err != nil {
			log.Error("disk recovery: save mark", "store_path", p.Root(), "err", err)
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
			log.Warn("disk recovery: malformed recovery binlog line skipped", "line", strings.TrimSpace(string(line)))
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
			log.Warn("disk recovery: unexpected op skipped", "op", string(rune(rec.Op)), "file", string(rec.Filename))
		}
		off += int64(n)
		if count++; count == markEvery {
			count = 0
			save()
			log.Info("disk recovery progress", "store_path", p.Root(), "records", total, "recovered", ok, "missing_at_source", noent)
		}
	}
	log.Info("disk recovery: records done", "store_path", p.Root(), "records", total, "recovered", ok, "missing_at_source", noent)
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
func (r *run) recoverFile(cl *client.Client, src string, rec *codec.BinlogRecord) error {
	rf, err := codec.ParseRemoteFilename(rec.Filename, len(r.h.Paths))
	if err != nil {
		r.h.Log.Warn("disk recovery: bad name skipped", "file", string(rec.Filename), "err", err)
		return errSkipRecord
	}
	if isTrunkName(&rf) {
		r.h.Log.Warn("disk recovery: trunk file skipped (trunk storage not supported)", "file", string(rec.Filename))
		return errSkipRecord
	}
	disk := r.h.Paths[rf.StorePath]
	local := filepath.Join(disk.DataDir(), string(rf.TrueName))
	tmp := local + ".recovery.tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	group := string(r.h.Group)
	_, err = cl.DownloadFrom(ctx, client.StorageServer{Group: group, Addr: src},
		group+"/"+string(rec.Filename), f, 0, 0)
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
		disk.Forget(ref)
	}
	return nil
}

// recoverLink makes a link record's symlink (absolute target, as C);
// a missing target directory or an existing link is not an error.
func (r *run) recoverLink(rec *codec.BinlogRecord) error {
	if len(rec.SrcFilename) == 0 {
		return fmt.Errorf("recovery binlog: link %s without a source", rec.Filename)
	}
	rf, err := codec.ParseRemoteFilename(rec.Filename, len(r.h.Paths))
	if err != nil {
		return fmt.Errorf("recovery binlog: %w", err)
	}
	sf, err := codec.ParseRemoteFilename(rec.SrcFilename, len(r.h.Paths))
	if err != nil {
		return fmt.Errorf("recovery binlog: %w", err)
	}
	local := filepath.Join(r.h.Paths[rf.StorePath].DataDir(), string(rf.TrueName))
	target := filepath.Join(r.h.Paths[sf.StorePath].DataDir(), string(sf.TrueName))
	if err := os.Symlink(target, local); err != nil && !errors.Is(err, os.ErrExist) && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("link %s to %s: %w", local, target, err)
	}
	return nil
}

// isTrunkName: a name whose size field carries the trunk flag.
func isTrunkName(rf *codec.RemoteFilename) bool {
	f, err := rf.Fields()
	return err == nil && rf.Kind(f) == codec.KindTrunk
}
