package storage

import "github.com/gofdfs/gofdfs/server/storage/replica"

// runBinlogCompressor compresses the binlog once a day at
// compress_binlog_time while the reporters run (compress_binlog on).
func (r *reporters) runBinlogCompressor() {
	defer r.wg.Done()
	var minRead func() int
	if m := r.pushers; m != nil {
		minRead = m.MinReadIndex
	}
	replica.RunCompressor(r.rep.Context(), r.s.binlog, r.s.cfg.CompressBinlogTime, r.s.now, r.s.log, minRead)
}
