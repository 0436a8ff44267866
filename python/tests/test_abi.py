"""The import-time check: a library of another version, one that predates mb_version, one
that lacks a symbol, and mirrors that disagree with the header are each refused with a
message that says what is wrong and what to do."""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import membudget
from membudget import _abi

CC = shutil.which("cc") or shutil.which("gcc")


def _stub(tmp_path: Path, name: str, body: str) -> str:
    assert CC, "no C compiler (cc): pip install ./python needs one too"
    src = tmp_path / f"{name}.c"
    src.write_text(body)
    lib = tmp_path / f"lib{name}.so"
    subprocess.run([CC, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return str(lib)


def _import(env_extra: dict) -> subprocess.CompletedProcess:
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-c", "import membudget"], capture_output=True,
                          text=True, env=env)


def _refused(res: subprocess.CompletedProcess) -> str:
    assert res.returncode != 0
    assert "membudget._abi.LibraryMismatch" in res.stderr or \
        "LibraryMismatch" in res.stderr, res.stderr
    return res.stderr


def test_another_version_is_refused(tmp_path) -> None:
    lib = _stub(tmp_path, "other", 'const char *mb_version_string(void) { return "9.9.9"; }\n'
                                   "unsigned mb_version(void) { return 90909; }\n")
    err = _refused(_import({"MEMBUDGET_LIBRARY": lib}))
    assert "'9.9.9'" in err and membudget.library_version() in err
    assert "another major version" in err
    assert "MEMBUDGET_LIBRARY" in err


def test_an_older_library_of_the_same_major_is_refused(tmp_path) -> None:
    n = _abi.lib().mb_version()
    assert n % 10000 > 0, "this test needs a release after x.0.0 (the library is %d)" % n
    older = n - 1
    lib = _stub(tmp_path, "older",
                f'const char *mb_version_string(void) {{ return "{older // 10000}.'
                f'{older // 100 % 100}.{older % 100}"; }}\n'
                f"unsigned mb_version(void) {{ return {older}; }}\n")
    err = _refused(_import({"MEMBUDGET_LIBRARY": lib}))
    assert "an older library lacks fields" in err


def test_a_library_without_mb_version_is_refused(tmp_path) -> None:
    lib = _stub(tmp_path, "old", "int mb_context_probe(void *c) { return 0; }\n")
    err = _refused(_import({"MEMBUDGET_LIBRARY": lib}))
    assert "no mb_version()/mb_version_string()" in err


def test_a_library_lacking_symbols_is_refused(tmp_path) -> None:
    v = membudget.library_version()
    n = _abi.lib().mb_version()
    lib = _stub(tmp_path, "thin", f'const char *mb_version_string(void) {{ return "{v}"; }}\n'
                                  f"unsigned mb_version(void) {{ return {n}; }}\n")
    err = _refused(_import({"MEMBUDGET_LIBRARY": lib}))
    assert "does not export" in err and "mb_snapshot_measure" in err


def test_a_missing_library_is_refused(tmp_path) -> None:
    err = _refused(_import({"MEMBUDGET_LIBRARY": str(tmp_path / "libnothing.so.0")}))
    assert "cannot load" in err and "libnothing" in err


def test_a_mirror_that_disagrees_with_the_header_is_refused(tmp_path) -> None:
    layout = json.loads(_abi.layout_path().read_text())
    layout["structs"]["mb_snapshot"]["size"] += 8
    layout["structs"]["mb_device_info"]["fields"]["total_memory"] += 4
    bad = tmp_path / "layout.json"
    bad.write_text(json.dumps(layout))
    err = _refused(_import({"MEMBUDGET_LAYOUT": str(bad)}))
    assert "mb_snapshot is" in err and "mb_device_info.total_memory" in err


def test_every_mirror_has_the_headers_layout() -> None:
    layout = json.loads(_abi.layout_path().read_text())["structs"]
    assert set(layout) == {s.__name__ for s in _abi.STRUCTS}
    for s in _abi.STRUCTS:
        assert ctypes.sizeof(s) == layout[s.__name__]["size"], s.__name__
    assert len(_abi.STRUCTS) >= 10


def test_the_error_list_matches_the_library() -> None:
    lib = _abi.lib()
    for code, name in _abi.ERRORS.items():
        assert _abi.text(lib.mb_error_name(code)) == name
    assert membudget.errors.error_class(-16) is membudget.DoesNotFit
