#!/usr/bin/env bash
# wrk against our storage's HTTP server and Debian's nginx serving the same
# files from the same store path (sendfile on), in one run, alternating, on
# loopback. Prints a table of requests/s and transfer rates.
#
#   server/httpd/testdata/wrk_vs_nginx.sh [DURATION] [CONNECTIONS] [ROUNDS]
#
# Defaults: 10s, 32 connections, 2 rounds (each round runs every case on
# both servers twice, A B B A, so drift of a busy machine hits both alike). Needs wrk and
# nginx (apt-get install wrk nginx-light), go, python3. Uses 127.0.9.6 with
# free ports; everything lives in a temp dir removed at exit.
set -euo pipefail
DUR=${1:-10s}
CONNS=${2:-32}
ROUNDS=${3:-2}
THREADS=2
IP=127.0.9.6
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
for t in wrk nginx go python3; do
	command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || { echo "missing $t"; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

W=$(mktemp -d /tmp/gofdfs-wrk.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT INT TERM

freeport() { python3 -c "import socket;s=socket.socket();s.bind(('$IP',0));print(s.getsockname()[1])"; }
TPORT=$(freeport); SPORT=$(freeport); HPORT=$(freeport); NPORT=$(freeport)

echo "building ..." >&2
(cd "$ROOT" && for t in fdfs_trackerd fdfs_storaged fdfs_upload_file; do go build -o "$W/$t" ./tools/$t; done)
mkdir -p "$W/tracker" "$W/storage" "$W/client" "$W/nginx"
cat >"$W/tracker.conf" <<EOF
bind_addr = $IP
port = $TPORT
base_path = $W/tracker
EOF
cat >"$W/storage.conf" <<EOF
group_name = group1
bind_addr = $IP
port = $SPORT
base_path = $W/storage
store_path0 = $W/storage
tracker_server = $IP:$TPORT
http.server_port = $HPORT
EOF
cat >"$W/client.conf" <<EOF
base_path = $W/client
tracker_server = $IP:$TPORT
EOF
"$W/fdfs_trackerd" "$W/tracker.conf" start --foreground 2>"$W/trackerd.err" & pids+=($!)
"$W/fdfs_storaged" "$W/storage.conf" start --foreground 2>"$W/storaged.err" & pids+=($!)

head -c 4096 /dev/urandom >"$W/f4k.jpg"
head -c $((1 << 20)) /dev/urandom >"$W/f1m.mp4"
upload() {
	for _ in $(seq 1 120); do
		if id=$("$W/fdfs_upload_file" "$W/client.conf" "$1" 2>/dev/null); then echo "$id"; return; fi
		sleep 0.5
	done
	echo "upload failed; see $W/*.err" >&2; exit 1
}
ID4K=$(upload "$W/f4k.jpg")
ID1M=$(upload "$W/f1m.mp4")

# nginx serves the storage's data directory under the same URLs; its
# workers run as an unprivileged user, so they need to read the temp dir.
chmod 755 "$W"
chmod -R a+rX "$W/storage/data"
cat >"$W/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
	include /etc/nginx/mime.types;
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	keepalive_timeout 75s;
	client_body_temp_path $W/nginx/body;
	proxy_temp_path $W/nginx/proxy;
	fastcgi_temp_path $W/nginx/fastcgi;
	uwsgi_temp_path $W/nginx/uwsgi;
	scgi_temp_path $W/nginx/scgi;
	server {
		listen $IP:$NPORT;
		location /group1/M00/ { alias $W/storage/data/; }
	}
}
EOF
"$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" -g "daemon off;" 2>"$W/nginx.err" & pids+=($!)
for _ in $(seq 1 50); do
	curl -sf -o /dev/null "http://$IP:$NPORT/$ID4K" && curl -sf -o /dev/null "http://$IP:$HPORT/$ID4K" && break
	sleep 0.2
done
for u in "http://$IP:$NPORT/$ID1M" "http://$IP:$HPORT/$ID1M"; do
	cmp -s <(curl -sf "$u") "$W/f1m.mp4" || { echo "$u does not serve the file"; exit 1; }
done

# Server CPU from /proc: utime+stime (all threads) of our storage, and of
# nginx's master and workers, in clock ticks.
HZ=$(getconf CLK_TCK)
ticks() { # pid...
	local t=0 p a
	for p in "$@"; do
		read -r -a a <"/proc/$p/stat" || continue
		t=$((t + a[13] + a[14]))
	done
	echo $t
}
STORAGED_PID=${pids[1]}
NGINX_PID=${pids[2]}
server_pids() { # name
	if [ "$1" = nginx ]; then echo "$NGINX_PID" $(pgrep -P "$NGINX_PID"); else echo "$STORAGED_PID"; fi
}

# wrk prints "Requests/sec: N", "Transfer/sec: X" and "N requests in";
# keep them with the server's CPU microseconds per request.
run() { # name url
	local sp t0 t1 out rps tps p99 n
	sp=$(server_pids "${1%%-*}")
	t0=$(ticks $sp)
	out=$(wrk -t$THREADS -c"$CONNS" -d"$DUR" --latency "$2")
	t1=$(ticks $sp)
	rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	tps=$(awk '/Transfer\/sec/ {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	n=$(awk '/requests in/ {print $1}' <<<"$out")
	cpu=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.1f", d * 1e6 / hz / n}')
	echo "$1 $rps $tps $p99 $cpu"
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Each round runs A B B A (nginx, gofdfs, gofdfs, nginx) so a load change
# on the shared machine during the round hits both servers alike.
results=()
for r in $(seq 1 "$ROUNDS"); do
	for size in 4K 1M; do
		id=$ID4K; [ $size = 1M ] && id=$ID1M
		results+=("$(run "nginx-$size" "http://$IP:$NPORT/$id")")
		results+=("$(run "gofdfs-$size" "http://$IP:$HPORT/$id")")
		results+=("$(run "gofdfs-$size" "http://$IP:$HPORT/$id")")
		results+=("$(run "nginx-$size" "http://$IP:$NPORT/$id")")
		echo "round $r $size done" >&2
	done
done

echo
echo "load average before / after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg) (numbers under load are noisy)"
echo "wrk -t$THREADS -c$CONNS -d$DUR, $ROUNDS rounds, loopback, $(nproc) CPUs; nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') sendfile on, worker_processes auto ($(nproc) workers, as many as our engine's event loops)"
printf '| %-6s | %-22s | %-22s | %-8s | %-22s | %-22s |\n' size "gofdfs req/s (per run)" "nginx req/s (per run)" "ratio" "transfer/s gofdfs / nginx" "CPU us/req gofdfs / nginx"
printf '|%s|%s|%s|%s|%s|%s|\n' -------- ------------------------ ------------------------ ---------- ------------------------ ------------------------
for size in 4K 1M; do
	g=$(printf '%s\n' "${results[@]}" | awk -v n="gofdfs-$size" '$1 == n {printf "%s%.0f", sep, $2; sep=" / "}')
	n=$(printf '%s\n' "${results[@]}" | awk -v n="nginx-$size" '$1 == n {printf "%s%.0f", sep, $2; sep=" / "}')
	ratio=$(printf '%s\n' "${results[@]}" | awk -v a="gofdfs-$size" -v b="nginx-$size" \
		'$1 == a {sa += $2} $1 == b {sb += $2} END {if (sb > 0) printf "%.2fx", sa / sb}')
	tg=$(printf '%s\n' "${results[@]}" | awk -v n="gofdfs-$size" '$1 == n {t = $3} END {print t}')
	tn=$(printf '%s\n' "${results[@]}" | awk -v n="nginx-$size" '$1 == n {t = $3} END {print t}')
	cg=$(printf '%s\n' "${results[@]}" | awk -v n="gofdfs-$size" '$1 == n {s += $5; k++} END {if (k) printf "%.1f", s / k}')
	cn=$(printf '%s\n' "${results[@]}" | awk -v n="nginx-$size" '$1 == n {s += $5; k++} END {if (k) printf "%.1f", s / k}')
	printf '| %-6s | %-22s | %-22s | %-8s | %-22s | %-22s |\n' "$size" "$g" "$n" "$ratio" "$tg / $tn" "$cg / $cn"
done
echo
echo "per run: req/s, p99 latency, server CPU us/request:"
printf '%s\n' "${results[@]}" | awk '{printf "  %-12s %10s %8s %6s\n", $1, $2, $4, $5}'
