#!/usr/bin/env python3
"""tests/ops/cli_check.py: the operator commands end to end (issue 18).

  metrics   `membudget metrics` passes `promtool check metrics`, --textfile writes
            DIR/membudget.prom atomically (no temporary left), and the figures are this
            machine's (membudget_device_total_bytes == the snapshot's total).
  processes `membudget processes --json` lists the membudget process itself.
  watch     JSON lines until SIGTERM / SIGINT (exit 0), and exit 0 when its reader goes
            away (SIGPIPE).
  serve     refuses a non-loopback address; a real Prometheus server scrapes it and its
            query for membudget_device_total_bytes returns this machine's total; the
            server survives 1,000 malformed requests and a slow client.
Every wait is bounded. A missing promtool or prometheus is a failure, not a skip
(ci/setup.sh installs Debian's prometheus).
"""
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

CLI = sys.argv[2]
WHAT = sys.argv[1]
ENV = dict(os.environ, MEMBUDGET_BACKENDS="cpu")


STARTED = []  # servers and watchers this run started: none outlives it, pass or fail


@atexit.register
def _reap():
    for p in STARTED:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(*args, **kw):
    return subprocess.run([CLI, *args], env=ENV, capture_output=True, text=True, timeout=60,
                          **kw)


def snapshot_total():
    r = run("snapshot", "--json")
    if r.returncode:
        fail("snapshot --json: " + r.stderr)
    d = json.loads(r.stdout)
    devs = d["snapshots"]
    return {x["device"]: x["total_memory"] for x in devs}


def promtool(path):
    tool = shutil.which("promtool")
    if not tool:
        fail("promtool not found: apt-get install prometheus (ci/setup.sh does)")
    r = subprocess.run([tool, "check", "metrics"], stdin=open(path), capture_output=True,
                       text=True, timeout=60)
    if r.returncode:
        fail("promtool check metrics: " + r.stdout + r.stderr)


def samples(text, name):
    out = []
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            out.append((line[:line.rindex(" ")], float(line.rsplit(" ", 1)[1])))
    return out


def check_metrics():
    work = tempfile.mkdtemp(prefix="mb-metrics-")
    r = run("metrics")
    if r.returncode:
        fail("metrics: " + r.stderr)
    path = os.path.join(work, "out.prom")
    open(path, "w").write(r.stdout)
    promtool(path)
    totals = snapshot_total()
    got = samples(r.stdout, "membudget_device_total_bytes")
    if len(got) != len(totals):
        fail("membudget_device_total_bytes has %d series for %d devices" % (len(got), len(totals)))
    for labels, v in got:
        dev = labels.split('device="')[1].split('"')[0]
        if int(v) != totals[dev]:
            fail("%s total %d, snapshot says %d" % (dev, v, totals[dev]))
    if not samples(r.stdout, "membudget_process_device_bytes"):
        fail("no per-process series")
    # the textfile collector's file, written atomically
    r = run("metrics", "--textfile", work)
    if r.returncode:
        fail("metrics --textfile: " + r.stderr)
    names = sorted(os.listdir(work))
    if names != ["membudget.prom", "out.prom"]:
        fail("the textfile folder holds %s (a temporary left behind?)" % names)
    promtool(os.path.join(work, "membudget.prom"))
    r = run("metrics", "--textfile", os.path.join(work, "missing", "dir"))
    if r.returncode != 1 or "cannot create" not in r.stderr:
        fail("a missing textfile folder: rc %d, %s" % (r.returncode, r.stderr))
    shutil.rmtree(work)


def check_processes():
    r = run("processes", "--json")
    if r.returncode:
        fail("processes: " + r.stderr)
    d = json.loads(r.stdout)
    procs = [p for dev in d["devices"] for p in dev["processes"]]
    mine = [p for p in procs if p["name"] == "membudget" and p["readable"]]
    if not mine or not mine[0]["bytes"] or mine[0]["pid"] <= 0:
        fail("membudget does not list itself: %s" % mine)
    # gather copies what attribution reads; the dump lists the gathering process itself
    work = tempfile.mkdtemp(prefix="mb-gather-")
    r = run("gather", os.path.join(work, "d"))
    if r.returncode:
        fail("gather: " + r.stderr)
    if not open(os.path.join(work, "d/proc/self/ns/pid")).read().startswith("pid:["):
        fail("gather wrote no /proc/self/ns/pid")
    r = subprocess.run([CLI, "processes", "--json"], capture_output=True, text=True,
                       env=dict(ENV, MEMBUDGET_SYSROOT=os.path.join(work, "d")), timeout=60)
    d = json.loads(r.stdout)
    names = {p["name"] for dev in d["devices"] for p in dev["processes"] if p["bytes"]}
    if "membudget" not in names:
        fail("the dump's processes lack membudget: %s" % sorted(names)[:20])
    shutil.rmtree(work)
    r = run("processes", "--device", "cpu:9")
    if r.returncode != 1 or "cpu:9" not in r.stderr:
        fail("an unknown device: rc %d, %s" % (r.returncode, r.stderr))


