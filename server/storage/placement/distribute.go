// Package placement decides where a new file goes on a storage and what it
// is called: the data/HH/HH directory (file_distribute_path_mode, client.md
// §7.6), the room left on a store path, the source field and the name
// itself. It takes plain values and knows no sockets or requests, so the
// command path (package storage) only asks it and writes.
package placement

import "sync"

// Distributor picks the data/HH/HH directory of new files
// (file_distribute_path_mode, client.md §7.6).
type Distributor struct {
	mode    int // 0 rotate, 1 hash
	rotate  int // file_distribute_rotate_count
	subdirs int // subdir_count_per_path

	mu        sync.Mutex
	high, low int
	count     int // files written into high/low so far
}

// NewDistributor is a distributor for file_distribute_path_mode mode;
// rotate and subdirs <= 0 take C's defaults (100 files, defSubdirs).
func NewDistributor(mode, rotate, subdirs, defSubdirs int) *Distributor {
	if subdirs <= 0 {
		subdirs = defSubdirs
	}
	if rotate <= 0 {
		rotate = 100
	}
	return &Distributor{mode: mode, rotate: rotate, subdirs: subdirs}
}

// Subdirs is subdir_count_per_path in effect.
func (d *Distributor) Subdirs() int { return d.subdirs }

// Next returns the directory for a new file whose 27-character base64 part
// is b64 (used by the hash mode only).
func (d *Distributor) Next(b64 []byte) (high, low int) {
	if d.mode == 1 {
		h := PJWHash(b64) % 65536
		return int(h>>8) % d.subdirs, int(h&0xFF) % d.subdirs
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	high, low = d.high, d.low
	d.count++
	if d.count >= d.rotate {
		d.count = 0
		d.low++
		if d.low >= d.subdirs {
			d.low = 0
			d.high++
			if d.high >= d.subdirs {
				d.high = 0
			}
		}
	}
	return high, low
}

// State is the rotation position kept in storage_stat.dat
// (dist_path_index_high, dist_path_index_low, dist_write_file_count).
func (d *Distributor) State() (high, low, count int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.high, d.low, d.count
}

// Restore resumes the rotation at a saved State; a position outside this
// distributor's subdirs (a changed subdir_count_per_path, a damaged file)
// is ignored, so the rotation restarts instead of writing out of range.
func (d *Distributor) Restore(high, low, count int) {
	if high < 0 || high >= d.subdirs || low < 0 || low >= d.subdirs {
		return
	}
	d.mu.Lock()
	d.high, d.low, d.count = high, low, max(count, 0)
	d.mu.Unlock()
}

// PJWHash is libfastcommon's PJWHash, the hash C uses for mode 1.
func PJWHash(b []byte) uint32 {
	var h uint32
	for _, c := range b {
		h = h<<4 + uint32(c)
		if g := h & 0xF0000000; g != 0 {
			h ^= g >> 24
			h ^= g
		}
	}
	return h
}
