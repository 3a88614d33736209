#!/usr/bin/env python3
"""Shares of a daemon's CPU by what it was doing, from `perf script` output.

    perf record -F 4999 -g -p PID -o d.data -- sleep 5
    perf script -i d.data | python3 bench/testdata/perf_categories.py

Each sample goes to the first category whose pattern matches one of its
first three user-space frames, walking from the leaf: kernel frames and the
Go syscall wrappers are skipped, so a system call's kernel time counts for
the call that made it (the openat of a create, the write of a reply). What
matches nothing is "own code" or "runtime other", with its leaf frame listed.
BENCHMARKS.md ("Issue 13, fourth pass") uses it for ours and, with libc's
names, for the C daemons.
"""
import collections
import re
import sys

SKIP = re.compile(r'kernel\.kallsyms|internal/runtime/syscall|syscall\.(Raw)?Syscall'
                  r'|runtime\.(entersyscall|exitsyscall|reentersyscall)|^\S+ \[unknown\]')
CATEGORIES = [
    ('scheduler: Gosched + wakep (gnet empty poll)', r'runtime\.(gosched_m|goschedImpl)'),
    ('scheduler: park, findRunnable', r'runtime\.(findRunnable|stopm|park_m|schedule|mstart)'),
    ('sysmon', r'runtime\.sysmon'),
    ('GC, allocation', r'runtime\.(gcBgMarkWorker|gcDrain|bgsweep|bgscavenge|mallocgc|gcStart)'),
    ('openat (create, open)', r'openat|libc_open'),
    ('close', r'unix\.Close|syscall\.Close|unix\.close|__close'),
    ('fstat', r'unix\.Fstat|fstat'),
    ('pwrite (file data)', r'unix\.pwrite|unix\.Pwrite|pwritev'),
    ('link, rename', r'linkat|renameat|Linkat|Renameat|^rename'),
    ('socket read', r'gnet/v2\.\(\*conn\)\.processIO|unix\.read\b|unix\.Read\b|^read\b'),
    ('write (reply, binlog)', r'unix\.write\b|unix\.Write\b|os\.\(\*File\)\.Write|libc_write|unix\.writev'),
    ('epoll_wait', r'EpollWait|epollWait|epoll_wait|epoll_pwait|Polling'),
    ('epoll_ctl', r'epollCtl|epoll_ctl'),
    ('runtime timers, netpoll', r'runtime\.(netpoll|checkTimers|runtimer|nanotime)'),
]
RULES = [(n, re.compile(p)) for n, p in CATEGORIES]


def main():
    cats, leaves, total = collections.Counter(), collections.Counter(), 0

    def add(frames):
        nonlocal total
        if not frames:
            return
        total += 1
        user = [f for f in frames if not SKIP.search(f)]
        if not user:
            cats['kernel only'] += 1
            return
        for f in user[:3]:
            parts = f.split()
            sym = parts[1] if len(parts) > 1 else f
            for n, r in RULES:
                if r.search(sym):
                    cats[n] += 1
                    return
        sym = user[0].split()[1].split('+')[0]
        kind = 'runtime other' if sym.startswith('runtime.') else 'own code, libraries'
        cats[kind] += 1
        leaves[sym[:90]] += 1

    frames = []
    for line in sys.stdin:
        if not line.strip():
            add(frames)
            frames = []
        elif line[0] in ' \t':
            frames.append(line.strip())
    add(frames)
    if total == 0:
        sys.exit('no samples on stdin (pipe `perf script` into this)')
    print('samples', total)
    for k, v in cats.most_common():
        print('%6.1f%%  %s' % (100.0 * v / total, k))
    print('-- leaf frames of "own code" and "runtime other"')
    for k, v in leaves.most_common(15):
        print('%6.1f%%  %s' % (100.0 * v / total, k))


if __name__ == '__main__':
    main()
