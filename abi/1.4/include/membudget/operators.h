/*
 * membudget/operators.h: what an operator asks after "how much is free":
 * which processes hold a device's memory, when host memory pressure rises, and the
 * figures in Prometheus' text format. Include after (or instead of) membudget.h.
 *
 * The conventions of membudget.h and docs/abi.md hold (return codes, zeroed outputs on
 * failure, the MB_UNKNOWN sentinel, fixed-width fields). Every function here is new in
 * release 1.1 (version node MEMBUDGET_1.1). Growing structs start with `uint32_t size`:
 *  - mb_pressure_watch_options and mb_psi are the caller's: set size with their
 *    MB_..._INIT; the library reads and writes only that many bytes;
 *  - mb_process and mb_pressure_event are the library's, handed out by pointer: their size
 *    is the library's sizeof, and a caller built against a newer header reads a field only
 *    when size covers it.
 */
#ifndef MEMBUDGET_OPERATORS_H
#define MEMBUDGET_OPERATORS_H

#include "../membudget.h"
#include "vllm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- per-process attribution ------------------------------------------------------- */

/* Where a process's bytes came from. */
typedef enum mb_proc_source {
    MB_PROC_SOURCE_NONE = 0,
    MB_PROC_SOURCE_NVML_COMPUTE,  /* nvmlDeviceGetComputeRunningProcesses_v3/_v2 */
    MB_PROC_SOURCE_NVML_GRAPHICS, /* nvmlDeviceGetGraphicsRunningProcesses_v3/_v2 */
    MB_PROC_SOURCE_KFD,           /* /sys/class/kfd/kfd/proc/<pid>/vram_<gpu_id> */
    MB_PROC_SOURCE_DRM_FDINFO,    /* /proc/<pid>/fdinfo/<fd>: drm-memory-vram, -gtt */
    MB_PROC_SOURCE_NUMA_MAPS,     /* /proc/<pid>/numa_maps: pages on the node */
    MB_PROC_SOURCE_PROC_STATUS    /* /proc/<pid>/status VmRSS (no per-node split) */
} mb_proc_source;
/* "nvml-compute", "nvml-graphics", "kfd", "drm-fdinfo", "numa-maps", "proc-status";
 * "unknown" for a value this library does not know. */
MB_EXPORT const char *mb_process_source_name(int32_t source);

#define MB_PROC_NO_INSTANCE 0xFFFFFFFFu /* NVML's gpuInstanceId/computeInstanceId off MIG */

typedef struct mb_process {
    uint32_t size;            /* sizeof(mb_process) of the library that filled it */
    char device[MB_NAME_MAX]; /* "cuda:0", "hip:1", "cpu:0" */
    int32_t source;           /* mb_proc_source */
    /* The PID as the source gave it: NVML and KFD give the host's (initial namespace's)
     * PID; /proc sources give the PID of the /proc read. */
    int64_t source_pid;
    /* The PID in this process's PID namespace (the /proc read), 0 when the process is not
     * visible here (a host PID seen from inside a container) */
    int64_t pid;
    /* The PID inside the process's own innermost namespace (the last NSpid entry: what
     * `ps` inside its container shows); equal to pid outside containers, 0 when unknown */
    int64_t ns_pid;
    char name[64];            /* /proc/<pid>/comm, "" when unreadable or not visible */
    char cmdline[256];        /* /proc/<pid>/cmdline, NULs as spaces, "" likewise */
    int64_t bytes;            /* device memory held: MB_UNKNOWN when the source says
                               * "not available" (NVML's NVML_VALUE_NOT_AVAILABLE), never 0
                               * for that */
    int64_t gtt_bytes;        /* AMD: GTT (host memory mapped for the GPU); else MB_UNKNOWN */
    int64_t host_bytes;       /* /proc/<pid>/status VmRSS; MB_UNKNOWN when unreadable */
    uint32_t gpu_instance;    /* MIG GPU instance, MB_PROC_NO_INSTANCE off MIG */
    uint32_t compute_instance;/* MIG compute instance, likewise */
    int32_t readable;         /* 1: this process could read every file of the entry (its
                               * /proc status and, for /proc sources, the figure's file) */
    char note[160];           /* why a figure is missing ("/proc/42/numa_maps: Permission
                               * denied"), or "" */
} mb_process;

