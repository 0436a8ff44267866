"""The field values the golden reprs are made from (pure data: no imports).

Each snapshot case gives vLLM's fields, the device as vLLM's torch names it and the
platform's device_name, plus the device membudget names for the same thing. Each profile
case gives the result's fields. gen_seed.py and gen_vllm033.py turn them into the golden
files with the reference classes; test_repr.py builds membudget's classes from the same
values and compares the text character for character."""

GiB = 1 << 30

SIZES = [0, GiB, 5 * GiB, 80 * GiB, 1234567890, -(GiB // 2), -(GiB // 2) - 1, 3 * GiB // 4,
         GiB // 3, int(2.675 * GiB), int(0.005 * GiB), int(0.015 * GiB) + 1, 1 << 50,
         -7 * GiB - 123, 999_999_999_999, 24297349120, 25276063744]
TIMESTAMPS = [0.0, 1796162730.318169, 12.5, 1e-05, -0.25, 1.0000000000000002, 3.0,
              0.1 + 0.2, 1796162730.0]
PROFILE_TIMES = [0.0, 1.005, 12.3456, 0.125, 2.675, 0.004999, 100.0]
# (vLLM's device, vLLM's current_platform.device_name, membudget's device)
DEVICES = [("cuda:0", "cuda", "cuda:0"), ("cuda:1", "cuda", "cuda:1"),
           ("cuda:0", "rocm", "hip:0"), ("cpu", "cpu", "cpu")]


def _pick(seq, i, k=1):
    return seq[(i * k) % len(seq)]


def snapshot_cases():
    """40 snapshots: every size in every field over the cases, each timestamp, device and
    auto_measure value."""
    cases = []
    for i in range(40):
        dev = _pick(DEVICES, i)
        cases.append({
            "torch_peak": _pick(SIZES, i),
            "torch_allocated": _pick(SIZES, i, 3),
            "free_memory": _pick(SIZES, i, 5),
            "total_memory": _pick(SIZES, i, 7),
            "cuda_memory": _pick(SIZES, i, 11),
            "torch_memory": _pick(SIZES, i, 13),
            "non_torch_memory": _pick(SIZES, i + 1, 2),
            "timestamp": _pick(TIMESTAMPS, i),
            "auto_measure": bool(i % 3 == 0),
            "vllm_device": dev[0], "device_name": dev[1], "membudget_device": dev[2],
        })
    return cases


def profile_cases():
    """20 results: sizes in every field and each profile time."""
    cases = []
    for i in range(20):
        dev = _pick(DEVICES, i)
        cases.append({
            "non_kv_cache_memory": _pick(SIZES, i, 3),
            "torch_peak_increase": _pick(SIZES, i, 5),
            "non_torch_increase": _pick(SIZES, i, 7),
            "total_consumed": _pick(SIZES, i, 11),
            "transient_peak_headroom": _pick(SIZES, i, 13),
            "weights_memory": _pick(SIZES, i + 2),
            "profile_time": _pick(PROFILE_TIMES, i),
            "vllm_device": dev[0], "device_name": dev[1], "membudget_device": dev[2],
        })
    return cases


# Subtraction of snapshots of two devices: vLLM's ValueError text.
MISMATCH = [("cuda:0", "cuda:1"), ("cuda:1", "cpu"), ("cpu", "cuda:0")]
