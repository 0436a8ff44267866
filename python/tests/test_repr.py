"""The reprs, character for character, against golden strings made from vLLM's own
classes (golden/vllm-0.33.0.json, by golden/gen_vllm033.py) and from the seed's classes
(golden/seed.json, by golden/gen_seed.py), for the same field values."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import membudget
from membudget import mem_utils, mem_utils_v033

GOLDEN = Path(__file__).resolve().parent / "golden"
SEED = json.loads((GOLDEN / "seed.json").read_text())
V033 = json.loads((GOLDEN / "vllm-0.33.0.json").read_text())

SNAP_SEED = ("torch_peak", "free_memory", "total_memory", "cuda_memory", "torch_memory",
             "non_torch_memory", "timestamp")
SNAP_033 = ("torch_peak", "torch_allocated") + SNAP_SEED[1:]
PROF_SEED = ("non_kv_cache_memory", "torch_peak_increase", "non_torch_increase",
             "weights_memory", "profile_time")
PROF_033 = PROF_SEED[:3] + ("total_consumed", "transient_peak_headroom") + PROF_SEED[3:]


def _snap(mod, names, case):
    s = mod.MemorySnapshot(**{k: case[k] for k in names}, device=case["membudget_device"],
                           auto_measure=False)
    s.auto_measure = case["auto_measure"]
    return s


def test_goldens_are_what_they_say() -> None:
    assert V033["vllm"] == "0.33.0"
    assert len(SEED["snapshots"]) == len(V033["snapshots"]) == 40
    assert len(SEED["profiles"]) == len(V033["profiles"]) == 20
    assert "class MemorySnapshot:" in SEED["classes"]["MemorySnapshot"]


@pytest.mark.parametrize("case", SEED["snapshots"], ids=lambda c: c["repr"][:40])
def test_seed_snapshot_repr(case) -> None:
    assert repr(_snap(mem_utils, SNAP_SEED, case)) == case["repr"]


@pytest.mark.parametrize("case", V033["snapshots"], ids=lambda c: c["repr"][:40])
def test_v033_snapshot_repr(case) -> None:
    assert repr(_snap(mem_utils_v033, SNAP_033, case)) == case["repr"]


@pytest.mark.parametrize("case", SEED["profiles"], ids=lambda c: c["repr"][:60])
def test_seed_profile_repr(case) -> None:
    base = mem_utils.MemorySnapshot(device=case["membudget_device"], auto_measure=False)
    r = mem_utils.MemoryProfilingResult(**{k: case[k] for k in PROF_SEED}, before_create=base)
    assert repr(r) == case["repr"]


@pytest.mark.parametrize("case", V033["profiles"], ids=lambda c: c["repr"][:60])
def test_v033_profile_repr(case) -> None:
    base = mem_utils_v033.MemorySnapshot(device=case["membudget_device"], auto_measure=False)
    r = mem_utils_v033.MemoryProfilingResult(**{k: case[k] for k in PROF_033},
                                             before_create=base)
    assert repr(r) == case["repr"]


@pytest.mark.parametrize("mod,golden", [(mem_utils, SEED), (mem_utils_v033, V033)])
def test_subtracting_two_devices_is_vllms_value_error(mod, golden) -> None:
    for row in golden["mismatch"]:
        a = mod.MemorySnapshot(device=row["a"], auto_measure=False)
        b = mod.MemorySnapshot(device=row["b"], auto_measure=False)
        with pytest.raises(ValueError) as e:
            a - b
        assert str(e.value) == row["message"]


def test_subtraction_is_field_by_field() -> None:
    a = mem_utils_v033.MemorySnapshot(1, 2, 30, 40, 5, 6, 7, 8.5, device="cpu",
                                      auto_measure=False)
    b = mem_utils_v033.MemorySnapshot(10, 20, 3, 4, 50, 60, 70, 0.5, device="cpu",
                                      auto_measure=False)
    d = a - b
    assert (d.torch_peak, d.torch_allocated, d.free_memory, d.total_memory, d.cuda_memory,
            d.torch_memory, d.non_torch_memory, d.timestamp) == (
        -9, -18, 27, 36, -45, -54, -63, 8.0)
    assert d.auto_measure is False and d.device_ == a.device_


def test_format_gib_is_pythons_round() -> None:
    for b in (0, 1 << 30, 3 << 28, -(1 << 29), int(2.675 * (1 << 30)), 1 << 50):
        assert membudget.format_gib(b) == f"{round(b / (1 << 30), 2)}"
    assert membudget.format_gib(1 << 30) == "1.0"
    assert membudget.format_gib(1 << 28) == "0.25"


def test_the_c_text_form_agrees_on_plain_values() -> None:
    """The C library's mb_snapshot_format gives the same text as the seed's repr for
    values whose timestamp both print alike."""
    import ctypes

    from membudget import _abi, _vllm

    s = mem_utils.MemorySnapshot(3 << 30, 12 << 30, 16 << 30, 4 << 30, 3 << 30, 1 << 30,
                                 12.5, device="cpu", auto_measure=False)
    buf = ctypes.create_string_buffer(512)
    c = _vllm.to_c(s)
    assert _abi.lib().mb_snapshot_format(ctypes.byref(c), buf, 512) > 0
    assert buf.value.decode() == repr(s)


def test_format_kib_and_mib_are_vllms() -> None:
    for b in (0, 1023, 1536, 5 << 20, -(3 << 19), 123456789):
        assert mem_utils.format_kib(b) == f"{round(b / 1024, 2)}"
        assert mem_utils_v033.format_mib(b) == f"{round(b / (1 << 20), 2)}"
