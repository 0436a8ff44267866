#!/usr/bin/env python3
"""bench/watch_idle.py: what an idle `membudget watch` costs (issue 18): wake-ups per
minute and CPU time with PSI triggers against the 1-second polling loop (the fallback,
and what vLLM's release_device_memory_under_pressure loop amounts to), both run side by
side for the same minute on the same machine. Writes a Markdown report.

Wake-ups are the context switches the kernel counted for the process
(/proc/<pid>/status voluntary_ctxt_switches + nonvoluntary_ctxt_switches: each return from
a sleep is one); CPU time is the run time in /proc/<pid>/schedstat (nanoseconds), or utime + stime from
/proc/<pid>/stat where schedstat is missing. Both are read after a
2-second warm-up (start-up and the first snapshot excluded) and at the end.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def counters(pid):
    sw = 0
    for line in open("/proc/%d/status" % pid):
        if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
            sw += int(line.split()[1])
    try:  # nanoseconds on a CPU (CONFIG_SCHED_INFO): finer than the tick counts
        cpu = int(open("/proc/%d/schedstat" % pid).read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return sw, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--command", default="bash ci/bench.sh")
    a = ap.parse_args()
    env = dict(os.environ, MEMBUDGET_BACKENDS="cpu")
    # a snapshot interval longer than the run: only pressure handling wakes the process
    runs = {
        "PSI triggers (some 150 ms, full 100 ms per 2 s)":
            [a.cli, "watch", "--json", "--interval", "86400"],
        "1-second polling loop (--poll --poll-interval 1)":
            [a.cli, "watch", "--json", "--interval", "86400", "--poll", "--poll-interval", "1"],
    }
    procs = {k: subprocess.Popen(v, env=env, stdout=subprocess.PIPE, text=True)
             for k, v in runs.items()}
    modes = {k: p.stdout.readline() for k, p in procs.items()}
    time.sleep(2)
    start = {k: counters(p.pid) for k, p in procs.items()}
    t0 = time.time()
    time.sleep(a.seconds)
    end = {k: counters(p.pid) for k, p in procs.items()}
    span = time.time() - t0
    for p in procs.values():
        p.terminate()
        p.wait(timeout=10)
    rows = []
    for k in runs:
        sw = end[k][0] - start[k][0]
        cpu = end[k][1] - start[k][1]
        mode = '"mode":"' in modes[k] and modes[k].split('"mode":"')[1].split('"')[0] or "?"
        rows.append("| %s | %s | %.1f | %.2f |" % (k, mode, sw * 60 / span, cpu * 60e3 / span))
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    kernel = platform.release()
    text = """# `membudget watch` idle: PSI triggers against polling

Produced by `{cmd}` (bench/watch_idle.py) on {date}, on the development machine (2-core
Debian 12 VM, no GPU, kernel {kernel}, shared with other jobs), both watchers side by side
for {span:.0f} s with no memory pressure and no snapshot due (`--interval 86400`). Counts are
per minute of wall time; CPU time is the time on a CPU from `/proc/<pid>/schedstat`.

| watcher | pressure mode | wake-ups per minute | CPU milliseconds per minute |
| --- | --- | ---: | ---: |
{rows}

A process on PSI triggers sleeps in `epoll_wait` until the kernel reports a stall over the
threshold; the polling loop wakes once per interval to read `/proc/pressure/memory`.
""".format(cmd=a.command, date=date, kernel=kernel, span=span, tick=TICK,
           rows="\n".join(rows))
    open(a.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
