package tracker

// connAllocCount is C's connections.alloc for a tracker that has had up to
// max connections at once: libserverframe allocates connection objects
// 256/m at a time, m being its minimum network buffer in 64 KiB units
// clamped to 1..16 (sf_service.c), and reports every object allocated. The
// minimum buffer is what conf.Tracker.NetBuffers works out (buff_size,
// 256 KiB, without min_buff_size and max_buff_size: 64 a block; the sample
// tracker.conf's min_buff_size = 8KB: 256 a block).
func connAllocCount(max int32, minBuff int64) int32 {
	if max <= 0 {
		return 0
	}
	m := min(minBuff/(64<<10), 16)
	if m < 1 {
		m = 1
	}
	block := int32(256 / m)
	return (max + block - 1) / block * block
}

// connAlloc is this tracker's connections.alloc now.
func (s *Server) connAlloc() int32 {
	_, minBuff, _ := s.cfg.NetBuffers()
	return connAllocCount(s.conns.max.Load(), minBuff)
}
