#!/usr/bin/env python3
"""tests/chart: the pictures of `plan` and `snapshot` end to end.

Each SVG the command writes must be well-formed (xmllint --noout), render with rsvg-convert
to a PNG of the width the SVG states, and carry the JSON's figures: every part's bytes (a
data-bytes attribute) and its label (the text) are compared with the same run's --json
output, parsed here. A hostile model name is escaped. The terminal picture is driven
through a pseudo-terminal (util-linux `script`) at widths 40, 80 and 200, in a UTF-8 and in
the C locale and with --ascii; each part's length must be within one cell of its share.

Run by CTest with MB_CLI, MB_MODELS, MB_WORK and MB_DUMPS set (tests/chart/CMakeLists.txt);
the cluster's pictures (one bar per rank) are test_cluster_pictures.py's, with these helpers.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

CLI = os.environ["MB_CLI"]
MODELS = os.environ["MB_MODELS"]
WORK = os.environ["MB_WORK"]
DUMPS = os.environ["MB_DUMPS"]
SVG = "{http://www.w3.org/2000/svg}"
LLAMA = os.path.join(MODELS, "llama-3.1-8b.config.json")
QWEN = os.path.join(MODELS, "qwen2.5-7b.config.json")
G, M, K = 2.0**30, 2.0**20, 1024.0


def fmt_size(b):
    """The chart's size rule (tools/chart/chart.h): GiB from 1 GiB with 2 decimals, ..."""
    if b >= G - 0.005 * G:
        return "%.2f GiB" % (b / G)
    if b >= M - 0.05 * M:
        return "%.1f MiB" % (b / M)
    if b >= K - 0.05 * K:
        return "%.1f KiB" % (b / K)
    return "%d B" % b


def parse_size(text):
    """'73.55 GiB' -> (bytes, half a unit of the last digit): what the label says."""
    m = re.fullmatch(r"(\d+(?:\.(\d+))?) (GiB|MiB|KiB|B)", text)
    assert m, "not a size: %r" % text
    unit = {"GiB": G, "MiB": M, "KiB": K, "B": 1}[m.group(3)]
    decimals = len(m.group(2) or "")
    return float(m.group(1)) * unit, 0.5 * unit * 10.0**-decimals


