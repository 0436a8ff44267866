/*
 * backends/hip/hip_procs.c: the processes using an AMD device (issue 18), from two
 * sources, each entry naming its own:
 *  - KFD (the compute driver ROCm uses): /sys/class/kfd/kfd/proc/<pid>/vram_<gpu_id>, in
 *    bytes (drivers/gpu/drm/amd/amdkfd/kfd_process.c), gpu_id from the topology node
 *    whose domain and location_id (bus << 8 | device << 3 | function) give the device's
 *    PCI address. KFD names processes by their host (initial-namespace) PID.
 *  - DRM fdinfo (graphics and, on recent kernels, compute clients of the render node):
 *    drm-memory-vram and drm-memory-gtt of the /proc/<pid>/fdinfo entries whose drm-pdev
 *    is the device, one figure per drm-client-id (Documentation/gpu/drm-usage-stats.rst).
 * A process whose fdinfo this one may not read is counted in why, not guessed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../../platform/proc.h"

int mb__hip_processes(const mb_platform *plat, const mb_device_info *dev,
                      int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                      size_t why_size);

/* A value of a KFD "key value" properties text; -1 when absent. */
static long long kfd_prop(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
            uint64_t v;
            const char *s = p + kl + 1, *e = s;
            while (*e >= '0' && *e <= '9')
                e++;
            return mb__parse_u64(s, (size_t)(e - s), &v) == MB_OK && v < (1ull << 62)
                       ? (long long)v
                       : -1;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

/* The KFD gpu_id of the device at pci, or -1. */
static long long kfd_gpu_id(const mb_platform *plat, const char *pci)
{
    for (int n = 0; n < 256; n++) {
        char path[96], buf[4096];
        snprintf(path, sizeof path, "/sys/class/kfd/kfd/topology/nodes/%d/properties", n);
        if (!mb__plat_exists(plat, path) || mb__plat_read(plat, path, buf, sizeof buf) < 0)
            return -1;
        long long dom = kfd_prop(buf, "domain"), loc = kfd_prop(buf, "location_id");
        if (dom < 0 || loc <= 0 || kfd_prop(buf, "simd_count") <= 0)
            continue;
        char bdf[32];
        snprintf(bdf, sizeof bdf, "%04llx:%02llx:%02llx.%llx", dom, (loc >> 8) & 0xff,
                 (loc >> 3) & 0x1f, loc & 7);
        if (strcasecmp(bdf, pci) != 0)
            continue;
        snprintf(path, sizeof path, "/sys/class/kfd/kfd/topology/nodes/%d/gpu_id", n);
        uint64_t id;
        if (mb__plat_read(plat, path, buf, sizeof buf) < 0)
            return -1;
        buf[strcspn(buf, "\n")] = '\0';
        return mb__parse_u64(buf, strlen(buf), &id) == MB_OK ? (long long)id : -1;
    }
    return -1;
}

typedef struct walk {
    const mb_platform *plat;
    const mb_device_info *dev;
    long long gpu_id;
    int (*add)(void *, const mb_process *);
    void *sink;
    int unreadable;
    char first_why[160];
} walk;

static int kfd_entry(void *user, const char *name)
{
    walk *w = user;
    uint64_t pid;
    if (mb__parse_u64(name, strlen(name), &pid) != MB_OK)
        return 0;
    char path[128], buf[64];
    snprintf(path, sizeof path, "/sys/class/kfd/kfd/proc/%s/vram_%lld", name, w->gpu_id);
    if (!mb__plat_exists(w->plat, path))
        return 0; /* this process does not use this GPU */
    mb_process p;
    memset(&p, 0, sizeof p);
    p.source = MB_PROC_SOURCE_KFD;
    p.source_pid = (int64_t)pid;
    p.gtt_bytes = MB_UNKNOWN;
    p.gpu_instance = p.compute_instance = MB_PROC_NO_INSTANCE;
    uint64_t v;
    if (mb__plat_read(w->plat, path, buf, sizeof buf) < 0) {
        p.bytes = MB_UNKNOWN;
        snprintf(p.note, sizeof p.note, "%s", mb_error_detail());
    } else {
        buf[strcspn(buf, "\n")] = '\0';
        p.bytes = mb__parse_u64(buf, strlen(buf), &v) == MB_OK && v <= INT64_MAX
                      ? (int64_t)v
                      : MB_UNKNOWN;
        if (p.bytes == MB_UNKNOWN)
            snprintf(p.note, sizeof p.note, "%s holds '%.40s', not a number of bytes", path,
                     buf);
    }
    return w->add(w->sink, &p);
}

static int fdinfo_pid(void *user, long pid)
{
    walk *w = user;
    mb_drm_client c[32];
    int n = 0;
    if (mb__proc_drm_clients(w->plat, pid, c, 32, &n) != MB_OK) {
        if (!w->unreadable++)
            snprintf(w->first_why, sizeof w->first_why, "%s", mb_error_detail());
        return 0;
    }
    mb_process p;
    memset(&p, 0, sizeof p);
    p.source = MB_PROC_SOURCE_DRM_FDINFO;
    p.source_pid = pid;
    p.bytes = p.gtt_bytes = MB_UNKNOWN;
    p.gpu_instance = p.compute_instance = MB_PROC_NO_INSTANCE;
    int found = 0;
    for (int k = 0; k < n && k < 32; k++) {
        if (strcasecmp(c[k].pdev, w->dev->pci_bus_id) != 0)
            continue;
        found = 1;
        if (c[k].vram != MB_UNKNOWN)
            p.bytes = (p.bytes == MB_UNKNOWN ? 0 : p.bytes) + c[k].vram;
        if (c[k].gtt != MB_UNKNOWN)
            p.gtt_bytes = (p.gtt_bytes == MB_UNKNOWN ? 0 : p.gtt_bytes) + c[k].gtt;
    }
    if (n > 32)
        snprintf(p.note, sizeof p.note, "%d DRM clients; the first 32 are counted", n);
    return found ? w->add(w->sink, &p) : 0;
}

int mb__hip_processes(const mb_platform *plat, const mb_device_info *dev,
                      int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                      size_t why_size)
{
    walk w = {plat, dev, -1, add, sink, 0, ""};
    if (!dev->pci_bus_id[0]) {
        snprintf(why, why_size, "%s has no PCI address to find it in KFD or fdinfo", dev->name);
        return MB_ENOTSUP;
    }
    int rc;
    w.gpu_id = kfd_gpu_id(plat, dev->pci_bus_id);
    if (w.gpu_id >= 0 && (rc = mb__plat_list(plat, "/sys/class/kfd/kfd/proc", kfd_entry, &w)))
        return rc;
    if ((rc = mb__proc_each_pid(plat, fdinfo_pid, &w)))
        return rc;
    if (w.unreadable)
        snprintf(why, why_size, "%d processes' fdinfo could not be read (%s); run as root "
                 "or as their user to see them", w.unreadable, w.first_why);
    else if (w.gpu_id < 0)
        snprintf(why, why_size, "no KFD topology node has %s's PCI address %s: fdinfo only",
                 dev->name, dev->pci_bus_id);
    return MB_OK;
}
