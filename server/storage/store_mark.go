package storage

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Store path marks (check_store_path_mark, cluster.md §7.3): each store
// path holds data/.fastdfs_vars with a mark that .data_init_flag keeps as
// store_path_markN. A mark on the disk that differs from ours means the
// path belongs to another storage: refuse to start. Our mark missing from
// a path that had one (or, with check_store_path_mark off, a path whose
// tree had to be created) means the disk was replaced or wiped: once the
// storage had finished its first sync, that path is rebuilt from a peer by
// C's disk recovery (recovery.go) before the storage joins again.

// storePathMark is C's mark: the FastDFS base64 (URL alphabet, no padding)
// of ip[46], port int16, path index uint8, 3 pad bytes, create time int32,
// little-endian (56 bytes, 75 characters). Only string equality matters.
func storePathMark(ip string, port, index int, created int64) string {
	var b [56]byte
	copy(b[:46], ip)
	binary.LittleEndian.PutUint16(b[46:], uint16(port))
	b[48] = byte(index)
	binary.LittleEndian.PutUint32(b[52:], uint32(created))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkStorePathMarks compares every store path's mark with the flag's,
// writing missing ones, and asks for a full resync when a path lost its
// mark (its data).
func (s *Server) checkStorePathMarks(dataDir string) error {
	flag, err := openDataFlag(dataDir)
	if err != nil {
		return err
	}
	if !s.cfg.CheckStorePathMark {
		if flag.get("sync_old_done") != "1" {
			return nil
		}
		for _, p := range s.paths {
			if p.disk.TreeCreated() {
				s.log.Warn("store path created anew: disk recovery from a peer", "store_path", p.disk.Root())
				if err := startPathRecovery(p.disk.DataDir()); err != nil {
					return err
				}
			}
		}
		return nil
	}
	ip := strings.TrimSpace(strings.Split(flag.get("last_ip_addr"), ",")[0])
	if _, err := netip.ParseAddr(ip); err != nil {
		ip = strings.TrimSpace(strings.Split(s.cfg.BindAddr, ",")[0])
	}
	for _, p := range s.paths {
		key := "store_path_mark" + strconv.Itoa(p.index)
		want := flag.get(key)
		have, ok, err := p.disk.ReadMark()
		if err != nil {
			return fmt.Errorf("storage: store_path%d mark: %w", p.index, err)
		}
		switch {
		case ok && want != "" && have != want:
			return fmt.Errorf("storage: store_path%d %s belongs to another storage (mark %q, ours %q)",
				p.index, p.disk.Root(), have, want)
		case ok && want == "":
			// a path set up before the flag knew marks (or C data taken over)
			if err := flag.set(key, have); err != nil {
				return err
			}
			continue
		case ok:
			continue
		}
		if want != "" {
			if flag.get("sync_old_done") == "1" {
				s.log.Warn("store path lost its data (mark missing): disk recovery from a peer",
					"store_path", p.disk.Root())
				if err := startPathRecovery(p.disk.DataDir()); err != nil {
					return err
				}
			}
		} else {
			want = storePathMark(ip, s.cfg.Port, p.index, flag.getInt("storage_join_time"))
		}
		if err := p.disk.WriteMark(want); err != nil {
			return fmt.Errorf("storage: store_path%d mark: %w", p.index, err)
		}
		if err := flag.set(key, want); err != nil {
			return err
		}
	}
	return nil
}
