/*
 * policy/policy.h: vLLM's rules and the memory policies above the host services: the CPU
 * environment variables (kvspace.c) and the UMA policy of integrated GPUs (uma.c). They
 * call platform/ (any layer) and nothing above it.
 */
#ifndef MB_POLICY_H
#define MB_POLICY_H

#include <stdint.h>

#include "../platform/platform.h"

/* ---- vLLM's CPU environment (kvspace.c) -------------------------------------------- */

/* VLLM_CPU_KVCACHE_SPACE: value must be a whole number of GiB (digits only, >= 1). On
 * success *bytes = value x 2^30. MB_EENV with a message that names the variable, quotes
 * value and says what is accepted. */
int mb__kv_parse_space(const char *value, int64_t *bytes);
/* CPU_VISIBLE_MEMORY_NODES: comma-separated node ids ("0,2"), in the order given. */
int mb__parse_visible_nodes(const char *value, int *nodes, int max, int *count);
/* VmRSS of this process from /proc/self/status under the sysroot, in bytes. */
int mb__self_rss(const mb_platform *plat, int64_t *rss);

/* ---- the UMA policy (uma.c) --------------------------------------------------------- */

/* The UMA policy shared by integrated GPUs (cuda-uma, hip-apu): free = the host's
 * MemAvailable, lowered to what the container limit leaves, clamped to total; total = the
 * driver's total (the host's when driver_total <= 0). driver_free (MB_UNKNOWN when not
 * known) is only recorded: a backend whose vendor asks for min(driver, host), as HIP on
 * APUs, applies it itself. Fills out (source MB_SOURCE_UMA_HOST, flags, limit). */
int mb__uma_meminfo(const mb_platform *plat, int64_t driver_free, int64_t driver_total,
                    mb_meminfo *out);

#endif
