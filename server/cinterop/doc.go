// Package cinterop holds integration tests of mixed clusters: the C
// FastDFS daemons (fdfs_trackerd, fdfs_storaged from PATH) next to ours,
// as separate processes on loopback. Tests that need C skip when
// fdfs_trackerd is not in PATH; the all-Go variants always run.
package cinterop
