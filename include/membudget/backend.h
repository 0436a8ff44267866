/*
 * membudget/backend.h: the platform vtable, the one header a backend author needs.
 *
 * A backend fills one `struct mb_backend_ops` with designated initializers and registers
 * it in core/registry.c. The core never calls a slot directly: core/vtable.c wraps every
 * slot, zeroes outputs before the call, fills defaults for the optional slots, and is the
 * one place where tests inject faults (SQLite's os.c is the model).
 *
 * Contract for every slot: return MB_OK or a negative mb_error; on failure set the detail
 * with svc->error(code, fmt, ...) naming the call that failed and what to do. Slots may be
 * called from several threads at once after probe returned, except shutdown.
 *
 * A backend sees the rest of the library only through this header: the services table
 * (struct mb_backend_services, below) handed to probe and files carries every platform
 * service it may call (sysroot-relative reads, meminfo parsing, dynamic loading, the UMA
 * policy, the heap, errors). A backend links to no symbol of the core or of another
 * backend (tests/layers checks it with nm).
 *
 * Growth: slots are only ever appended. A table says which slots it has with `version`
 * (SQLite's iVersion): the core calls a slot added in version N only when version >= N and
 * the slot is set, and gives the slot's default otherwise. The services table grows the
 * same way: a backend reads a service added in version N only when svc->version >= N.
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

/* The vtable's version: monotonic, bumped by one for every slot appended.
 *   1: probe, device_count, device_info, mem_info, max_shared_memory, synchronize, alloc,
 *      free, shutdown
 *   2: processes
 *   3: files
 * The registry accepts any table whose version is 1 .. MB_BACKEND_VERSION. */
#define MB_BACKEND_VERSION 3
/* Whether table ops has slot, which was added in version since. */
#define MB_BACKEND_HAS(ops, slot, since) ((ops)->version >= (since) && (ops)->slot != NULL)

/* NUMA node ids are below this (the kernel's MAX_NUMNODES is at most 1024, CONFIG_NODES_SHIFT
 * 10); a larger id in a file is refused as out of range. */
#define MB_MAX_NODES 1024

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

/* Static facts of one device, as a backend states them (the core adds the name, the
 * backend's name and vLLM's platform name to make the public mb_device_info). The core
 * presets index to the backend's device number and numa_node to -1. */
typedef struct mb_backend_device {
    int index;            /* the backend's own index (CUDA ordinal, NUMA node id) */
    int integrated;       /* 1: shares one memory pool with the CPU (UMA) */
    char ops[16];         /* which ops serve it: "cuda", "cuda-uma", "hip", "hip-apu", "cpu" */
    char model[128];      /* "NVIDIA H100 80GB HBM3", "NUMA node 0" */
    char pci_bus_id[32];  /* "0000:01:00.0", or "" */
    char uuid[48];        /* "GPU-...", or "" */
    int numa_node;        /* nearest NUMA node, -1 when unknown */
    int64_t total_memory; /* static total read at probe time */
    /* appended (library 1.2): the core zeroes the struct, so a backend that does not know
     * these leaves them 0, "unknown" */
    int cc_major, cc_minor; /* compute capability (CUDA); 0.0 when unknown or not CUDA */
} mb_backend_device;

struct mb_topology; /* the host's NUMA topology (platform/topology.h), for the CPU backend */

/* The services a backend may call, handed to probe and files; valid for the life of the
 * process. Every function follows the library's conventions: negative mb_error codes, the
 * detail set on failure, no printing. Append only; version says how many there are. */
