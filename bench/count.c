/*
 * bench/count.c: the counters of mb_bench_trace.
 *
 * Heap: this file defines malloc and its family, forwarding to glibc's __libc_* entry
 * points. Symbols of the executable come first in the lookup order, and glibc routes its
 * own internal allocations (fopen, dlopen, printf) through the same interposable symbols,
 * so every allocation in the process is counted, the library's and libc's on its behalf.
 *
 * Files: the library's open/read/pread/close/fopen and syscall (openat2, for sysroots) are
 * redirected here with the linker's --wrap (bench/CMakeLists.txt); that applies to the
 * static library's objects linked into this program. A recorded read names the file its
 * descriptor resolves to.
 *
 * Not thread-safe beyond the counters themselves (relaxed atomics): the bench is single
 * threaded; a driver's threads would still be counted correctly.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "count.h"

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t n);
void *__libc_valloc(size_t n);
void *__libc_pvalloc(size_t n);

static int counting, logging;
static mb_count cur;
static const char *attr_a, *attr_b;
static __thread int in_attr; /* backtrace() and dladdr() below must not recurse */

static void add(long *c)
{
    if (__atomic_load_n(&counting, __ATOMIC_RELAXED))
        __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* One allocation: counted, and attributed when an attributed object is on the stack. */
static void add_alloc(void)
{
    if (!__atomic_load_n(&counting, __ATOMIC_RELAXED) || in_attr)
        return; /* in_attr: the unwinder's own allocations, not the code under test */
    __atomic_fetch_add(&cur.allocs, 1, __ATOMIC_RELAXED);
    if (!attr_a)
        return;
    in_attr = 1;
    void *frames[24];
    int n = backtrace(frames, 24);
    for (int i = 1; i < n; i++) {
        Dl_info di;
        if (dladdr(frames[i], &di) && di.dli_fname &&
            (strstr(di.dli_fname, attr_a) || (attr_b && strstr(di.dli_fname, attr_b)))) {
            __atomic_fetch_add(&cur.allocs_attributed, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    in_attr = 0;
}

void mb_count_attribute(const char *a, const char *b)
{
    void *warm[2];
    in_attr = 1;
    backtrace(warm, 2); /* the first call loads the unwinder (and allocates): not counted */
    in_attr = 0;
    attr_b = b;
    __atomic_store_n(&attr_a, a, __ATOMIC_SEQ_CST);
}

void mb_count_start(void)
{
    memset(&cur, 0, sizeof cur);
    logging = 0;
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}

void mb_count_start_log(void)
{
    memset(&cur, 0, sizeof cur);
    logging = 1;
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}

void mb_count_stop(mb_count *out)
{
    __atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
    logging = 0;
    attr_a = attr_b = NULL;
    *out = cur;
}

/* ---- heap ---------------------------------------------------------------------------- */

void *malloc(size_t n)
{
    add_alloc();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    add_alloc();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    add_alloc();
    return __libc_realloc(p, n);
}

void free(void *p)
{
    if (p)
        add(&cur.frees);
    __libc_free(p);
}

void *memalign(size_t align, size_t n)
{
    add_alloc();
    return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    add_alloc();
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    add_alloc();
    void *p = __libc_memalign(align, n);
    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void *valloc(size_t n)
{
    add_alloc();
    return __libc_valloc(n);
}

void *pvalloc(size_t n)
{
    add_alloc();
    return __libc_pvalloc(n);
}

/* ---- files --------------------------------------------------------------------------- */

static void log_call(const char *op, int fd, const char *path, long off, size_t size, long got)
{
    if (!__atomic_load_n(&counting, __ATOMIC_RELAXED) || !logging ||
        cur.nlog >= MB_COUNT_LOG_MAX)
        return;
    mb_count_entry *e = &cur.log[cur.nlog++];
    e->op = op;
    e->offset = off;
    e->size = size;
    e->got = got;
    if (path) {
        snprintf(e->path, sizeof e->path, "%s", path);
    } else {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, e->path, sizeof e->path - 1);
        e->path[n > 0 ? n : 0] = '\0';
    }
}

int __real_open(const char *path, int flags, ...);
int __real_open64(const char *path, int flags, ...);
int __real_openat(int dirfd, const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __real_pread64(int fd, void *buf, size_t n, off_t off);
int __real_close(int fd);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
long __real_syscall(long nr, long a, long b, long c, long d, long e);

int __wrap_open(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off);
int __wrap_close(int fd);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode);
long __wrap_syscall(long nr, ...);

static unsigned mode_arg(va_list ap) { return va_arg(ap, unsigned); }

int __wrap_open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    unsigned mode = mode_arg(ap);
    va_end(ap);
    int fd = __real_open(path, flags, mode);
    add(&cur.opens);
    log_call("open", fd, path, 0, 0, fd);
    return fd;
}

int __wrap_open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    unsigned mode = mode_arg(ap);
    va_end(ap);
    int fd = __real_open64(path, flags, mode);
    add(&cur.opens);
    log_call("open", fd, path, 0, 0, fd);
    return fd;
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    unsigned mode = mode_arg(ap);
    va_end(ap);
    int fd = __real_openat(dirfd, path, flags, mode);
    add(&cur.opens);
    log_call("open", fd, fd >= 0 ? NULL : path, 0, 0, fd);
    return fd;
}

long __wrap_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long);
    va_end(ap);
    long r = __real_syscall(nr, a, b, c, d, e);
#ifdef SYS_openat2
    if (nr == SYS_openat2) {
        add(&cur.opens);
        log_call("open", (int)r, r >= 0 ? NULL : (const char *)b, 0, 0, r);
    }
#endif
    return r;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    ssize_t r = __real_read(fd, buf, n);
    add(&cur.reads);
    log_call("read", fd, NULL, -1, n, r);
    return r;
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off)
{
    ssize_t r = __real_pread(fd, buf, n, off);
    add(&cur.reads);
    log_call("pread", fd, NULL, (long)off, n, r);
    return r;
}

ssize_t __wrap_pread64(int fd, void *buf, size_t n, off_t off)
{
    ssize_t r = __real_pread64(fd, buf, n, off);
    add(&cur.reads);
    log_call("pread", fd, NULL, (long)off, n, r);
    return r;
}

int __wrap_close(int fd)
{
    add(&cur.closes);
    log_call("close", fd, NULL, 0, 0, 0);
    return __real_close(fd);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
    add(&cur.opens);
    log_call("fopen", -1, path, 0, 0, 0);
    return __real_fopen(path, mode);
}

FILE *__wrap_fopen64(const char *path, const char *mode)
{
    add(&cur.opens);
    log_call("fopen", -1, path, 0, 0, 0);
    return __real_fopen64(path, mode);
}
