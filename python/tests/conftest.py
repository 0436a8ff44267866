"""Shared fixtures: a fake machine (a sysroot whose /proc/meminfo a test rewrites), a
fake allocator with torch.accelerator's four methods, and a clean environment."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterator

import pytest

import membudget

GiB = 1 << 30
REPO = Path(__file__).resolve().parents[2]


class FakeMachine:
    """A sysroot with /proc/meminfo and /proc/self/status; set() rewrites meminfo in place
    (the library may keep the file open: it must read the new figures)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "proc" / "self").mkdir(parents=True)
        (root / "proc" / "self" / "status").write_text("Name:\tpytest\nVmRSS:\t    1024 kB\n")
        self.set(total=16 * GiB, available=16 * GiB)

    def set(self, total: int, available: int) -> None:
        path = self.root / "proc" / "meminfo"
        with open(path, "r+" if path.exists() else "w") as f:
            f.seek(0)
            f.truncate()
            f.write(f"MemTotal:       {total // 1024} kB\n"
                    f"MemFree:        {available // 1024} kB\n"
                    f"MemAvailable:   {available // 1024} kB\n"
                    "Buffers:               0 kB\nCached:                0 kB\n")


class FakeAllocator:
    """torch.accelerator's four methods over plain counters (bytes). reset_peak sets the
    peak to what is allocated; empty_cache gives the cache back (reserved = allocated)."""

    def __init__(self) -> None:
        self.allocated = 0
        self.peak = 0
        self.reserved = 0
        self.calls: Dict[str, int] = {}
        self.devices = []

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def memory_stats(self, device=None):
        self._count("memory_stats")
        self.devices.append(device)
        return {"allocated_bytes.all.current": self.allocated,
                "allocated_bytes.all.peak": self.peak}

    def memory_reserved(self, device=None) -> int:
        self._count("memory_reserved")
        return self.reserved

    def reset_peak_memory_stats(self, device=None) -> None:
        self._count("reset_peak_memory_stats")
        self.peak = self.allocated

    def empty_cache(self) -> None:
        self._count("empty_cache")
        self.reserved = self.allocated


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for var in list(os.environ):
        if var.startswith(("MEMBUDGET_", "VLLM_CPU_", "CPU_VISIBLE_")) and \
                var not in ("MEMBUDGET_LIBRARY", "MEMBUDGET_CLI"):
            monkeypatch.delenv(var)
    membudget.reset_default_context()
    yield monkeypatch
    membudget.reset_default_context()


@pytest.fixture
def machine(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> FakeMachine:
    """The process's default context reads a fake machine (MEMBUDGET_SYSROOT)."""
    m = FakeMachine(tmp_path / "root")
    clean_env.setenv("MEMBUDGET_SYSROOT", str(m.root))
    clean_env.setenv("MEMBUDGET_BACKENDS", "cpu")
    membudget.reset_default_context()
    return m


@pytest.fixture
def fake_allocator() -> FakeAllocator:
    return FakeAllocator()
