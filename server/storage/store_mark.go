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
// a path that had one means the disk was replaced or wiped: its files are
// gone, so the storage asks for a full copy again (sync_old_done=0: the
// tracker names a source that replays everything, as for a new member)
// instead of C's per-path disk recovery.

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
	if !s.cfg.CheckStorePathMark {
		return nil
	}
	flag, err := openDataFlag(dataDir)
	if err != nil {
		return err
	}
	ip := strings.TrimSpace(strings.Split(flag.get("last_ip_addr"), ",")[0])
	if _, err := netip.ParseAddr(ip); err != nil {
		ip = strings.TrimSpace(strings.Split(s.cfg.BindAddr, ",")[0])
	}
	lost := false
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
			lost = true
			s.log.Warn("store path lost its data (mark missing): the group will copy everything again",
				"store_path", p.disk.Root())
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
	if lost && flag.get("sync_old_done") == "1" {
		return flag.set("sync_old_done", "0", "sync_src_server", "", "sync_until_timestamp", "0")
	}
	return nil
}