def run(args, env=None, check=True):
    e = dict(os.environ)
    e.pop("COLUMNS", None)
    e.update(env or {})
    p = subprocess.run([CLI] + args, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise AssertionError("membudget %s exited %d: %s" % (args, p.returncode, p.stderr))
    return p


def plan_parts(j):
    """The parts the plan's picture must show, in order, from its JSON figures alone."""
    total, used = j["device"]["total_memory"], j["device"]["used_memory"]
    parts = [("other", used)]
    if j["non_kv_source"] == "weights":
        parts.append(("weights", j["non_kv_memory"]))
    elif j["non_kv_source"] == "option":
        parts.append(("non_kv", j["non_kv_memory"]))
    elif j["non_kv_source"] == "estimated":  # issue 15: the parts behind the figure
        est = [(k, j["estimate"][key]["bytes"]) for k, key in ESTIMATED]
        assert sum(b for _, b in est) == j["non_kv_memory"], (est, j["non_kv_memory"])
        parts += est
    parts.append(("cudagraph", j["cudagraph_memory"]))
    parts.append(("kv", j["kv_cache_bytes"]))
    parts.append(("unused", j["available_kv_cache_memory"] - j["kv_cache_bytes"]))
    parts = [(k, max(b, 0)) for k, b in parts]
    rest = total - sum(b for _, b in parts)
    explicit = j["non_kv_source"] == "not used"
    parts.append(("free" if explicit else "headroom", max(rest, 0)))
    return total, parts


ESTIMATED = [("weights", "weights_memory"), ("activation", "activation_peak"),
             ("non_torch", "non_torch_memory")]


def plan_ranges(j):
    """The ranges the picture must draw as whiskers: the estimate's, from the JSON."""
    if "estimate" not in j:
        return {}
    e, r = j["estimate"], {}
    keys = ESTIMATED if j["non_kv_source"] == "estimated" else []
    if j["cudagraph_source"] == "estimated" and e["cudagraph_charged"]:
        keys = keys + [("cudagraph", "cudagraph_memory")]
    for k, key in keys:
        if e[key]["low"] < e[key]["high"]:
            r[k] = (min(e[key]["low"], e[key]["bytes"]), max(e[key]["high"], e[key]["bytes"]))
    if j["kv_cache_tokens"] > 0 and j.get("kv_cache_tokens_low") is not None:
        per = j["kv_cache_bytes"] // j["kv_cache_tokens"]
        lo, hi = j["kv_cache_tokens_low"] * per, j["kv_cache_tokens_high"] * per
        if lo < hi:
            r["kv"] = (min(max(lo, 0), j["kv_cache_bytes"]), max(hi, j["kv_cache_bytes"]))
    return r


def xmllint(path):
    p = subprocess.run(["xmllint", "--noout", path], stderr=subprocess.PIPE)
    assert p.returncode == 0, "xmllint: %s: %s" % (path, p.stderr.decode(errors="replace"))


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    return struct.unpack(">II", head[16:24])


def svg_checked(path):
    """Well-formed, renders at its stated width; returns the parsed tree."""
    xmllint(path)
    root = ET.parse(path).getroot()
    width, height = float(root.get("width")), float(root.get("height"))
    out = path + ".rsvg.png"
    p = subprocess.run(["rsvg-convert", "-o", out, path], stderr=subprocess.PIPE)
    assert p.returncode == 0 and not p.stderr, "rsvg-convert %s: %s" % (path, p.stderr)
    assert png_size(out) == (int(width), int(round(height))), (png_size(out), width, height)
    p = subprocess.run(["rsvg-convert", "-w", "600", "-o", out, path], stderr=subprocess.PIPE)
    assert p.returncode == 0 and png_size(out)[0] == 600
    return root


def by_class(root, tag, cls):
    return [e for e in root.iter(SVG + tag) if e.get("class") == cls]


class SvgMatchesJson(unittest.TestCase):
    def plan_case(self, name, args):
        svg = os.path.join(WORK, name + ".svg")
        png = os.path.join(WORK, name + ".png")
        for f in (svg, png):
            if os.path.exists(f):
                os.remove(f)
        p = run(["plan", "--model", LLAMA] + args + ["--json", "--svg", svg, "--png", png])
        j = json.loads(p.stdout)  # --json stays JSON only: the picture went to the files
        total, parts = plan_parts(j)
        root = svg_checked(svg)
        drawn = [(k, b) for k, b in parts if b > 0]
        rects = by_class(root, "rect", "part")
        self.assertEqual([(r.get("data-part"), int(r.get("data-bytes"))) for r in rects], drawn)
        frame = by_class(root, "rect", "frame")[0]
        self.assertEqual(int(frame.get("data-bytes")), total)
        # the geometry: each part's width is its share of the frame (SVG keeps 2 decimals)
        fw = float(frame.get("width"))
        x = float(frame.get("x"))
        for r, (_, b) in zip(rects, drawn):
            self.assertAlmostEqual(float(r.get("x")), x, delta=0.02)
            self.assertAlmostEqual(float(r.get("width")), fw * b / total, delta=0.02)
            x += float(r.get("width"))
        # the table: label text and number equal the JSON's figure
        sizes = by_class(root, "text", "size")
        self.assertEqual([(t.get("data-part"), int(t.get("data-bytes"))) for t in sizes], drawn)
        for t, (_, b) in zip(sizes, drawn):
            self.assertEqual(t.text, fmt_size(b))
            value, tol = parse_size(t.text)
            self.assertLessEqual(abs(value - b), tol)
        tot = by_class(root, "text", "total")[0]
        self.assertEqual(tot.text, fmt_size(total))
        self.assertEqual(int(tot.get("data-bytes")), total)
        # the ranges: a whisker per ranged part, with the JSON's figures, and the range text
        ranges = plan_ranges(j)
        got = {r.get("data-part"): (int(r.get("data-low")), int(r.get("data-high")))
               for r in rects if r.get("data-low") is not None}
        self.assertEqual(got, ranges)
        whiskers = {w.get("data-part"): (int(w.get("data-low")), int(w.get("data-high")))
                    for w in by_class(root, "line", "whisker")}
        self.assertEqual(whiskers, ranges)
        for t in by_class(root, "text", "range"):
            lo, hi = ranges[t.get("data-part")]
            m = re.fullmatch(r"([\d.]+)\u2013([\d.]+) (GiB|MiB)", t.text)
            self.assertTrue(m, t.text)
            unit = G if m.group(3) == "GiB" else M
            # half the printed step; a figure exactly on the step's half rounds either way,
            # so allow float error there (79.19 GiB totals make such figures)
            half = 0.5 * unit * (0.01 if unit == G else 0.1) * (1 + 1e-9)
            self.assertLessEqual(abs(float(m.group(1)) * unit - lo), half)
            self.assertLessEqual(abs(float(m.group(2)) * unit - hi), half)
        self.assertEqual(len(by_class(root, "text", "range")), len(ranges))
        # every part's tooltip names it with its size
        for r, (k, b) in zip(rects, drawn):
            self.assertIn(fmt_size(b), r.find(SVG + "title").text)
        # the title names the model and the device
        self.assertTrue(root.find(SVG + "title").text.startswith(
            os.path.basename(LLAMA).replace(".config.json", "") + " on "))
        if "estimate" not in j:
            self.assertEqual(by_class(root, "line", "whisker"), [])
        # the PNG is the same picture's size
        w, h = png_size(png)
        self.assertEqual((w, h), (600, int(round(float(root.get("height"))))))
        return j, root

    def test_plan_weights_and_headroom(self):
        j, _ = self.plan_case("plan-weights", ["--total-memory", "80GiB", "--free-memory",
                                               "76GiB", "--weights-memory", "16060522496"])
        self.assertEqual(j["non_kv_source"], "weights")
        self.assertTrue(j["startup_ok"])

    def test_plan_non_kv_and_graphs(self):
        self.plan_case("plan-nonkv", ["--total-memory", "24GiB", "--non-kv-memory", "15GiB",
                                      "--max-model-len", "8192", "--cudagraph-captures",
                                      "512MiB,2MiB"])

    def test_plan_explicit_kv(self):
        self.plan_case("plan-explicit", ["--total-memory", "40GiB", "--kv-cache-memory-bytes",
                                         "10GiB", "--max-model-len", "8192"])

    def test_plan_estimate_with_ranges(self):
        # issue 15's estimate: weights, activation peak, non-torch and CUDA graphs with
        # their ranges, the device named by --gpu
        j, root = self.plan_case("plan-estimate", ["--gpu", "H100"])
        self.assertEqual(j["non_kv_source"], "estimated")
        self.assertTrue(plan_ranges(j))
        self.assertEqual(root.find(SVG + "title").text,
                         "llama-3.1-8b on " + j["estimate"]["device"])

    def test_plan_kv_groups(self):
        # issue 14: a hybrid model's KV-cache groups share one pool; the label counts them
        global LLAMA
        saved, LLAMA = LLAMA, os.path.join(MODELS, "gemma-3-12b-it.config.json")
        try:
            j, root = self.plan_case("plan-groups", ["--total-memory", "80GiB",
                                                     "--weights-memory", "24GiB"])
        finally:
            LLAMA = saved
        kinds = [g["kind"].split("_")[0] for g in j["kv_cache_groups"]]
        self.assertGreater(len(set(kinds)), 1)
        want = "KV cache (%s)" % ", ".join(
            "%d %s" % (kinds.count(k), k) for k in dict.fromkeys(kinds))
        labels = [t.text for t in by_class(root, "text", "label") if t.get("data-part") == "kv"]
        self.assertEqual(labels, [want])

    def test_plan_that_does_not_start(self):
        # other tenants hold more than 1 - utilization: the parts overflow the frame
        j, root = self.plan_case("plan-over", ["--total-memory", "80GiB", "--free-memory",
                                               "60GiB", "--non-kv-memory", "20GiB"])
        self.assertFalse(j["startup_ok"])
        self.assertTrue(by_class(root, "line", "over"), "the frame's end is not marked")

    def test_snapshot_two_devices(self):
        svg = os.path.join(WORK, "snapshot.svg")
        env = {"MEMBUDGET_SYSROOT": os.path.join(DUMPS, "32amd64-4s2n4c-cgroup")}
        j = json.loads(run(["snapshot", "--json", "--svg", svg], env).stdout)
        root = svg_checked(svg)
        want = []
        for i, s in enumerate(j["snapshots"]):
            want += [(i, "other", s["used_memory"]), (i, "free", s["free_memory"])]
        self.assertGreaterEqual(len(j["snapshots"]), 2)
        got = [(int(r.get("data-bar")), r.get("data-part"), int(r.get("data-bytes")))
               for r in by_class(root, "rect", "part")]
        self.assertEqual(got, [w for w in want if w[2] > 0])
        sizes = by_class(root, "text", "size")
        self.assertEqual(len(sizes), len([w for w in want if w[2] > 0]))
        for t in sizes:
            b = int(t.get("data-bytes"))
            self.assertEqual(t.text, fmt_size(b))
        names = [t.text for t in by_class(root, "text", "bar-name")]
        self.assertEqual(names, [s["device"] for s in j["snapshots"]])

    def test_hostile_model_name(self):
        raw = b'evil "q" <b>&amp; \'a\' \xff\xfe \x1b[31m\x07 end'
        folder = os.path.join(WORK.encode(), b"hostile", raw)
        if os.path.exists(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        shutil.copy(LLAMA, os.path.join(folder, b"config.json"))
        svg = os.path.join(WORK, "hostile.svg")
        e = dict(os.environ)
        p = subprocess.run([CLI.encode(), b"plan", b"--model", folder, b"--total-memory",
                            b"80GiB", b"--json", b"--svg", svg.encode()], env=e,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(svg, "rb") as f:
            text = f.read()
        text.decode("utf-8")  # valid UTF-8, or this raises
        self.assertNotIn(b"<b>", text)
        self.assertNotIn(b"\x1b", text)
        self.assertNotIn(b"\x07", text)
        self.assertIn(b"&lt;b&gt;&amp;amp;", text)
        self.assertIn(b"&quot;q&quot;", text)
        root = svg_checked(svg)
        # each bad byte and each control character is one U+FFFD
        want = 'evil "q" <b>&amp; \'a\' \ufffd\ufffd \ufffd[31m\ufffd end on a device of 80.00 GiB'
        self.assertEqual(root.find(SVG + "title").text, want)
        self.assertEqual(by_class(root, "text", "title")[0].text, want)


ANSI = re.compile(r"\x1b\[[0-9;]*m")
GLYPHS = {"unicode": {"other": "\u259a", "weights": "\u2593", "non_kv": "\u259e",
                      "cudagraph": "\u2584", "kv": "\u2588", "unused": "\u2581",
                      "headroom": "\u00b7", "free": " "},
          "ascii": {"other": "o", "weights": "W", "non_kv": "n", "cudagraph": "G", "kv": "K",
                    "unused": "u", "headroom": ".", "free": " "}}


def on_pty(args, cols, env, columns=None):
    """Runs membudget on a pseudo-terminal of cols columns (COLUMNS=columns when given: the
    shell `script` starts sets COLUMNS from the terminal itself); returns its lines."""
    e = dict(os.environ)
    # the runner's terminal settings are not this test's: a colour terminal, a plain shell
    # for `script`, no NO_COLOR unless the test sets it
    for k in ("COLUMNS", "NO_COLOR"):
        e.pop(k, None)
    e.update({"TERM": "xterm-256color", "SHELL": "/bin/sh"})
    e.update(env)
    cmd = "stty cols %d rows 100; exec env %s %s" % (
        cols, "COLUMNS=%d" % columns if columns else "-u COLUMNS",
        " ".join("'%s'" % a for a in [CLI] + args))
    p = subprocess.run(["script", "-q", "-e", "-c", cmd, "/dev/null"], env=e,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    out = p.stdout.decode("utf-8", errors="strict")
    return p.returncode, out.replace("\r\n", "\n").split("\n")


class TerminalBar(unittest.TestCase):
    ARGS = ["plan", "--model", LLAMA, "--total-memory", "80GiB", "--free-memory", "76GiB",
            "--non-kv-memory", "17GiB", "--cudagraph-captures", "900MiB,3MiB"]

    def check_bar(self, cols, mode, env, extra=()):
        rc, lines = on_pty(self.ARGS + list(extra), cols, env)
        self.assertEqual(rc, 0, lines)
        j = json.loads(run(self.ARGS + ["--json"]).stdout)
        total, parts = plan_parts(j)
        plain = [ANSI.sub("", l) for l in lines]
        start = plain.index("") + 1  # the picture follows the text after a blank line
        pic = plain[start:]
        for l in pic:
            self.assertLessEqual(len(l), cols, "wider than the terminal: %r" % l)
            if mode == "ascii":
                self.assertTrue(all(ord(ch) < 128 for ch in l), l)
        self.assertTrue(pic[0].startswith("llama-3.1-8b on a device of 80.00 GiB"[:cols - 1]))
        left, right = ("[", "]") if mode == "ascii" else ("\u2502", "\u2502")
        bar = next(l for l in pic if l.startswith("what-if "))
        inner = bar[bar.index(left) + 1:bar.rindex(right)]
        cells = len(inner)
        self.assertEqual(len(bar), cols)  # the bar takes the terminal's whole width
        scale = max(total, sum(b for _, b in parts))
        for kind, b in parts:
            n = inner.count(GLYPHS[mode][kind])
            exact = b * cells / scale
            self.assertLess(abs(n - exact), 1.0, "%s: %d cells for %.2f at width %d (%s)"
                            % (kind, n, exact, cols, mode))
            # and the part is one run, in the plan's order
            if n:
                run_ = GLYPHS[mode][kind] * n
                self.assertIn(run_, inner)
        # the table says each drawn part's size
        table = "\n".join(pic)
        for kind, b in parts:
            if b > 0:
                self.assertIn(fmt_size(b), table)
        return lines

    def test_widths_unicode(self):
        for cols in (40, 80, 200):
            lines = self.check_bar(cols, "unicode", {"LC_ALL": "C.UTF-8"})
            # a terminal gets colour unless NO_COLOR
            self.assertTrue(any("\x1b[38;5;" in l for l in lines))

    def test_widths_c_locale(self):
        for cols in (40, 80, 200):
            self.check_bar(cols, "ascii", {"LC_ALL": "C"})

    def test_widths_ascii_option(self):
        for cols in (40, 80, 200):
            lines = self.check_bar(cols, "ascii", {"LC_ALL": "C.UTF-8", "NO_COLOR": "1"},
                                   ["--ascii"])
            self.assertFalse(any("\x1b" in l for l in lines))

    def test_columns_variable(self):
        rc, lines = on_pty(self.ARGS, 200, {"LC_ALL": "C.UTF-8"}, columns=50)
        bar = next(ANSI.sub("", l) for l in lines if l.startswith("what-if "))
        self.assertEqual(len(bar), 50)

    def test_never_inside_json(self):
        rc, lines = on_pty(self.ARGS + ["--json"], 80, {"LC_ALL": "C.UTF-8"})
        self.assertEqual(rc, 0)
        json.loads("\n".join(lines))  # nothing but the JSON, though stdout is a terminal
        p = run(self.ARGS + ["--json", "--chart"], check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"--json", p.stderr)

    def test_pipe_without_chart(self):
        p = run(self.ARGS)
        self.assertNotIn(b"what-if |", p.stdout)
        self.assertNotIn("\u2502".encode(), p.stdout)
        p = run(self.ARGS + ["--chart"], {"LC_ALL": "C"})
        self.assertIn(b"what-if [", p.stdout)
        self.assertNotIn(b"\x1b", p.stdout)  # no colour off a terminal

    def test_snapshot_on_pty(self):
        env = {"LC_ALL": "C.UTF-8", "MEMBUDGET_SYSROOT": os.path.join(DUMPS,
                                                                      "32amd64-4s2n4c-cgroup")}
        rc, lines = on_pty(["snapshot"], 60, env)
        self.assertEqual(rc, 0)
        bars = [ANSI.sub("", l) for l in lines if re.match(r"cpu:\d \u2502", ANSI.sub("", l))]
        self.assertGreaterEqual(len(bars), 2)
        for b in bars:
            self.assertEqual(len(b), 60)

    def test_bad_files(self):
        p = run(self.ARGS + ["--svg", "/no/such/dir/x.svg"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"/no/such/dir/x.svg", p.stderr)
        p = run(self.ARGS + ["--png", "/no/such/dir/x.png"], check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"/no/such/dir/x.png", p.stderr)
        p = run(self.ARGS + ["--svg"], check=False)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    unittest.main(verbosity=2)
