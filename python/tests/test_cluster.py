"""membudget.cluster.agree over a torch.distributed-style process group, simulated by
threads: one all-gather of bytes per agreement with the group's timeout (what
all_gather_into_tensor on a gloo group does), a plan per rank from `membudget plan`."""
from __future__ import annotations

import threading
from typing import Dict, List, Optional

import pytest

import membudget
from membudget import cluster

from conftest import GiB, REPO

MODEL = str(REPO / "tests" / "fixtures" / "models" / "llama-3.1-8b.config.json")


class Group:
    """A process group of world ranks: all_gather of equal-sized bytes, rank order."""

    def __init__(self, world: int, timeout: float) -> None:
        self.world = world
        self.slots: List[Optional[bytes]] = [None] * world
        self.barrier = threading.Barrier(world, timeout=timeout)

    def allgather_for(self, rank: int):
        def allgather(data: bytes, timeout: float) -> bytes:
            self.slots[rank] = data
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                missing = [r for r, s in enumerate(self.slots) if s is None]
                raise TimeoutError(f"no contribution from rank {missing} in {timeout} s")
            return b"".join(s or b"" for s in self.slots)
        return allgather


def run(world: int, plans: Dict[int, object], skip: int = -1, fail: int = -1,
        timeout: float = 5.0):
    g = Group(world, timeout)
    results: Dict[int, object] = {}

    def rank_main(r: int) -> None:
        if r == skip:
            return
        try:
            err = membudget.errors.Error("cuMemGetInfo failed: ECC", code=-7,
                                         detail="") if r == fail else None
            results[r] = cluster.agree(r, world, g.allgather_for(r), plan=plans.get(r),
                                       error=err, host=f"node{r}", timeout=timeout)
        except Exception as e:  # the test looks at it
            results[r] = e

    threads = [threading.Thread(target=rank_main, args=(r,)) for r in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture(scope="module")
def plans():
    # rank r plans a what-if device of 24 + 8r GiB
    return {r: membudget.plan(MODEL, total_memory=f"{24 + 8 * r}GiB", max_model_len=4096,
                              non_kv_memory="16GiB")
            for r in range(4)}


def test_four_ranks_agree_on_the_smallest(plans) -> None:
    res = run(4, plans)
    for r in range(4):
        a = res[r]
        assert isinstance(a, cluster.Agreement), a
        assert a.num_blocks == plans[0].num_blocks  # the oracle: rank 0's plan alone
        assert a.limiting_rank == 0
        assert a.limiting_host == "node0"
        assert a.why == "total memory"
        assert a.max_num_blocks == plans[3].num_blocks
        assert a.reason == res[0].reason
        assert a.total_memory == sum((24 + 8 * i) * GiB for i in range(4))


def test_a_failed_rank_fails_every_rank(plans) -> None:
    res = run(3, plans, fail=2)
    for r in range(3):
        e = res[r]
        assert isinstance(e, membudget.errors.Error), e
        assert e.code == -7
        assert "rank 2 (node2, no device) failed: cuMemGetInfo failed: ECC" in str(e)


def test_a_rank_that_never_comes_times_out_every_other(plans) -> None:
    res = run(3, plans, skip=1, timeout=0.5)
    assert 1 not in res
    for r in (0, 2):
        e = res[r]
        assert isinstance(e, membudget.errors.Error), e
        assert e.code == membudget._abi.CODES["MB_ETIMEOUT"]
        assert "no contribution from rank [1]" in str(e)


def test_a_short_gather_is_refused(plans) -> None:
    def short(data: bytes, timeout: float) -> bytes:
        return data  # one rank's bytes for a world of two
    with pytest.raises(membudget.errors.Error) as e:
        cluster.agree(0, 2, short, plan=plans[0])
    assert "not 2 x 512" in str(e.value)
