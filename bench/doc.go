// Package bench is the load generator behind fdfs_bench: it drives any
// FastDFS cluster (ours or the C servers) through the client SDK with a
// fixed set of scenarios, measures ops/s, MiB/s and latency percentiles,
// and runs limit probes (a plain sendfile server, raw disk writes) in the
// same process so every figure can be stated as a ratio to what the
// machine can do at all. Suite runs the standard set against a cluster of
// our own daemons and writes BENCHMARKS.md (make bench).
//
// Every run is bounded in operations and in time, and refuses trackers
// that are not on loopback unless told otherwise.
package bench
