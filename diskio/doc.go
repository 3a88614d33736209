// Package diskio is the storage server's disk: store paths and the bytes in
// them. It knows nothing of the FastDFS protocol; callers hand it validated
// file references and sockets, it hands back bytes, CRCs and errors.
//
// What lives here:
//
//   - StorePath (storepath_linux.go, tree.go, space_linux.go): one store_pathN directory
//     as the C storage lays it out: data/, the subdir_count_per_path² tree
//     data/00/00 … data/FF/FF, the data/.fastdfs_vars ownership mark, free
//     and total space from statfs, the reserved_storage_space check, and the
//     read-only flag. Every file lives at data/HH/HH/NAME and is named by a
//     FileRef; resolving a FileRef can never leave the store path.
//   - FileWriter (writer_linux.go): a body written in chunks with a running CRC32
//     (IEEE) into a temp file data/.cp<seq>.tmp that Commit renames to its
//     final name, or in place into an existing appender file (append, modify).
//     Nothing half-written ever carries a final name: a crash leaves only
//     .tmp files, which SweepTemp removes at start.
//   - File operations (fileops_linux.go): truncate, delete, slave symlinks,
//     metadata files (atomic whole-file writes), mtime, CRC on demand.
//   - Worker (worker.go, receive_linux.go, sendfile_linux.go, epoll_linux.go): one goroutine
//     locked to an OS thread with its own epoll instance and an eventfd job
//     queue. Workers are the only code that blocks on a store path's disk;
//     they also move bodies between sockets and files (read+CRC+pwrite in,
//     sendfile out) so an event loop never waits on the disk.
//   - ReadSmall (smallread_linux.go): preadv2(RWF_NOWAIT) so an event loop can
//     answer a small read from the page cache and fall back to a worker only
//     when the data would have to come from the disk.
//   - Affinity planning (affinity_linux.go): when to pin workers to CPUs.
//
// Linux only: it is built on epoll, eventfd, sendfile, preadv2 and
// fallocate.
//
// Errors carry the path they concern (*os.PathError, *os.LinkError or the
// types in errors.go) and unwrap to the errno, so errors.Is(err,
// syscall.ENOSPC) and friends work for mapping to protocol status codes.
package diskio
