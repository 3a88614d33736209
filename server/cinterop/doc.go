// Package cinterop holds integration tests of mixed clusters: the C
// FastDFS daemons (fdfs_trackerd, fdfs_storaged from PATH) next to ours,
// as separate processes on loopback (127.0.17.0/24; the IPv6 tests use
// fd00:17::/64 inside a network namespace of their own), run through
// internal/testcluster. Tests that need C skip when fdfs_trackerd is not in
// PATH; the all-Go variants always run.
package cinterop
