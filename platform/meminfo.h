/* platform/meminfo.h: layer 4, the host's memory (/proc/meminfo under the sysroot). */
#ifndef MB_PLATFORM_MEMINFO_H
#define MB_PLATFORM_MEMINFO_H

#include "sysroot.h"

/* Host figures from /proc/meminfo (no heap allocation). */
int mb__plat_host_memory(const mb_platform *plat, mb_host_memory *out);
/* The whole of /proc/meminfo into buf (NUL-terminated), through the descriptor the platform
 * keeps open (opened on first use): for figures mb_host_memory does not carry. Length or
 * a negative mb_error. */
long mb__plat_meminfo_read(const mb_platform *plat, char *buf, size_t size);
/* The same figures when /proc/meminfo may be missing: MB_OK with *present = 0 (and out
 * zeroed) when it is, without a separate test of its existence. */
int mb__plat_host_memory_if(const mb_platform *plat, mb_host_memory *out, int *present);
/* Opens the kept descriptor now when /proc/meminfo exists under the sysroot. */
int mb__meminfo_prepare(const mb_platform *plat);

#endif
