/*
 * membudget/backend.h: the platform vtable, the one header a backend author needs.
 *
 * A backend fills one `struct mb_backend_ops` with designated initializers and registers
 * it in core/registry.c. The core never calls a slot directly: core/vtable.c wraps every
 * slot, zeroes outputs before the call, fills defaults for the optional slots, and is the
 * one place where tests inject faults (SQLite's os.c is the model).
 *
 * Contract for every slot: return MB_OK or a negative mb_error; on failure set the detail
 * with mb__error(code, fmt, ...) naming the call that failed and what to do. Slots may be
 * called from several threads at once after probe returned, except shutdown.
 *
 * The platform services a backend may use (sysroot-relative reads, meminfo parsing,
 * dynamic loading, the UMA policy) are declared at the end of this header.
 */
#ifndef MEMBUDGET_BACKEND_H
#define MEMBUDGET_BACKEND_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "membudget.h"
#include "membudget/operators.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a slot is added, removed or changes meaning; the registry refuses a
 * backend built against another number. */
#define MB_BACKEND_ABI 2 /* 2: the processes slot (issue 18) */

typedef struct mb_platform mb_platform; /* the host-OS services (platform/) */

typedef enum mb_probe_state {
    MB_PROBE_PRESENT = 0,
    MB_PROBE_ABSENT = 1, /* quiet: no library, no driver, no device */
    MB_PROBE_BROKEN = 2  /* loud: the library loads but is unusable (path and reason) */
} mb_probe_state;

typedef struct mb_probe_result {
    mb_probe_state state;
    char reason[MB_REASON_MAX]; /* one line a person can act on */
} mb_probe_result;

/* Dynamic figures of one device, measured cheaply on every snapshot. */
typedef struct mb_meminfo {
    int64_t free;        /* bytes the engine can still get */
    int64_t total;       /* bytes the device has */
    mb_source source;    /* where free and total came from */
    unsigned flags;      /* MB_SNAP_* */
    int64_t driver_free; /* integrated devices: the driver's own free; else MB_UNKNOWN */
    int64_t limit;       /* container limit applied, else MB_UNLIMITED */
} mb_meminfo;

struct mb_backend_ops {
    /* required: MB_BACKEND_ABI */
    unsigned abi;
    /* required: the backend's name, lower case ("cuda") */
    const char *name;
    /* optional (default: name): vLLM's platform device_name, used in text forms */
    const char *platform_name;

    /* required: a cheap check with no side effects on the machine. On PRESENT, *state
     * holds the backend's private state (freed by shutdown); on ABSENT or BROKEN, *state
     * must be NULL and res->reason says why. Returns MB_OK whatever the state; a negative
     * code only for failures of the library itself (out of memory). */
    int (*probe)(const mb_platform *plat, void **state, mb_probe_result *res);
    /* required: number of devices (>= 0). Static: read once at probe time. */
    int (*device_count)(void *state);
    /* required: static facts of device i (name suffix is the index). The core fills
     * name, backend and platform; the backend fills the rest. */
    int (*device_info)(void *state, int i, mb_device_info *out);
    /* required: dynamic figures of device i. Must not allocate on the heap. */
    int (*mem_info)(void *state, int i, mb_meminfo *out);
    /* optional (default: MB_ENOTSUP): max shared memory per block, opt-in where offered */
    int (*max_shared_memory)(void *state, int i, int64_t *out);
    /* optional (default: no-op success): wait for the device's outstanding work */
    int (*synchronize)(void *state, int i);
    /* optional (default: MB_ENOTSUP): allocate bytes of device memory for the tracker */
    int (*alloc)(void *state, int i, size_t bytes, void **ptr);
    /* optional (default: MB_ENOTSUP): free what alloc returned. *freed is 1 once the memory
     * went back to the driver, even when a later step (restoring the caller's context or
     * device) fails and an error is returned; 0 when it is still held, so that the caller
     * may try again without freeing twice */
    int (*free)(void *state, int i, void *ptr, size_t bytes, int *freed);
    /* optional (default: nothing): release state; never closes a driver handle */
    void (*shutdown)(void *state);
    /* optional (default: MB_ENOTSUP, "this backend cannot attribute memory to
     * processes"), appended in ABI 2 (issue 18): the processes using device i, whose facts
     * (uuid, PCI id, index) are *dev. Calls add(sink, p) once per process with p's
     * source, source_pid, bytes, gtt_bytes, instances and note filled and the rest zero
     * (the core fills the device name, the PIDs of this namespace and the names); a
     * non-zero return of add is returned at once. MB_ENOTSUP with why (NUL-terminated,
     * why_size bytes) saying what is missing when the backend can list nothing. */
    int (*processes)(void *state, int i, const mb_device_info *dev,
                     int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                     size_t why_size);
};

