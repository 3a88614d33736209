package report

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"

	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
)

// Store path marks (check_store_path_mark, cluster.md §7.3): each store
// path holds data/.fastdfs_vars with a mark that .data_init_flag keeps as
// store_path_markN. A mark on the disk that differs from ours means the
// path belongs to another storage: refuse to start. Our mark missing from
// a path that had one (or, with check_store_path_mark off, a path whose
// tree had to be created) means the disk was replaced or wiped: once the
// storage had finished its first sync, that path is rebuilt from a peer by
// C's disk recovery before the storage joins again.

// StorePathMark is C's mark: the FastDFS base64 (URL alphabet, no padding)
// of ip[46], port int16, path index uint8, 3 pad bytes, create time int32,
// little-endian (56 bytes, 75 characters). Only string equality matters.
func StorePathMark(ip string, port, index int, created int64) string {
	var b [56]byte
	copy(b[:46], ip)
	binary.LittleEndian.PutUint16(b[46:], uint16(port))
	b[48] = byte(index)
	binary.LittleEndian.PutUint32(b[52:], uint32(created))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CheckStorePathMarks compares every store path's mark (paths[i] is
// store_path<i>) with dataDir's .data_init_flag, writing missing ones, and
// calls lost with the data directory of a path that lost its mark (its
// data) so that disk recovery rebuilds it.
func CheckStorePathMarks(cfg *conf.Storage, dataDir string, paths []*diskio.StorePath, log *slog.Logger,
	lost func(dataDir string) error) error {
	flag, err := OpenDataFlag(dataDir)
	if err != nil {
		return err
	}
	if !cfg.CheckStorePathMark {
		if flag.Get("sync_old_done") != "1" {
			return nil
		}
		for _, p := range paths {
			if p.TreeCreated() {
				log.Warn("store path created anew: disk recovery from a peer", "store_path", p.Root())
				if err := lost(p.DataDir()); err != nil {
					return err
				}
			}
		}
		return nil
	}
	ip := strings.TrimSpace(strings.Split(flag.Get("last_ip_addr"), ",")[0])
	if _, err := netip.ParseAddr(ip); err != nil {
		ip = strings.TrimSpace(strings.Split(cfg.BindAddr, ",")[0])
	}
	for i, p := range paths {
		key := "store_path_mark" + strconv.Itoa(i)
		want := flag.Get(key)
		have, ok, err := p.ReadMark()
		if err != nil {
			return fmt.Errorf("storage: store_path%d mark: %w", i, err)
		}
		switch {
		case ok && want != "" && have != want:
			return fmt.Errorf("storage: store_path%d %s belongs to another storage (mark %q, ours %q)",
				i, p.Root(), have, want)
		case ok && want == "":
			// a path set up before the flag knew marks (or C data taken over)
			if err := flag.Set(key, have); err != nil {
				return err
			}
			continue
		case ok:
			continue
		}
		if want != "" {
			if flag.Get("sync_old_done") == "1" {
				log.Warn("store path lost its data (mark missing): disk recovery from a peer",
					"store_path", p.Root())
				if err := lost(p.DataDir()); err != nil {
					return err
				}
			}
		} else {
			want = StorePathMark(ip, cfg.Port, i, flag.GetInt("storage_join_time"))
		}
		if err := p.WriteMark(want); err != nil {
			return fmt.Errorf("storage: store_path%d mark: %w", i, err)
		}
		if err := flag.Set(key, want); err != nil {
			return err
		}
	}
	return nil
}
