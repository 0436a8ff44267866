"""The operator functions: devices(), backends(), snapshot(), kv_space(), plan() and
`python -m membudget`, each against the command's own JSON where it has one."""
from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import pytest

import membudget
from membudget import ops

from conftest import GiB, REPO

MODEL = REPO / "tests" / "fixtures" / "models" / "llama-3.1-8b.config.json"


def _cli_json(*args: str) -> dict:
    res = ops.run_cli([*args, "--json"])
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_devices_and_snapshot_match_the_command(machine) -> None:
    machine.set(32 * GiB, 20 * GiB)
    devs = membudget.devices()
    assert [d.name for d in devs] == ["cpu:0"]
    assert devs[0].total_memory == 32 * GiB and devs[0].platform == "cpu"
    snap = membudget.snapshot()
    assert len(snap) == 1 and snap[0].free_memory == 20 * GiB
    assert snap[0].source == "proc-meminfo" and snap[0].limit is None
    cli = _cli_json("snapshot")
    text = json.dumps(cli)
    assert str(20 * GiB) in text and str(32 * GiB) in text
    states = {b.name: b.state for b in membudget.backends()}
    assert states["cpu"] == "present" and states["cuda"] in ("excluded", "not built")


def test_kv_space_explicit_and_automatic(machine) -> None:
    auto = membudget.kv_space()
    assert not auto.explicit and auto.device == "cpu:0"
    assert auto.requested == math.ceil(16 * GiB * 0.92)  # vLLM's ceil(total x utilization)
    assert auto.resident == 1024 * 1024  # the fake machine's VmRSS
    assert auto.bytes == auto.requested - auto.resident
    machine_env = pytest.MonkeyPatch()
    try:
        machine_env.setenv("VLLM_CPU_KVCACHE_SPACE", "4")
        membudget.reset_default_context()
        k = membudget.kv_space()
        assert k.explicit and k.bytes == 4 * GiB
        machine_env.setenv("VLLM_CPU_KVCACHE_SPACE", "4.5")
        membudget.reset_default_context()
        with pytest.raises(membudget.EnvironmentValueError) as e:
            membudget.kv_space()
        assert e.value.name == "MB_EENV" and "4.5" in e.value.detail
    finally:
        machine_env.undo()


def test_plan_is_the_commands_json(clean_env) -> None:
    p = membudget.plan(MODEL, total_memory="80GiB", non_kv_memory="16GiB")
    doc = _cli_json("plan", "--model", str(MODEL), "--total-memory", "80GiB",
                    "--non-kv-memory", "16GiB")
    mine = p.to_dict()
    for d in (mine, doc):  # measured at two moments
        d["device"].pop("timestamp", None)
        d["device"].pop("repr", None)  # it prints the timestamp
    assert mine == doc
    names = {f.name for f in dataclasses.fields(p)} - {"extra", "keys"}
    for key in doc:  # every key of plan --json is a field or kept in extra
        assert key in names or key in p.extra, key
    required = {f.name for f in dataclasses.fields(p)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert required <= set(doc)
    assert list(mine) == list(doc)  # the command's order
    assert p.fits and p.num_blocks > 0 and p.kv_cache_tokens == p.num_blocks * p.block_size


def test_every_key_of_plan_json_is_a_field(clean_env) -> None:
    """With a named GPU the command prints its most keys (the estimate's too): the
    dataclass names each of them, none lands in ``extra``."""
    p = membudget.plan(MODEL, "H100", max_model_len=8192)
    assert p.extra == {}, sorted(p.extra)
    assert p.gpu is not None and p.kv_cache_groups and p.estimate is not None
    assert p.max_num_seqs and p.max_num_batched_tokens
    # issue 14: the backend vLLM picks on sm_90 and its CUDA-graph modes
    assert p.attention_backend == "FLASH_ATTN"
    assert p.cudagraph_modes is not None and p.cudagraph_modes["mode"] == "FULL_AND_PIECEWISE"
    assert p.cudagraph_modes["full"]["count"] > 0


def test_plan_flags_are_vllms(clean_env) -> None:
    p = membudget.plan(MODEL, total_memory="80GiB", max_model_len=8192,
                       tensor_parallel_size=2, enforce_eager=True, gpu_memory_utilization=0.8)
    assert p.max_model_len == 8192 and p.tensor_parallel_size == 2
    assert p.num_cudagraphs == 0 and p.gpu_memory_utilization == 0.8


def test_plan_refusals_raise_command_error(clean_env) -> None:
    with pytest.raises(membudget.CommandError, match="--max-num-seqs"):
        membudget.plan(MODEL, total_memory="80GiB", max_num_seqs=0)
    with pytest.raises(membudget.CommandError, match="unknown option '--no-such-flag'"):
        membudget.plan(MODEL, total_memory="80GiB", no_such_flag=3)


def test_plan_failures_carry_the_c_error_name(clean_env, tmp_path) -> None:
    with pytest.raises(membudget.CommandError) as e:
        membudget.plan(str(tmp_path / "missing" / "config.json"), total_memory="80GiB")
    assert (e.value.name, e.value.code) == ("MB_EIO", -5)
    with pytest.raises(membudget.CommandError) as e:
        membudget.plan(MODEL, total_memory="1GiB", non_kv_memory="16GiB")
    assert e.value.name == "MB_ERANGE"


def test_plan_on_a_device(machine) -> None:
    p = membudget.plan(MODEL, gpu="cpu", max_model_len=4096)
    assert p.device["device"] == "cpu:0"


def test_python_m_membudget_runs_the_command(machine) -> None:
    out = subprocess.run([sys.executable, "-m", "membudget", "devices", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "cpu:0" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "membudget", "frobnicate"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "frobnicate" in bad.stderr