#define MB_SERVICES_VERSION 3
typedef struct mb_backend_services {
    unsigned version; /* MB_SERVICES_VERSION of the library that filled the table */
    /* errors: set the thread-local detail (printf format) and return code; read it */
    int (*error)(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
    const char *(*detail)(void);
    /* the library's heap (failable by the tests' fault counter) */
    void *(*malloc)(size_t n);
    void *(*calloc)(size_t n, size_t size);
    void (*free)(void *p);
    /* the process environment now, read with secure_getenv and bounded to 4096 bytes: NULL
     * when unset or longer (the too-long case reported by *too_long when not NULL). Kept
     * for version 1-2 backends; from version 3 use env, which does not race setenv */
    const char *(*getenv)(const char *name, int *too_long);
    /* the sysroot in force, and whether it is foreign (not "/") */
    const char *(*root)(const mb_platform *plat);
    int (*foreign)(const mb_platform *plat);
    /* opens absolute path under the sysroot read-only, O_CLOEXEC: a descriptor or a
     * negative mb_error (the detail names the path) */
    int (*open_file)(const mb_platform *plat, const char *path);
    /* reads a whole small file under the sysroot into buf (NUL-terminated): its length, or
     * a negative mb_error (MB_ENOSPACE when it does not fit) */
    long (*read_file)(const mb_platform *plat, const char *path, char *buf, size_t size);
    /* pread from offset 0 of fd into buf (NUL-terminated); path names it in the detail */
    long (*pread_file)(int fd, const char *path, char *buf, size_t size);
    /* 1 when path exists under the sysroot, else 0 */
    int (*exists)(const mb_platform *plat, const char *path);
    /* a whole non-negative decimal [s, s+len); MB_EPARSE or MB_ERANGE, no detail */
    int (*parse_u64)(const char *s, size_t len, uint64_t *out);
    /* the value of "Key:" in meminfo-style text in bytes; MB_UNKNOWN when absent */
    int (*meminfo_value)(const char *text, const char *key, int64_t *out);
    /* the host's /proc/meminfo figures, and its whole text, through a kept descriptor */
    int (*host_memory)(const mb_platform *plat, mb_host_memory *out);
    long (*meminfo_read)(const mb_platform *plat, char *buf, size_t size);
    /* opens /proc/meminfo and the memory cgroup's files now (at probe) */
    int (*host_prepare)(const mb_platform *plat);
    /* bounds out->free by the container's limits and clamps it to out->total */
    int (*container_bound)(const mb_platform *plat, mb_meminfo *out);
    /* the UMA policy of integrated GPUs: free = host MemAvailable under the container,
     * total = driver_total (the host's when <= 0); driver_free is recorded */
    int (*uma_meminfo)(const mb_platform *plat, int64_t driver_free, int64_t driver_total,
                       mb_meminfo *out);
    /* dlopen of a versioned soname (no '/', no relative LD_LIBRARY_PATH entry), and dlsym;
     * NULL with the reason in why and *absent = 1 when the soname is not installed */
    void *(*dl_open)(const char *soname, int *absent, char *why, size_t why_size);
    void *(*dl_sym)(void *handle, const char *symbol);
    /* mb_size_format_gib */
    int (*format_gib)(int64_t bytes, char *buf, size_t size);
    /* the host's NUMA topology, built once per context (the CPU backend's devices) */
    int (*topology_get)(const mb_platform *plat, const struct mb_topology **out);
    /* a node meminfo text: free (MemFree + Active(file) + Inactive(file) + SReclaimable)
     * and MemTotal */
    int (*node_meminfo_parse)(const char *text, const char *path, int64_t *free,
                              int64_t *total);
    /* bits[0..nbits) in the kernel's list format */
    void (*format_list)(const unsigned char *bits, int nbits, char *out, size_t size);
    /* the files the host services read (memory, NUMA, cgroups, cpusets), for files */
    int (*host_files)(const mb_platform *plat, int (*each)(void *user, const char *path),
                      void *user);

    /* ---- version 2: one open for a file that may be missing (no exists-then-open) ---- */
    /* 1 and *fd when opened, 0 and *fd = -1 when path does not exist, negative on error */
    int (*open_if)(const mb_platform *plat, const char *path, int *fd);
    /* the length read with *present = 1, 0 with *present = 0 when absent, or negative */
    long (*read_if)(const mb_platform *plat, const char *path, char *buf, size_t size,
                    int *present);
    /* host_memory when /proc/meminfo may be missing: MB_OK and *present = 0 when it is */
    int (*host_memory_if)(const mb_platform *plat, mb_host_memory *out, int *present);
    /* calls each(user, name) for every entry of folder path under the sysroot until it
     * returns non-zero (returned); 0 when the folder is absent */
    int (*list)(const mb_platform *plat, const char *path,
                int (*each)(void *user, const char *name), void *user);
    /* the value of "Key:" at a line start of text, trimmed, into out: 1 found, 0 not */
    int (*text_field)(const char *text, const char *key, char *out, size_t size);

    /* ---- version 3: the environment as the context read it once, at mb_context_init ---- */
    /* a variable of docs/environment.md as getenv does, but from the context's snapshot
     * (the environment option applied): no race with setenv, NULL for any other name */
    const char *(*env)(const mb_platform *plat, const char *name, int *too_long);
} mb_backend_services;

struct mb_backend_ops {
    /* required: the slots this table has, 1 .. MB_BACKEND_VERSION (see above) */
    unsigned version;
    /* required: the backend's name, lower case ("cuda") */
    const char *name;
    /* optional (default: name): vLLM's platform device_name, used in text forms */
    const char *platform_name;

    /* required: a cheap check with no side effects on the machine. On PRESENT, *state
     * holds the backend's private state (freed by shutdown); on ABSENT or BROKEN, *state
     * must be NULL and res->reason says why. Returns MB_OK whatever the state; a negative
     * code only for failures of the library itself (out of memory). */
    int (*probe)(const mb_platform *plat, const mb_backend_services *svc, void **state,
                 mb_probe_result *res);
    /* required: number of devices (>= 0). Static: read once at probe time. */
    int (*device_count)(void *state);
    /* required: static facts of device i (the public name's suffix is out->index) */
    int (*device_info)(void *state, int i, mb_backend_device *out);
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

    /* ---- version 2 ---- */
    /* optional (default: MB_ENOTSUP, "this backend cannot attribute memory to
     * processes"): the processes using device i, whose facts
     * (uuid, PCI id, index) are *dev. Calls add(sink, p) once per process with p's
     * source, source_pid, bytes, gtt_bytes, instances and note filled and the rest zero
     * (the core fills the device name, the PIDs of this namespace and the names); a
     * non-zero return of add is returned at once. MB_ENOTSUP with why (NUL-terminated,
     * why_size bytes) saying what is missing when the backend can list nothing. */
    int (*processes)(void *state, int i, const mb_device_info *dev,
                     int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                     size_t why_size);

    /* ---- version 3 ---- */
    /* optional (default: none): calls each(user, path) for every file under the sysroot
     * this backend reads on this machine and that exists, whether the backend is present
     * or not (what `membudget gather` copies, so that a dump replays the backend's static
     * facts). Stops at, and returns, the first non-zero return of each. */
    int (*files)(const mb_platform *plat, const mb_backend_services *svc,
                 int (*each)(void *user, const char *path), void *user);
};

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_BACKEND_H */
