/*
 * platform/base.h: layer 1 of platform/ (docs/architecture.md, "Layers"): errors and the
 * thread-local detail, the library's heap, the fault-injection counter, clocks and the
 * bounded environment reader. These files call nothing of the library's own but each
 * other in this order: fault.c, error.c, heap.c, clock.c, env.c.
 */
#ifndef MB_PLATFORM_BASE_H
#define MB_PLATFORM_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "membudget.h"

/* error.c: sets the calling thread's detail (printf format, C locale) and returns code.
 * The detail is what mb_error_detail returns until the next call that sets it. */
int mb__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* error.c: snprintf in the C locale (every number in a message or a verdict text reads
 * "0.92", whatever locale the calling program set). */
int mb__snprintf_c(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* fault.c: fault injection, for tests only. mb__fault_arm(n) makes the nth instrumented
 * call from now fail (n >= 1), 0 disarms. mb__fault_hit(site) counts one call at site and
 * says whether it must fail; the site of the failure is recorded. */
void mb__fault_arm(long n);
int mb__fault_hit(const char *site);
long mb__fault_count(void);
const char *mb__fault_site(void);

/* heap.c: the library's heap, failable by the fault counter (never prints or aborts). */
void *mb__malloc(size_t n);
void *mb__calloc(size_t n, size_t size);
void mb__free(void *p);

/* clock.c: seconds since the epoch (CLOCK_REALTIME) and a monotonic clock, as doubles. */
double mb__clock_wall(void);
double mb__clock_mono(void);

/* env.c: the environment, read with secure_getenv and bounded to 4096 bytes: NULL when
 * unset or longer than that (the too-long case is reported by *too_long when not NULL). */
const char *mb__getenv(const char *name, int *too_long);

#endif