typedef struct mb_process_list mb_process_list;

/* Lists the processes using device (an index of mb_device_get), or every device when
 * device is -1, into a new list the caller frees with mb_process_list_free. A backend
 * that cannot attribute memory (no NVML, no KFD, no fdinfo) gives no entries for its
 * devices and records why (mb_process_list_get_why). Reads /proc and /sys under the
 * context's sysroot; NVML answers for the live machine whatever the sysroot (a dump has
 * no driver). The list keeps no pointer to ctx. On
 * failure *out is NULL. Thread safety: a list may be read from several threads. */
MB_EXPORT int mb_process_list_init(mb_process_list **out, mb_context *ctx, int device);
MB_EXPORT int mb_process_list_count(const mb_process_list *l);
/* Entry i (0 .. count-1), owned by the list; NULL when out of range. */
MB_EXPORT const mb_process *mb_process_list_get_entry(const mb_process_list *l, int i);
/* For device index d of the context: why it has no entries, or a note on what could not
 * be read, or "" (owned by the list). */
MB_EXPORT const char *mb_process_list_get_why(const mb_process_list *l, int device);
MB_EXPORT void mb_process_list_free(mb_process_list *l);
/* Calls each(user, path) for every /proc and /sys file mb_process_list_init reads on this
 * machine (as mb_context_list_files does for the rest), for `membudget gather`. Files that
 * do not exist are skipped; each returns 0 to go on. */
MB_EXPORT int mb_process_list_files(mb_context *ctx, int (*each)(void *user, const char *path),
                                    void *user);

/* ---- memory pressure events (PSI) --------------------------------------------------- */

/*
 * Defaults (docs/operators.md has the sources): a "some" trigger of 150 ms stalled per
 * 2 s window and a "full" trigger of 100 ms per 2 s. The 2 s window is systemd's default
 * (MEMORY_PRESSURE_DEFAULT_WINDOW_USEC, src/basic/psi-util.h) and the granularity the
 * kernel requires of unprivileged triggers (Documentation/accounting/psi.rst); 150 ms is
 * the threshold of the kernel document's example trigger; full 100 ms per 2 s is GLib's
 * "critical" level (gio/gmemorymonitorpsi.c). systemd's own default is some 200 ms / 2 s.
 */
#define MB_PRESSURE_SOME_US 150000
#define MB_PRESSURE_FULL_US 100000
#define MB_PRESSURE_WINDOW_US 2000000
/* The polling fallback's interval where PSI or triggers are missing. */
#define MB_PRESSURE_POLL_S 1.0

typedef struct mb_pressure_watch_options {
    uint32_t size;            /* the caller's sizeof: MB_PRESSURE_WATCH_OPTIONS_INIT */
    int64_t some_us;          /* "some" stall per window that fires; 0: no some trigger */
    int64_t full_us;          /* "full" stall per window; 0: no full trigger */
    int64_t window_us;        /* the window, 500 ms .. 10 s (the kernel's bounds) */
    double poll_interval;     /* seconds between reads in the polling fallback */
    /* The pressure file. NULL: $MEMORY_PRESSURE_WATCH (systemd's protocol; "/dev/null"
     * there turns watching off), else this process's cgroup v2 memory.pressure, else
     * /proc/pressure/memory. When $MEMORY_PRESSURE_WATCH is used, $MEMORY_PRESSURE_WRITE
     * (base64) replaces the triggers above. */
    const char *path;
    int32_t force_poll;       /* 1: poll even where triggers work (benchmarks, tests) */
    /* On an integrated device (UMA), run mb_pressure_release on each event with this
     * allocator; release_device -1 (the default) turns it off. */
    int32_t release_device;
    const mb_allocator *release_alloc;
    const mb_pressure_options *release_opts; /* NULL: defaults */
} mb_pressure_watch_options;
#define MB_PRESSURE_WATCH_OPTIONS_INIT                                                      \
    { .size = sizeof(mb_pressure_watch_options), .some_us = MB_PRESSURE_SOME_US,            \
      .full_us = MB_PRESSURE_FULL_US, .window_us = MB_PRESSURE_WINDOW_US,                   \
      .poll_interval = MB_PRESSURE_POLL_S, .release_device = -1 }
/* The defaults into the first size bytes of *o, for bindings that cannot use the macro. */
MB_EXPORT int mb_pressure_watch_options_init(mb_pressure_watch_options *o, size_t size);

