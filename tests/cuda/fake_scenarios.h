/*
 * tests/cuda/fake_scenarios.h: the machines the fake libcuda.so.1 plays, shared by the fake
 * (which serves them) and the tests (which compute what membudget must report from them).
 *
 * Select one with MB_FAKE_CUDA=<name> (read at the fake's first call) or with
 * mbfake_cuda_setup(name):
 *   discrete80  one H100-like discrete GPU of exactly 80 GiB
 *   two         an A100 40GB (ordinal 0) and an L4 (ordinal 1); honours CUDA_VISIBLE_DEVICES
 *   uma         a GB10-like integrated GPU: total = MemTotal, driver free = MemFree of
 *               $MEMBUDGET_SYSROOT/proc/meminfo (or /proc/meminfo) minus what it holds;
 *               NVML answers NOT_SUPPORTED for its memory, as on a real GB10
 *   mig         the A100 40GB of "two" in MIG mode, split into two MIG devices (below);
 *               CUDA_VISIBLE_DEVICES names them MIG-<uuid> (or a prefix) or, as R450-R465
 *               wrote it, MIG-GPU-<parent uuid prefix>/<gi>/<ci>; unset, CUDA sees both
 *               MIG devices and not their parent. NVML names them MIG-<uuid>, or
 *               MIG-GPU-<parent>/<gi>/<ci> with the "mig_old_uuid" knob (old drivers)
 *   stub        every call answers CUDA_ERROR_STUB_LIBRARY (34), like NVIDIA's stub
 *   none        cuInit succeeds, no device
 *   init:<code> cuInit answers <code> (35, 100, 803, 999, ...)
 * MB_FAKE_CUDA_UMA_HOST=1 makes the uma device's allocations take real host pages (see fake_cuda.c).
 * Every device's used memory is base_used + another tenant's + cuMemAlloc'd bytes + the
 * primary context's overhead while it is retained; free = total - used.
 */
#ifndef MB_FAKE_SCENARIOS_H
#define MB_FAKE_SCENARIOS_H

#define FAKE_CTX_OVERHEAD (500LL << 20) /* a primary context's device memory */
#define FAKE_NVML_RESERVED (512LL << 20) /* what NVML counts in total and used, CUDA not */
#define FAKE_DEV_HANDLE_BASE 16          /* CUdevice = ordinal + this (not the ordinal) */

/* discrete80 */
#define FAKE_D80_NAME "NVIDIA H100 80GB HBM3"
#define FAKE_D80_PCI "0000:01:00.0"
#define FAKE_D80_UUID_BYTES                                                                 \
    {0x5a, 0x1d, 0xe0, 0x01, 0x80, 0x80, 0x4b, 0x10, 0x9c, 0x01, 0x00, 0x00, 0xde, 0xad,     \
     0xbe, 0xef}
#define FAKE_D80_UUID "GPU-5a1de001-8080-4b10-9c01-0000deadbeef"
#define FAKE_D80_TOTAL (80LL << 30)
#define FAKE_D80_BASE_USED (7LL << 20)
#define FAKE_D80_SMEM 232448
#define FAKE_D80_CC 90 /* sm_90 */

/* two: physical 0 and 1 */
#define FAKE_A100_NAME "NVIDIA A100-SXM4-40GB"
#define FAKE_A100_PCI "0000:07:00.0"
#define FAKE_A100_UUID_BYTES                                                                \
    {0xa1, 0x00, 0x00, 0x40, 0x00, 0x07, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,     \
     0x00, 0x07}
#define FAKE_A100_UUID "GPU-a1000040-0007-4000-8000-000000000007"
#define FAKE_A100_TOTAL (40LL << 30)
#define FAKE_A100_BASE_USED ((1LL << 30) + (3LL << 20))
#define FAKE_A100_SMEM 166912
#define FAKE_A100_CC 80

#define FAKE_L4_NAME "NVIDIA L4"
#define FAKE_L4_PCI "0000:03:00.0"
#define FAKE_L4_UUID_BYTES                                                                  \
    {0x14, 0x00, 0x00, 0x24, 0x00, 0x03, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,     \
     0x00, 0x03}
#define FAKE_L4_UUID "GPU-14000024-0003-4000-8000-000000000003"
#define FAKE_L4_TOTAL (24159191040LL) /* 22.5 GiB */
#define FAKE_L4_BASE_USED (2LL << 30)
#define FAKE_L4_SMEM 101376
#define FAKE_L4_CC 89

/* mig: two MIG devices of the A100 40GB (the fake's own figures, not a real profile's) */
#define FAKE_MIG_MAX 7 /* nvmlDeviceGetMaxMigDeviceCount of the parent */
#define FAKE_MIG3_NAME "NVIDIA A100-SXM4-40GB MIG 3g.20gb"
#define FAKE_MIG3_UUID_BYTES                                                                \
    {0x3c, 0x20, 0x00, 0x01, 0x00, 0x07, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x03,     \
     0x20, 0x01}
#define FAKE_MIG3_UUID "MIG-3c200001-0007-4000-8000-000000032001"
#define FAKE_MIG3_TOTAL (20LL << 30)
#define FAKE_MIG3_GI 1
#define FAKE_MIG3_CI 0
#define FAKE_MIG2_NAME "NVIDIA A100-SXM4-40GB MIG 2g.10gb"
#define FAKE_MIG2_UUID_BYTES                                                                \
    {0x3c, 0x20, 0x00, 0x01, 0x00, 0x07, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x02,     \
     0x10, 0x05}
#define FAKE_MIG2_UUID "MIG-3c200001-0007-4000-8000-000000021005"
#define FAKE_MIG2_TOTAL (10LL << 30)
#define FAKE_MIG2_GI 5
#define FAKE_MIG2_CI 0
#define FAKE_MIG_BASE_USED (20LL << 20)

/* uma */
#define FAKE_GB10_NAME "NVIDIA GB10"
#define FAKE_GB10_PCI "000F:01:00.0"
#define FAKE_GB10_UUID_BYTES                                                                \
    {0x6b, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,     \
     0x0b, 0x10}
#define FAKE_GB10_UUID "GPU-6b100000-000f-4000-8000-000000000b10"
#define FAKE_GB10_SMEM 101376
#define FAKE_GB10_CC 121

#endif
