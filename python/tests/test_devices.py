"""Devices as vLLM names them, membudget's names, errors that carry the C error name and
detail, and the environment variables working as in C."""
from __future__ import annotations

import pytest

import membudget
from membudget import mem_utils

from conftest import GiB


class TorchLikeDevice:
    """Looks like torch.device to the resolver (type name "device", type, index)."""

    def __init__(self, type_: str, index=None) -> None:
        self.type, self.index = type_, index


TorchLikeDevice.__name__ = "device"


@pytest.mark.parametrize("dev", ["cpu", "cpu:0", 0, "CPU", TorchLikeDevice("cpu"),
                                 membudget.Device("cpu", 0), None])
def test_cpu_forms_measure_cpu0(machine, dev) -> None:
    s = mem_utils.MemorySnapshot(device=dev)
    assert s._mb.name == "cpu:0" and s.total_memory == 16 * GiB
    assert "cpu_memory=" in repr(s)


def test_vllm_names_print_as_torch_does(clean_env) -> None:
    assert str(mem_utils.MemorySnapshot(device="cuda:1", auto_measure=False).device_) == "cuda:1"
    assert str(mem_utils.MemorySnapshot(device="cpu", auto_measure=False).device_) == "cpu"
    assert str(mem_utils.MemorySnapshot(device=TorchLikeDevice("cuda", 2),
                                        auto_measure=False).device_) == "cuda:2"


def test_hip_devices_print_rocm_memory(clean_env) -> None:
    s = mem_utils.MemorySnapshot(device="hip:0", auto_measure=False)
    assert "rocm_memory=0.0GiB" in repr(s)


def test_absent_gpu_fails_only_when_measured(machine) -> None:
    s = mem_utils.MemorySnapshot(device="cuda:0", auto_measure=False)
    with pytest.raises(membudget.NoDevice) as e:
        s.measure()
    assert e.value.name == "MB_ENODEV"
    assert "cuda:0" in str(e.value) and "cpu:0" in str(e.value)


@pytest.mark.parametrize("bad", ["cuda:x", "tpu:0", ":1", 1.5, True])
def test_bad_device_forms(clean_env, bad) -> None:
    with pytest.raises(membudget.InvalidArgument) as e:
        mem_utils.MemorySnapshot(device=bad, auto_measure=False)
    assert isinstance(e.value, ValueError)


def test_sysroot_variable_works_as_in_c(machine) -> None:
    machine.set(64 * GiB, 40 * GiB)
    assert membudget.get_cpu_memory() == 64 * GiB
    assert membudget.snapshot("cpu")[0].free_memory == 40 * GiB
    assert membudget.default_context().sysroot == str(machine.root)


def test_context_argument_wins(machine, tmp_path) -> None:
    from conftest import FakeMachine

    other = FakeMachine(tmp_path / "other")
    other.set(8 * GiB, 2 * GiB)
    with membudget.Context(sysroot=str(other.root), backends="cpu") as ctx:
        s = mem_utils.MemorySnapshot(device="cpu", context=ctx)
        assert s.total_memory == 8 * GiB
        assert membudget.get_cpu_memory() == 16 * GiB  # the default context is untouched


def test_unknown_backend_error_carries_c_name_and_detail(clean_env) -> None:
    clean_env.setenv("MEMBUDGET_BACKENDS", "cdua")
    membudget.reset_default_context()
    with pytest.raises(membudget.UnknownBackend) as e:
        membudget.devices()
    assert e.value.name == "MB_EUNKNOWNBACKEND" and e.value.code == -10
    assert "cdua" in e.value.detail and "cuda" in e.value.detail
    assert isinstance(e.value, membudget.Error)


def test_bad_sysroot_is_invalid_argument(clean_env, tmp_path) -> None:
    with pytest.raises(membudget.InvalidArgument) as e:
        membudget.Context(sysroot=str(tmp_path / "nowhere"))
    assert e.value.name == "MB_EINVAL" and "nowhere" in str(e.value)


def test_max_shared_memory_is_not_supported_on_a_cpu(machine) -> None:
    mem_utils.get_max_shared_memory_bytes.cache_clear()
    with pytest.raises(membudget.NotSupported) as e:
        membudget.get_max_shared_memory_bytes(0)
    assert e.value.name == "MB_ENOTSUP"


def test_release_under_pressure_is_false_off_an_integrated_gpu(machine, fake_allocator) -> None:
    fake_allocator.reserved = 4 * GiB
    assert membudget.release_device_memory_under_pressure("cpu", fake_allocator) is False
    assert membudget.release_device_memory_under_pressure("cuda:3") is False
    assert "empty_cache" not in fake_allocator.calls


def test_release_under_pressure_with_the_default_allocator(machine) -> None:
    """vLLM's signature takes the device alone: with no torch there is no cache to release."""
    assert membudget.release_device_memory_under_pressure("cpu") is False
    assert membudget.release_device_memory_under_pressure("cpu:0") is False


def test_resolution_follows_a_later_torch_import(clean_env) -> None:
    """The resolver's cache keys on whether torch is imported: a snapshot made after the
    engine imports torch gets a torch.device."""
    import sys
    import types

    first = mem_utils.MemorySnapshot(device="cuda:0", auto_measure=False).device_
    assert type(first) is membudget.Device

    class FakeTorchDevice:
        def __init__(self, spec: str) -> None:
            self.spec = spec

        def __str__(self) -> str:
            return self.spec

    torch = types.ModuleType("torch")
    torch.device = FakeTorchDevice
    clean_env.setitem(sys.modules, "torch", torch)
    later = mem_utils.MemorySnapshot(device="cuda:0", auto_measure=False).device_
    assert type(later) is FakeTorchDevice and str(later) == "cuda:0"