def check_watch():
    for sig in (signal.SIGTERM, signal.SIGINT):
        p = subprocess.Popen([CLI, "watch", "--json", "--interval", "0.2"], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        STARTED.append(p)
        lines = [p.stdout.readline() for _ in range(3)]
        p.send_signal(sig)
        try:
            rc = p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            fail("watch did not end on %s" % sig.name)
        if rc != 0:
            fail("watch exited %d on %s: %s" % (rc, sig.name, p.stderr.read()))
        recs = [json.loads(x) for x in lines]
        if recs[0]["type"] != "start" or recs[1]["type"] != "snapshot":
            fail("watch records: %s" % [x["type"] for x in recs])
        if os.path.exists("/proc/pressure/memory") and recs[0]["mode"] != "psi-trigger":
            fail("watch is not on PSI triggers here: %s" % recs[0])
    # the reader goes away: SIGPIPE ignored, EPIPE ends it with 0
    r = subprocess.run("'%s' watch --interval 0.05 | head -n 2 >/dev/null; "
                       "exit ${PIPESTATUS[0]}" % CLI, shell=True, executable="/bin/bash",
                       env=ENV, timeout=30)
    if r.returncode != 0:
        fail("watch | head: exit %d" % r.returncode)
    r = run("watch", "--json", "--count", "2", "--interval", "0.05")
    if r.returncode or len(r.stdout.splitlines()) != 2:
        fail("watch --count 2: %d, %r" % (r.returncode, r.stdout))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path="/metrics", timeout=10):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
        return r.status, r.read().decode()


def get_retry(port, seconds=15):
    """GET /metrics, retried while connections that never ended still fill the server's
    per-address limit (they expire after its 5 s idle timeout)."""
    deadline = time.time() + seconds
    while True:
        try:
            return get(port, timeout=2)
        except OSError:
            if time.time() > deadline:
                fail("serve does not answer within %d s" % seconds)
            time.sleep(0.5)


def start_serve():
    p = subprocess.Popen([CLI, "serve", "--listen", "127.0.0.1:0"], env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    STARTED.append(p)
    line = p.stdout.readline()
    if not line.startswith("serving http://127.0.0.1:"):
        p.kill()
        fail("serve printed %r, stderr %s" % (line, p.stderr.read()))
    return p, int(line.rsplit(":", 1)[1].split("/")[0])


def stop_serve(p):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("serve did not end on SIGTERM")
    if rc != 0:
        fail("serve exited %d: %s" % (rc, p.stderr.read()))


def check_serve_refusals():
    r = run("serve", "--listen", "0.0.0.0:0")
    if r.returncode != 2 or "--allow-remote" not in r.stderr:
        fail("serve on 0.0.0.0 without --allow-remote: rc %d, %s" % (r.returncode, r.stderr))
    r = run("serve", "--listen", "localhost:80")
    if r.returncode != 2:
        fail("serve on a name: rc %d" % r.returncode)
    # a port another server holds is refused, not shared (no SO_REUSEPORT)
    p, port = start_serve()
    r = run("serve", "--listen", "127.0.0.1:%d" % port)
    stop_serve(p)
    if r.returncode != 1 or "is the port taken?" not in r.stderr:
        fail("a second serve on port %d: rc %d, %s" % (port, r.returncode, r.stderr))


def check_prometheus():
    exe = shutil.which("prometheus")
    if not exe:
        fail("prometheus not found: apt-get install prometheus (ci/setup.sh does)")
    p, port = start_serve()
    work = tempfile.mkdtemp(prefix="mb-prom-")
    prom_port = free_port()
    open(os.path.join(work, "prometheus.yml"), "w").write(
        "global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n"
        "scrape_configs:\n  - job_name: membudget\n    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n" % port)
    prom = subprocess.Popen([exe, "--config.file=" + os.path.join(work, "prometheus.yml"),
                             "--storage.tsdb.path=" + os.path.join(work, "data"),
                             "--web.listen-address=127.0.0.1:%d" % prom_port],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "log"), "w"))
    STARTED.append(prom)
    want = snapshot_total()
    result = None
    try:
        deadline = time.time() + 90
        while time.time() < deadline and not result:
            time.sleep(1)
            if prom.poll() is not None:
                fail("prometheus exited: " + open(os.path.join(work, "log")).read()[-2000:])
            q = urllib.parse.urlencode({"query": "membudget_device_total_bytes"})
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/query?%s"
                                            % (prom_port, q), timeout=5) as r:
                    d = json.loads(r.read())
            except OSError:
                continue
            if d.get("status") == "success" and d["data"]["result"]:
                result = d["data"]["result"]
    finally:
        prom.terminate()
        try:
            prom.wait(timeout=30)
        except subprocess.TimeoutExpired:
            prom.kill()
    if not result:
        fail("prometheus never got membudget_device_total_bytes: "
             + open(os.path.join(work, "log")).read()[-2000:])
    got = {x["metric"]["device"]: int(float(x["value"][1])) for x in result}
    if got != want:
        fail("prometheus says %s, the snapshot %s" % (got, want))
    meminfo = dict(l.split(":", 1) for l in open("/proc/meminfo"))
    memtotal = int(meminfo["MemTotal"].split()[0]) * 1024
    if len(got) == 1 and list(got.values())[0] != memtotal and \
            result[0]["metric"].get("source") == "proc-meminfo":
        fail("cpu:0 total %s is not MemTotal %d" % (got, memtotal))
    print("prometheus scraped membudget_device_total_bytes = %s" % got)
    shutil.rmtree(work, ignore_errors=True)
    stop_serve(p)


