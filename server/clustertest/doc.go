// Package clustertest runs real trackers and real storages together on
// loopback (127.0.6.0/24) and checks what the cluster does as a whole: the
// selection policies C would apply, storages turning OFFLINE, trackers
// restarted from their state files, leader failover and a tracker that joins
// late. It holds tests only; the servers are the ones in server/tracker and
// server/storage, in-process where that is enough and as the built daemons
// where a real kill -9 or SIGSTOP is needed.
package clustertest