typedef enum mb_pressure_watch_mode {
    MB_WATCH_TRIGGER = 1,   /* PSI triggers: woken by the kernel only */
    MB_WATCH_PSI_POLL = 2,  /* PSI file without triggers: stall totals read every interval */
    MB_WATCH_MEMINFO_POLL = 3, /* no PSI: MemAvailable read every interval */
    MB_WATCH_OFF = 4        /* $MEMORY_PRESSURE_WATCH=/dev/null */
} mb_pressure_watch_mode;
/* "psi-trigger", "psi-poll", "meminfo-poll", "off"; "unknown" otherwise. */
MB_EXPORT const char *mb_pressure_watch_mode_name(int32_t mode);

typedef struct mb_pressure_event {
    uint32_t size;            /* sizeof(mb_pressure_event) of the library */
    double timestamp;         /* seconds since the epoch */
    char kind[8];             /* "some", "full", or "low" (meminfo fallback) */
    int32_t injected;         /* 1: injected by the fault layer (tests) */
    double some_avg10, full_avg10; /* percentages from the file; -1 when unknown */
    int64_t some_total_us, full_total_us; /* cumulative stall; MB_UNKNOWN when unknown */
    int64_t host_available, host_total;   /* /proc/meminfo at the event */
    int32_t release_tried;    /* 1 when mb_pressure_release ran */
    int32_t release_rc;       /* its return code */
    int32_t released;         /* 1 when it emptied the allocator's cache */
    int64_t releasable;       /* reserved - allocated when it decided */
    char release_reason[160]; /* why it released or did not */
} mb_pressure_event;

typedef struct mb_pressure_watch mb_pressure_watch;
/* The callback: return 0 to go on, non-zero to make mb_pressure_watch_wait return. */
typedef int (*mb_pressure_cb)(void *user, const mb_pressure_event *ev);

/* Opens the pressure file and registers the triggers (falls back to polling where the
 * kernel refuses or lacks them; mb_pressure_watch_get_mode says which and why). opts may
 * be NULL (defaults). The context must outlive the watch. On failure *out is NULL. */
MB_EXPORT int mb_pressure_watch_init(mb_pressure_watch **out, mb_context *ctx,
                                     const mb_pressure_watch_options *opts);
/* Waits up to timeout seconds (< 0: for ever) and calls cb for each event. Returns the
 * number of events delivered (0 on timeout), or a negative code; a signal returns 0 so
 * that a handler's flag can be checked. One watch must not be waited on by two threads. */
MB_EXPORT int mb_pressure_watch_wait(mb_pressure_watch *w, double timeout, mb_pressure_cb cb,
                                     void *user);
/* mb_pressure_watch_mode */
MB_EXPORT int32_t mb_pressure_watch_get_mode(const mb_pressure_watch *w);
/* The file watched and why this mode (owned by the watch). */
MB_EXPORT const char *mb_pressure_watch_get_path(const mb_pressure_watch *w);
MB_EXPORT const char *mb_pressure_watch_get_reason(const mb_pressure_watch *w);
/* An epoll descriptor that becomes readable on events in psi-trigger mode, or -1 in a
 * polling mode: for an engine's own event loop, which then calls
 * mb_pressure_watch_wait(w, 0, ...). Owned by the watch. */
MB_EXPORT int mb_pressure_watch_get_fd(const mb_pressure_watch *w);
MB_EXPORT void mb_pressure_watch_free(mb_pressure_watch *w);

/* The averages of a PSI file now ("some"/"full" avg10, avg60, avg300 in percent and the
 * totals in microseconds); MB_EIO when there is no PSI. path NULL: /proc/pressure/memory. */
typedef struct mb_psi {
    uint32_t size; /* the caller's sizeof: MB_PSI_INIT */
    double some_avg10, some_avg60, some_avg300;
    double full_avg10, full_avg60, full_avg300; /* -1 when the file has no "full" line */
    int64_t some_total_us, full_total_us;       /* full: MB_UNKNOWN likewise */
} mb_psi;
#define MB_PSI_INIT { .size = sizeof(mb_psi) }
MB_EXPORT int mb_psi_read(mb_context *ctx, const char *path, mb_psi *out);

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_OPERATORS_H */