MALFORMED = [
    b"\x00\xff\xfe garbage\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /metrics HTTP/9.9\r\n\r\n",
    b"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n",
    b"GET /" + b"%" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"A: b\r\n" * 3000 + b"\r\n",
]


def rss(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    fail("no VmRSS for %d" % pid)


def check_abuse():
    p, port = start_serve()
    get(port)  # one scrape first, so the figure compared is the working size
    rss0 = rss(p.pid)
    t0 = time.time()
    answered = 0
    for i in range(1000):
        payload = MALFORMED[i % len(MALFORMED)]
        if i % 7 == 3:
            payload = os.urandom(64 + i % 512)
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.settimeout(0.3)  # an incomplete request gets no answer: give up on it
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            data = s.recv(65536)
            answered += data.startswith(b"HTTP/1.1 ")
        except OSError:
            pass  # a reset or silence is an acceptable answer to garbage
        finally:
            s.close()
        if p.poll() is not None:
            fail("serve died on malformed request %d (%r...)" % (i, payload[:40]))
    print("1000 malformed requests in %.1f s, %d answered with an HTTP status"
          % (time.time() - t0, answered))
    # Requests that never end (cases 0 and 10, random bytes) hold a connection until the
    # 5 s idle timeout, and the per-address limit (8) then turns new ones away: bounded
    # by design, so only part of the burst is answered.
    rss1 = rss(p.pid)
    if rss1 - rss0 > 64 << 20:
        fail("serve grew from %d to %d bytes resident over the burst" % (rss0, rss1))
    print("serve resident: %d KiB before, %d KiB after" % (rss0 >> 10, rss1 >> 10))
    # connections left waiting for the rest of a request expire after the idle timeout;
    # wait until none is left, so that what follows sees the server's full capacity
    get_retry(port)
    time.sleep(6)
    # a slow client holds a connection open, trickling bytes; others are still served and
    # the slow one is dropped after the idle timeout
    slow = socket.create_connection(("127.0.0.1", port), timeout=20)
    slow.sendall(b"GET /metr")
    status, body = get_retry(port)
    if status != 200 or "membudget_device_total_bytes" not in body:
        fail("no metrics while a slow client waits: %d" % status)
    t1 = time.time()
    try:
        data = slow.recv(100)
    except socket.timeout:
        fail("the slow client was not dropped within 20 s")
    except OSError:
        data = b""
    if data and not data.startswith(b"HTTP/1.1 4"):
        fail("the slow client got %r" % data[:60])
    if time.time() - t1 > 15:
        fail("the slow client was held %.1f s" % (time.time() - t1))
    slow.close()
    status, body = get(port)
    if status != 200 or p.poll() is not None:
        fail("serve does not answer after the abuse")
    # once recovered, each complete malformed request gets its HTTP error, one at a time
    expect = {2: b"505", 3: b"405", 4: b"405", 5: b"400", 7: b"414", 9: b"404", 11: b"431"}
    for k, code in expect.items():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(MALFORMED[k])
        data = s.recv(200)
        s.close()
        if not data.startswith(b"HTTP/1.1 " + code):
            fail("malformed request %d (%r...) answered %r, not %s"
                 % (k, MALFORMED[k][:30], data[:40], code.decode()))
    for path, code in (("/", 200), ("/nope", 404)):
        try:
            st, _ = get(port, path)
        except urllib.error.HTTPError as e:
            st = e.code
        if st != code:
            fail("%s answered %d, not %d" % (path, st, code))
    stop_serve(p)


if WHAT == "metrics":
    check_metrics()
    check_processes()
elif WHAT == "watch":
    check_watch()
elif WHAT == "serve":
    check_serve_refusals()
    check_prometheus()
    check_abuse()
else:
    fail("usage: cli_check.py metrics|watch|serve CLI")
print("ok: " + WHAT)
