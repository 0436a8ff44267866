#!/usr/bin/env python3
"""tests/chart: the cluster's pictures (issue 17), one bar per rank with the limiting one
marked, each SVG checked against the same run's JSON: `merge` of `snapshot --json`
outputs here (test_cluster_pictures), and `plan --mpi` under mpirun when MB_MPIRUN is set
(test_pictures_mpi, only where the MPI adapter is built). The nodes are the made-up ones
of tests/fixtures/cluster. Helpers come from test_pictures.py.
"""
import json
import os
import re
import subprocess
import sys
import unittest

from test_pictures import (CLI, LLAMA, MODELS, SVG, WORK, by_class, fmt_size, run,
                           svg_checked)

NODES = os.path.join(os.path.dirname(MODELS), "cluster")  # tests/fixtures/cluster


def rank_parts(doc):
    """Each rank's parts from a cluster document (issue 17), and the rank to be marked."""
    bars, plans = [], all("plan" in r for r in doc["ranks"])
    for r in doc["ranks"]:
        total, used = r["total_memory"], r["used_memory"]
        if not plans:
            bars.append([("other", used), ("free", r["free_memory"])])
            continue
        p = r["plan"]
        kv = doc["num_blocks"] * p["block_bytes"]
        parts = [("other", used), ("non_kv", p["non_kv_memory"]),
                 ("cudagraph", p["cudagraph_memory"]), ("kv", kv),
                 ("unused", p["available_kv_cache_memory"] - kv)]
        parts = [(k, max(b, 0)) for k, b in parts]
        parts.append(("headroom", max(total - sum(b for _, b in parts), 0)))
        bars.append(parts)
    marked = doc["limiting_rank"] if plans else doc["totals"]["min_free_rank"]
    return bars, marked


class ClusterChecks(unittest.TestCase):
    """One bar per rank, the limiting one marked."""

    def check_doc(self, doc, svg):
        root = svg_checked(svg)
        bars, marked = rank_parts(doc)
        want = [(i, k, b) for i, parts in enumerate(bars) for k, b in parts if b > 0]
        got = [(int(r.get("data-bar")), r.get("data-part"), int(r.get("data-bytes")))
               for r in by_class(root, "rect", "part")]
        self.assertEqual(got, want)
        frames = by_class(root, "rect", "frame")
        self.assertEqual([int(f.get("data-bytes")) for f in frames],
                         [r["total_memory"] for r in doc["ranks"]])
        # the marked bar: outlined in red, named "limiting", and no other
        self.assertEqual([int(t.get("data-bar")) for t in by_class(root, "text", "limiting")],
                         [marked])
        self.assertEqual([i for i, f in enumerate(frames) if f.get("stroke") == "#c00000"],
                         [marked])
        for t in by_class(root, "text", "size"):
            self.assertEqual(t.text, fmt_size(int(t.get("data-bytes"))))
        names = [t.text for t in by_class(root, "text", "bar-name")]
        self.assertEqual(names, ["rank %d %s" % (r["rank"], r["host"]) for r in doc["ranks"]])
        return root


class ClusterPictures(ClusterChecks):
    """merge here; plan --mpi under mpirun in MpiPictures, its own CTest entry
    (test_pictures_mpi) where the MPI adapter is built."""

    def test_merge(self):
        docs = []
        for n in ("node-a", "node-b", "node-c"):
            p = run(["snapshot", "--json"], {"MEMBUDGET_SYSROOT": os.path.join(NODES, n),
                                             "MEMBUDGET_BACKENDS": "cpu"})
            f = os.path.join(WORK, "merge-%s.json" % n)
            with open(f, "wb") as out:
                out.write(p.stdout)
            docs.append(f)
        svg = os.path.join(WORK, "merge.svg")
        # the picture options may stand anywhere among the files
        doc = json.loads(run(["merge", docs[0], "--svg", svg, "--json"] + docs[1:]).stdout)
        self.assertEqual(doc["totals"]["min_free_rank"], 1)  # node-b: 15 GiB free
        self.check_doc(doc, svg)
        p = run(["merge", "--ascii"] + docs, {"COLUMNS": "80"})
        lines = p.stdout.decode().split("\n")
        bars = [l for l in lines if re.match(r"rank \d node-\w \[", l)]
        self.assertEqual(len(bars), 3)
        self.assertTrue(bars[1].endswith("] *"), bars[1])
        self.assertTrue(all(len(l) <= 80 for l in lines))
        p = run(["merge", "--json", "--chart"] + docs, check=False)
        self.assertEqual(p.returncode, 2)


class MpiPictures(ClusterChecks):
    def test_plan_mpi(self):
        svg = os.path.join(WORK, "plan-mpi.svg")
        args = ["plan", "--mpi", "--model", LLAMA, "--device", "cpu:0", "--max-model-len",
                "4096", "--non-kv-memory", "4GiB", "--json", "--svg", svg]
        cmd = [os.environ["MB_MPIRUN"], "--oversubscribe"]
        for i, n in enumerate(("node-a", "node-b", "node-c")):
            cmd += ([":"] if i else []) + ["-np", "1", "-x", "MEMBUDGET_SYSROOT=" +
                                           os.path.join(NODES, n), "-x",
                                           "MEMBUDGET_BACKENDS=cpu", CLI] + args
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["limiting_rank"], 1)  # node-b: the smallest device
        root = self.check_doc(doc, svg)
        self.assertEqual(root.find(SVG + "title").text, "llama-3.1-8b on 3 ranks")
        note = by_class(root, "text", "limiting-note")[0].text
        self.assertTrue(note.startswith("limiting (outlined): rank 1 (node-b, cpu:0)"), note)


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    if os.environ.get("MB_MPIRUN"):  # test_pictures_mpi: the mpirun case alone
        sys.argv[1:] = ["MpiPictures"]
    else:  # test_cluster_pictures: no mpirun here, and nothing skipped
        del MpiPictures
    unittest.main(verbosity=2)
