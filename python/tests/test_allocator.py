"""The allocator contract: any object with torch.accelerator's four methods; a callback
that raises propagates as that exception (never read as success); torch is used only when
the engine imported it, and never imported by membudget."""
from __future__ import annotations

import subprocess
import sys
import types

import pytest

import membudget
from membudget import _core, mem_utils, mem_utils_v033

from conftest import GiB, FakeAllocator


class Boom(RuntimeError):
    pass


class Raising(FakeAllocator):
    def __init__(self, method: str, exc: BaseException) -> None:
        super().__init__()
        self.method, self.exc = method, exc

    def _count(self, name: str) -> None:
        super()._count(name)
        if name == self.method:
            raise self.exc


@pytest.mark.parametrize("method", ["memory_stats", "memory_reserved"])
def test_a_raising_stats_callback_propagates_from_measure(machine, method) -> None:
    alloc = Raising(method, Boom("allocator says no"))
    with pytest.raises(Boom, match="allocator says no"):
        mem_utils.MemorySnapshot(device="cpu", allocator=alloc)


@pytest.mark.parametrize("method", ["empty_cache", "reset_peak_memory_stats", "memory_stats"])
def test_a_raising_callback_propagates_from_profiling_begin(machine, method) -> None:
    base = mem_utils.MemorySnapshot(device="cpu", allocator=None)
    base.allocator = Raising(method, Boom(method))
    entered = False
    with pytest.raises(Boom, match=method):
        with mem_utils.memory_profiling(base):
            entered = True
    assert not entered


def test_a_raising_callback_propagates_from_profiling_end(machine) -> None:
    alloc = FakeAllocator()
    base = mem_utils_v033.MemorySnapshot(device="cpu", allocator=alloc)
    with pytest.raises(Boom):
        with mem_utils_v033.memory_profiling(base) as r:
            alloc.empty_cache = lambda: (_ for _ in ()).throw(Boom("late"))
    assert r.non_kv_cache_memory == 0  # nothing was computed from a failed end


def test_keyboard_interrupt_in_a_callback_is_not_success(machine) -> None:
    with pytest.raises(KeyboardInterrupt):
        mem_utils.MemorySnapshot(device="cpu", allocator=Raising("memory_stats",
                                                                  KeyboardInterrupt()))


def test_after_a_raising_callback_the_next_call_is_clean(machine) -> None:
    with pytest.raises(Boom):
        mem_utils.MemorySnapshot(device="cpu", allocator=Raising("memory_stats", Boom()))
    s = mem_utils.MemorySnapshot(device="cpu", allocator=FakeAllocator())
    assert s.total_memory == 16 * GiB


def test_an_object_without_the_four_methods_is_refused(machine) -> None:
    with pytest.raises(membudget.InvalidArgument, match="has no memory_reserved"):
        mem_utils.MemorySnapshot(device="cpu", allocator=types.SimpleNamespace(
            memory_stats=lambda d: {}, reset_peak_memory_stats=lambda d: None,
            empty_cache=lambda: None))


def test_missing_stats_keys_are_zero_and_the_device_is_passed(machine) -> None:
    class Sparse(FakeAllocator):
        def memory_stats(self, device=None):
            self.devices.append(device)
            return {}

    a = Sparse()
    a.reserved = GiB
    s = mem_utils_v033.MemorySnapshot(device="cpu", allocator=a)
    assert (s.torch_peak, s.torch_allocated, s.torch_memory) == (0, 0, GiB)
    assert str(a.devices[0]) == "cpu" and a.devices[0] == s.device_


def _fake_torch(ready: bool):
    torch = types.ModuleType("torch")
    acc = FakeAllocator()
    acc.is_available = lambda: ready
    acc.current_device_index = lambda: 0
    torch.accelerator = acc
    torch.cuda = types.SimpleNamespace(is_initialized=lambda: ready)
    return torch


def test_torch_accelerator_is_the_default_when_imported_and_initialised(clean_env) -> None:
    ctx = membudget.default_context()
    clean_env.setitem(sys.modules, "torch", _fake_torch(True))
    r = _core.resolve_device("cuda:0", ctx)
    assert _core.default_allocator(r) is sys.modules["torch"].accelerator
    cpu = _core.resolve_device("cpu", ctx)
    assert _core.default_allocator(cpu) is None  # the CPU has no torch allocator


def test_torch_not_initialised_is_not_used(clean_env) -> None:
    ctx = membudget.default_context()
    clean_env.setitem(sys.modules, "torch", _fake_torch(False))
    assert _core.default_allocator(_core.resolve_device("cuda:0", ctx)) is None


def test_membudget_never_imports_torch() -> None:
    code = ("import sys, membudget; s = membudget.MemorySnapshot(device='cpu');"
            "membudget.get_cpu_memory(); membudget.devices();"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
