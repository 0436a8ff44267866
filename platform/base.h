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
 * The detail is what mb_error_detail returns until the next exported call (MB__API). */
int mb__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* error.c: the detail's lifetime (docs/errors.md). Every exported function that can fail is
 * defined with MB__API, which makes it a wrapper around a static body: the outermost call
 * on a thread (exported functions the library calls itself, or a caller's callback calls,
 * nest) empties the detail on entry, and again on a return >= 0, so the detail is "" after
 * any call that succeeded, even one that met and handled a failure inside, and holds the
 * failure's own text after one that failed. Functions that cannot fail (names, versions,
 * mb_error_detail itself, the _free functions) are plain definitions and leave it alone.
 * Use: MB__API(mb_thing_get, (mb_context *ctx, int i), (ctx, i)) { body returning int } */
void mb__api_enter(void);
int mb__api_leave(int rc);
#define MB__API(name, params, args)                                                         \
    static int name##__body params;                                                         \
    int name params                                                                         \
    {                                                                                       \
        mb__api_enter();                                                                    \
        return mb__api_leave(name##__body args);                                            \
    }                                                                                       \
    static int name##__body params

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
/* env.c: secure_getenv itself, unbounded: only for the loader's LD_LIBRARY_PATH where
 * /proc/self/environ cannot be read (platform/dl.c), whose every entry must be checked. */
const char *mb__getenv_raw(const char *name);

/* env.c: the variables the library honours (docs/environment.md), read once when a
 * context is created into its snapshot; no later call reads the environment. */
#define MB__ENV_VARS 13
typedef struct mb__env_snapshot {
    char *block;                          /* one allocation holding every value, or NULL */
    const char *value[MB__ENV_VARS];      /* NULL: unset */
    unsigned char too_long[MB__ENV_VARS]; /* 1: set, but longer than 4096 bytes */
    unsigned char given[MB__ENV_VARS];    /* 1: from the environment option, not the process */
} mb__env_snapshot;
/* Reads every honoured variable, then applies override (a NULL-terminated list of
 * "NAME=value", or "NAME" for unset; NULL: none), which wins. MB_EINVAL naming the entry
 * for a name the library does not read or a value over 4096 bytes; MB_ENOMEM. */
int mb__env_capture(mb__env_snapshot *e, const char *const *override);
void mb__env_release(mb__env_snapshot *e);
/* The value captured for name (one of the honoured variables): NULL when unset or too
 * long (*too_long then says which, when not NULL), and for any other name. */
const char *mb__env_get(const mb__env_snapshot *e, const char *name, int *too_long);
/* The honoured names, comma-separated (for messages). */
const char *mb__env_names(void);

#endif
