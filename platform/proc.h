/*
 * platform/proc.h: readers of other processes' /proc files and of PSI files (issue 18),
 * for per-process attribution and pressure events. Layer 4 (platform/platform.h's
 * layers): they call the sysroot file layer, the parsers and the heap only.
 *
 * Ownership: nothing here keeps state between calls; every function closes what it
 * opened. Thread safety: all may be called concurrently.
 */
#ifndef MB_PLATFORM_PROC_H
#define MB_PLATFORM_PROC_H

#include <stdint.h>

#include "base.h"
#include "parse.h"
#include "sysroot.h"

/* Calls each(user, pid) for every numeric folder of /proc under the sysroot, in the
 * order the directory gives them. each returns 0 to go on, non-zero to stop (returned). */
int mb__proc_each_pid(const mb_platform *plat, int (*each)(void *user, long pid), void *user);

/* What /proc/<pid>/status, comm and cmdline say. */
typedef struct mb_proc_info {
    long pid;          /* as in the /proc read */
    long ns_pid;       /* the last NSpid entry (the PID in its own namespace); pid when none */
    int ns_depth;      /* NSpid entries (1 outside containers); 0 when no NSpid line */
    char name[64];     /* comm */
    char cmdline[256]; /* NULs as spaces */
    int64_t rss;       /* VmRSS in bytes; MB_UNKNOWN (kernel threads, unreadable) */
} mb_proc_info;
/* MB_OK; MB_ENODEV when /proc/<pid> does not exist (gone, or not in this namespace);
 * MB_EIO when status cannot be read (detail names the file). */
int mb__proc_info(const mb_platform *plat, long pid, mb_proc_info *out);

/* Bytes of pid's memory on NUMA node (numa_maps: N<node>=pages x kernelpagesize_kB).
 * MB_EIO with the reason in the detail (EACCES: another user's process). */
int mb__proc_numa_bytes(const mb_platform *plat, long pid, int node, int64_t *out);

/* One DRM client of a process (fdinfo of a DRM file: drm-client-id, drm-pdev). A client
 * opened through several descriptors is counted once. Sizes in bytes, MB_UNKNOWN when the
 * key is absent (Documentation/gpu/drm-usage-stats.rst: drm-memory-<region> in KiB). */
typedef struct mb_drm_client {
    char driver[16]; /* drm-driver ("amdgpu") */
    char pdev[32];   /* drm-pdev ("0000:03:00.0") */
    uint64_t id;     /* drm-client-id */
    int64_t vram, gtt;
} mb_drm_client;
/* Fills up to cap clients of pid into out, *n the number found (clients beyond cap are
 * counted in *n but not stored); none when pid has no fdinfo folder. MB_EIO when fdinfo
 * cannot be listed (detail says why). */
int mb__proc_drm_clients(const mb_platform *plat, long pid, mb_drm_client *out, int cap,
                         int *n);

/* 1 when one of pid's descriptors (/proc/<pid>/fd links) is open on a path starting with
 * one of prefixes (NULL-terminated), the path in node; 0 when none; negative when the
 * folder cannot be listed (another user's process: the detail says why). */
int mb__proc_holds(const mb_platform *plat, long pid, const char *const *prefixes,
                   char *node, size_t size);

/* 1 when the /proc read belongs to the initial PID namespace, where NVML's and KFD's
 * PIDs are /proc's; 0 in a container (those PIDs are not this namespace's). Live: the
 * inode of /proc/self/ns/pid against PROC_PID_INIT_INO (0xEFFFFFFC, the kernel's
 * include/linux/proc_ns.h). Under a sysroot: a regular file /proc/self/ns/pid holding
 * "pid:[N]" says; without it the dump is taken as the host's. */
int mb__proc_host_namespace(const mb_platform *plat);

/* PSI: the "some" and "full" lines of a pressure file (Documentation/accounting/psi.rst:
 * "some avg10=0.00 avg60=0.00 avg300=0.00 total=0"). */
typedef struct mb_psi_lines {
    double some[3], full[3]; /* avg10, avg60, avg300 in percent; full -1 when absent */
    int64_t some_total, full_total; /* microseconds; full MB_UNKNOWN when absent */
} mb_psi_lines;
int mb__psi_parse(const char *text, const char *path, mb_psi_lines *out);
/* Opens path (under the sysroot) for reading, or, live, O_RDWR | O_NONBLOCK and writes
 * each trigger ("some 150000 2000000", NUL included, one per descriptor as the kernel
 * allows one trigger per open file). Returns the descriptor, or a negative mb_error with
 * the kernel's reason in the detail (EINVAL: a kernel without triggers, EPERM/EACCES). */
int mb__psi_trigger(const mb_platform *plat, const char *path, const char *trigger,
                    size_t len);
/* An epoll descriptor over n trigger descriptors (EPOLLPRI; data = their index). */
int mb__psi_group(const int *fds, int n);
/* Waits up to timeout seconds (< 0: for ever) on group; sets bit k of *fired for each
 * trigger k that fired. Returns the number of ready descriptors, 0 on timeout or EINTR,
 * negative when a trigger's file went away (POLLERR: its cgroup was removed). */
int mb__psi_wait(int group, double timeout, unsigned *fired);
/* nanosleep; a signal ends it early. */
void mb__sleep(double seconds);

/* Every file mb__proc_* and the backends' process slots read (the PSI file, each PID's
 * status, comm, cmdline, numa_maps and DRM fdinfo, KFD's proc and topology files), for
 * mb_process_files. each returns 0 to go on. */
int mb__proc_files(const mb_platform *plat, int (*each)(void *user, const char *path),
                   void *user);

#endif
