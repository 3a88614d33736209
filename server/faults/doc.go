// Package faults is the reliability suite (`make faults`): it builds the
// daemons (tools/fdfs_trackerd, tools/fdfs_storaged), runs them as real
// processes on loopback (127.0.10.0/24, 127.0.14.0/24 and ephemeral ports),
// and drives them with the client SDK and raw sockets while it kills them
// with SIGKILL, fills their disks, removes their store paths, feeds them
// malformed frames and skews their clocks (GOFDFS_CLOCK_OFFSET).
//
// Every scenario counts the operations it made, the failures clients saw,
// the acknowledged files it could not find again (lost) and the files whose
// bytes no longer match the CRC32 and size their file ID carries (corrupt);
// lost and corrupt must be zero. TestMain prints the table at the end.
//
// By default (make test) every scenario runs at a small scale in seconds.
// `-faults.full` runs the large ones: 10,000 held connections and the soak
// (`-faults.soak`, 10 minutes in make faults). The connection holder runs in
// its own process (internal/connhold) so that neither side needs more than
// ulimit -n allows one process.
package faults
