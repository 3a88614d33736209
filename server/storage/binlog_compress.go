package storage

import (
	"time"

	"github.com/gofdfs/gofdfs/server/storage/replica"
)

// runBinlogCompressor compresses the binlog once a day at
// compress_binlog_time while the reporters run (compress_binlog on).
func (r *reporters) runBinlogCompressor() {
	defer r.wg.Done()
	s := r.s
	for {
		wait := time.Until(replica.NextDaily(s.now(), s.cfg.CompressBinlogTime))
		if !r.sleep(wait) {
			return
		}
		until := s.binlog.WriteIndex()
		if r.pushers != nil {
			until = min(until, r.pushers.minReadIndex())
		}
		n, err := replica.CompressBinlogs(s.binlog, until)
		if err != nil {
			s.log.Error("compress binlog", "err", err)
			continue
		}
		if n > 0 {
			s.log.Info("binlog files compressed", "count", n, "current_compress", until)
		}
	}
}
