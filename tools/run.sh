#!/usr/bin/env bash
# `make run`: one tracker and one storage on loopback with the bundled confs
# (conf/*.conf, data under ./run), in the foreground. Ctrl-C stops both.
set -euo pipefail
BIN=${1:-bin}
cd "$(dirname "$0")/.."
mkdir -p run/tracker run/storage

pids=()
cleanup() {
	trap - INT TERM EXIT
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "stopped"
}
trap cleanup INT TERM EXIT

"$BIN/fdfs_trackerd" conf/tracker.conf start --foreground & pids+=($!)
"$BIN/fdfs_storaged" conf/storage.conf start --foreground & pids+=($!)

# Ready means a real upload through the tracker works: probe with an empty
# file, then delete it again.
probe=$(mktemp /tmp/gofdfs-probe.XXXXXX)
for _ in $(seq 1 120); do
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || { echo "a daemon exited; see run/*/logs/"; exit 1; }
	done
	if id=$("$BIN/fdfs_upload_file" conf/client.conf "$probe" 2>/dev/null); then
		"$BIN/fdfs_delete_file" conf/client.conf "$id" >/dev/null 2>&1 || true
		rm -f "$probe"
		cat <<MSG

gofdfs ready: tracker 127.0.0.1:22122, storage 127.0.0.1:23000 (group1), data in ./run
  echo hello > /tmp/hello.txt
  $BIN/fdfs_upload_file conf/client.conf /tmp/hello.txt        # prints the file ID
  $BIN/fdfs_download_file conf/client.conf <file_id> /tmp/copy.txt
  $BIN/fdfs_file_info conf/client.conf <file_id>
  $BIN/fdfs_delete_file conf/client.conf <file_id>
Ctrl-C stops both.
MSG
		wait
		exit 0
	fi
	sleep 0.5
done
rm -f "$probe"
echo "not ready after 60 s; see run/tracker/logs/trackerd.log and run/storage/logs/storaged.log"
exit 1
