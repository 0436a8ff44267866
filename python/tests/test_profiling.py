"""The profiling lifecycle: the seed's quantitative example reproduced exactly, by both
formulas, with a fake allocator on a fake machine whose /proc/meminfo the test rewrites
between measurements; and the built-in tracker on the real machine."""
from __future__ import annotations

import pytest

import membudget
from membudget import mem_utils, mem_utils_v033

from conftest import GiB

TOTAL = 16 * GiB


def _run_seed_example(mod, machine, alloc):
    """The seed's example: another tenant uses 1 GiB; the engine loads 2 GiB of weights and
    NCCL takes 0.5 GiB; during profiling the peak is 4 GiB of tensors and non-torch memory
    grows to 1 GiB; afterwards torch holds 3 GiB."""
    machine.set(TOTAL, TOTAL - 1 * GiB)  # before creating the engine: category 1 only
    baseline = mod.MemorySnapshot(device="cpu", allocator=alloc)

    alloc.allocated = alloc.reserved = 2 * GiB  # weights
    alloc.peak = 2 * GiB
    machine.set(TOTAL, TOTAL - (1 * GiB + 2 * GiB + GiB // 2))
    with mod.memory_profiling(baseline, weights_memory=2 * GiB) as result:
        assert alloc.calls["empty_cache"] == 1 and alloc.calls["reset_peak_memory_stats"] == 1
        assert result.before_profile.free_memory == TOTAL - int(3.5 * GiB)
        assert result.before_profile.torch_peak == 2 * GiB
        # the forward pass: 4 GiB of tensors at the peak, 3 GiB kept, a cache on top
        alloc.peak = 4 * GiB
        alloc.allocated = 3 * GiB
        alloc.reserved = 4 * GiB + GiB // 2
        machine.set(TOTAL, TOTAL - (1 * GiB + 3 * GiB + 1 * GiB))  # after empty_cache
    assert alloc.calls["empty_cache"] == 2
    assert alloc.reserved == 3 * GiB
    return baseline, result


def test_seed_example_seed_formula(machine, fake_allocator) -> None:
    baseline, r = _run_seed_example(mem_utils, machine, fake_allocator)
    assert baseline.non_torch_memory == 1 * GiB and baseline.cuda_memory == 1 * GiB
    assert r.torch_peak_increase == 2 * GiB
    assert r.non_torch_increase == 1 * GiB
    assert r.weights_memory == 2 * GiB
    assert r.non_kv_cache_memory == 5 * GiB
    assert r.after_profile.free_memory == 11 * GiB
    assert r.after_profile.torch_memory == 3 * GiB
    assert 0 <= r.profile_time < 60
    assert repr(r) == (
        f"Memory profiling takes {r.profile_time:.2f} seconds. Total non KV cache memory: "
        "5.0GiB; torch peak memory increase: 2.0GiB; non-torch forward increase memory: "
        "1.0GiB; weights memory: 2.0GiB.")


def test_seed_example_vllm_033_formula(machine, fake_allocator) -> None:
    baseline, r = _run_seed_example(mem_utils_v033, machine, fake_allocator)
    assert r.total_consumed == 4 * GiB  # 15 GiB free before creating, 11 GiB after
    assert r.after_profile.torch_allocated == 3 * GiB
    assert r.transient_peak_headroom == 1 * GiB  # peak 4 - allocated 3
    assert r.non_kv_cache_memory == 5 * GiB
    assert r.torch_peak_increase == 2 * GiB and r.non_torch_increase == 1 * GiB
    assert repr(r) == (
        f"Memory profiling takes {r.profile_time:.2f} seconds. Total non KV cache memory: "
        "5.0GiB; torch peak memory increase: 2.0GiB; total consumed (from mem_get_info): "
        "4.0GiB; weights memory: 2.0GiB.")


def test_top_level_names_are_the_seeds(machine) -> None:
    assert membudget.MemorySnapshot is mem_utils.MemorySnapshot
    assert membudget.mem_utils_for("0.33") is mem_utils_v033
    assert membudget.mem_utils_for("0.10.1") is mem_utils
    assert membudget.mem_utils_for("seed") is mem_utils
    with pytest.raises(membudget.InvalidArgument):
        membudget.mem_utils_for("latest")


def test_result_default_before_create_measures(machine) -> None:
    r = mem_utils.MemoryProfilingResult()
    assert r.before_create.total_memory == TOTAL
    assert r.before_profile.auto_measure is False and r.before_profile.total_memory == 0
    assert r.before_profile.device_ == r.before_create.device_


def test_no_allocator_gives_zero_torch_figures(machine) -> None:
    machine.set(TOTAL, 10 * GiB)
    s = mem_utils_v033.MemorySnapshot(device="cpu", allocator=None)
    assert (s.torch_peak, s.torch_allocated, s.torch_memory) == (0, 0, 0)
    assert s.cuda_memory == s.non_torch_memory == 6 * GiB
    s.measure()
    assert s.free_memory == 10 * GiB


def test_tracker_lifecycle_on_this_machine(clean_env) -> None:
    """The built-in tracker (mmap on the CPU here) drives the whole lifecycle."""
    t = membudget.Tracker("cpu")
    try:
        base = mem_utils_v033.MemorySnapshot(device="cpu", allocator=t)
        w = t.allocate(8 << 20)
        with mem_utils_v033.memory_profiling(base, weights_memory=8 << 20) as r:
            a = t.allocate(16 << 20)
            t.deallocate(a)
        assert r.torch_peak_increase == 16 << 20
        assert r.after_profile.torch_allocated == 8 << 20
        assert r.after_profile.torch_memory == 8 << 20  # the freed block went back
        assert r.transient_peak_headroom == 16 << 20
        t.deallocate(w)
        assert t.memory_allocated() == 0
    finally:
        t.close()


def test_tracker_refused_on_a_machine_dump(machine) -> None:
    with pytest.raises(membudget.ForeignSysroot) as e:
        membudget.Tracker("cpu")
    assert e.value.name == "MB_EFOREIGN"
    assert "MEMBUDGET_SYSROOT" in e.value.detail