/* ---- services for backends (internal symbols, not exported) --------------------------- */

/* Sets the thread-local detail (printf format) and returns code. */
int mb__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The sysroot in force and whether it is foreign (not "/"). */
const char *mb__plat_root(const mb_platform *plat);
int mb__plat_foreign(const mb_platform *plat);

/* Opens path (absolute, e.g. "/proc/meminfo") under the sysroot, read-only, O_CLOEXEC.
 * Returns a descriptor or a negative mb_error (MB_EIO with the path in the detail). */
int mb__plat_open(const mb_platform *plat, const char *path);
/* Reads a whole small file under the sysroot into buf (NUL-terminated). Returns the
 * length or a negative mb_error. MB_ENOSPACE when it does not fit. */
long mb__plat_read(const mb_platform *plat, const char *path, char *buf, size_t size);
/* pread from offset 0 of an open descriptor into buf (NUL-terminated); length or error.
 * path only names the file in the detail. */
long mb__plat_pread(int fd, const char *path, char *buf, size_t size);
/* 1 when path exists under the sysroot (no follow of the final symlink needed), else 0. */
int mb__plat_exists(const mb_platform *plat, const char *path);

/* The value of "Key:" in a meminfo-style text (/proc/meminfo, or node meminfo where lines
 * start "Node N "), in bytes ("kB" suffix honoured, bare numbers taken as counts).
 * MB_UNKNOWN when the key is absent; MB_EPARSE detail names key and file. */
int mb__meminfo_value(const char *text, const char *key, int64_t *out);

/* Host figures from /proc/meminfo (no heap allocation). */
int mb__plat_host_memory(const mb_platform *plat, mb_host_memory *out);
/* The whole of /proc/meminfo into buf (NUL-terminated), through the descriptor the platform
 * keeps open (opened on first use): for figures mb_host_memory does not carry. Length or
 * a negative mb_error. */
long mb__plat_meminfo_read(const mb_platform *plat, char *buf, size_t size);
/* Opens /proc/meminfo and finds and opens the memory cgroup's files now, once per context.
 * A backend whose snapshots read host or container figures calls it at probe so that no
 * snapshot allocates or walks folders. MB_OK when there is nothing to open (no
 * /proc/meminfo under the sysroot, no memory cgroup); negative on a malformed cgroup or
 * mount file (detail set). Safe to call from several threads. */
int mb__plat_host_prepare(const mb_platform *plat);
/* Bounds a measurement by the container: records the effective limit in out->limit,
 * lowers out->free to what every limited cgroup level still leaves (MB_SNAP_LIMITED), then
 * clamps free to out->total (MB_SNAP_CLAMPED). out->free and out->total must be set. */
int mb__container_bound(const mb_platform *plat, mb_meminfo *out);

/* Opens a library by versioned soname with dlopen(RTLD_NOW|RTLD_LOCAL). Refuses names with
 * a '/' (no relative or explicit paths) and a copy reachable through a relative or empty
 * LD_LIBRARY_PATH entry, before the loader maps it (platform/dl.c). Returns the handle
 * (never closed by callers: handles live for the process), or NULL with the reason in why
 * and *absent (may be NULL) set to 1 when the soname itself is not installed anywhere the
 * loader looks, 0 when it was found but cannot be used (a missing dependency, a bad ELF, a
 * refusal). The test does not depend on the locale of the loader's messages. */
void *mb__dl_open(const char *soname, int *absent, char *why, size_t why_size);
/* dlsym; NULL when missing. */
void *mb__dl_sym(void *handle, const char *symbol);

/* The UMA policy shared by integrated GPUs (cuda-uma, hip-apu): free = the host's
 * MemAvailable, lowered to what the container limit leaves, clamped to total; total = the
 * driver's total (the host's when driver_total <= 0). driver_free (MB_UNKNOWN when not
 * known) is only recorded: a backend whose vendor asks for min(driver, host), as HIP on
 * APUs, applies it itself. Fills out (source MB_SOURCE_UMA_HOST, flags, limit). */
int mb__uma_meminfo(const mb_platform *plat, int64_t driver_free, int64_t driver_total,
                    mb_meminfo *out);

/* Library-internal heap, replaceable for fault injection (never prints or aborts). */
void *mb__malloc(size_t n);
void *mb__calloc(size_t n, size_t size);
void mb__free(void *p);

/* The environment, read with secure_getenv and bounded to 4096 bytes: NULL when unset or
 * longer than that (the too-long case is reported by *too_long when not NULL). */
const char *mb__getenv(const char *name, int *too_long);

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_BACKEND_H */
