"""Thread use: one context, many threads measuring and profiling at once, Python
allocators called back on each thread, and one thread's failing callback kept to it."""
from __future__ import annotations

import threading

from membudget import mem_utils, mem_utils_v033

from conftest import GiB, FakeAllocator


def test_threads_measure_and_profile_concurrently(machine) -> None:
    machine.set(16 * GiB, 12 * GiB)
    errors = []
    results = []

    class Boom(Exception):
        pass

    class Failing(FakeAllocator):
        def memory_reserved(self, device=None):
            raise Boom("thread-local failure")

    def worker(i: int) -> None:
        try:
            alloc = FakeAllocator()
            alloc.allocated = alloc.peak = alloc.reserved = i * (1 << 20)
            for _ in range(100):
                s = mem_utils_v033.MemorySnapshot(device="cpu", allocator=alloc)
                assert s.torch_allocated == i * (1 << 20)
                assert s.non_torch_memory == 4 * GiB - i * (1 << 20)
                if i % 4 == 0:
                    try:
                        mem_utils.MemorySnapshot(device="cpu", allocator=Failing())
                    except Boom:
                        pass
                    else:
                        raise AssertionError("a failing callback read as success")
            with mem_utils.memory_profiling(s, weights_memory=i) as r:
                alloc.peak += 1 << 20
            results.append((i, r.torch_peak_increase, r.non_kv_cache_memory))
        except BaseException as e:  # collected and re-raised below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(results) == [(i, 1 << 20, i + (1 << 20)) for i in range(8)]
