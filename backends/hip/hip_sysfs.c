/*
 * backends/hip/hip_sysfs.c: the amdgpu sysfs side of the HIP backend, read through the
 * sysroot. It is the cheap probe (a few small file reads, no runtime, no GPU context) and
 * the cross-check of the runtime's numbers.
 *
 * Files (amdgpu driver, Documentation/gpu/amdgpu/driver-misc.rst): under
 * /sys/class/drm/cardN/device: vendor ("0x1002" for AMD), mem_info_vram_total,
 * mem_info_vram_used, mem_info_gtt_total, mem_info_gtt_used (bytes, one decimal number),
 * mem_info_vram_vendor (the memory maker; absent on APUs), numa_node, and uevent, whose
 * PCI_SLOT_NAME line is the PCI address ("0000:03:00.0") the runtime's
 * hipDeviceGetPCIBusId also gives. KFD (the compute driver ROCm uses): /dev/kfd and
 * /sys/class/kfd/kfd/topology/nodes/N/properties, where a GPU node has simd_count > 0
 * (CPU nodes have 0).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hip_internal.h"

const mb_backend_services *_Atomic mb__hip_svc;

/* Reads a small sysfs file when it exists. 0: missing (buf = ""), 1: read, <0: error. */
static int read_opt(const mb_platform *plat, const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    int present;
    long n = mb__hip_svc->read_if(plat, path, buf, size, &present);
    if (n < 0)
        return (int)n;
    if (!present)
        return 0;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 1;
}

static int parse_bytes(const char *path, const char *text, int64_t *out)
{
    uint64_t v;
    int rc = mb__hip_svc->parse_u64(text, strlen(text), &v);
    if (rc || v > (uint64_t)INT64_MAX)
        return mb__hip_svc->error(MB_EPARSE, "%s holds '%.40s', not a number of bytes; the amdgpu "
                                    "driver writes one decimal number there", path, text);
    *out = (int64_t)v;
    return MB_OK;
}

static int card_file(const mb_platform *plat, int card, const char *file, char *buf,
                     size_t size, char *path, size_t path_size)
{
    snprintf(path, path_size, "/sys/class/drm/card%d/device/%s", card, file);
    return read_opt(plat, path, buf, size);
}

int mb__hip_card_mem(const mb_platform *plat, const mb_hip_card *c, const char *name,
                     int64_t *out)
{
    *out = MB_UNKNOWN;
    char file[48], buf[64], path[128];
    snprintf(file, sizeof file, "mem_info_%s", name);
    int rc = card_file(plat, c->card, file, buf, sizeof buf, path, sizeof path);
    if (rc <= 0)
        return rc;
    return parse_bytes(path, buf, out);
}

/* The value of "KEY=" in a uevent text, copied into out (truncated to size). */
static void uevent_value(const char *text, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    size_t kl = strlen(key);
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = len - kl - 1;
            if (vl >= size)
                vl = size - 1;
            memcpy(out, p + kl + 1, vl);
            out[vl] = '\0';
            return;
        }
        p = eol ? eol + 1 : NULL;
    }
}

static int scan_card(const mb_platform *plat, int n, mb_hip_card *c, int *is_amd)
{
    char buf[1024], path[128];
    *is_amd = 0;
    int rc = card_file(plat, n, "vendor", buf, sizeof buf, path, sizeof path);
    if (rc <= 0)
        return rc;
    if (strcasecmp(buf, "0x1002") != 0)
        return MB_OK;
    *is_amd = 1;
    memset(c, 0, sizeof *c);
    c->card = n;
    c->numa_node = -1;
    static const char *const names[4] = {"vram_total", "vram_used", "gtt_total", "gtt_used"};
    int64_t *vals[4] = {&c->vram_total, &c->vram_used, &c->gtt_total, &c->gtt_used};
    for (int k = 0; k < 4; k++)
        if ((rc = mb__hip_card_mem(plat, c, names[k], vals[k])) < 0)
            return rc;
    snprintf(path, sizeof path, "/sys/class/drm/card%d/device/mem_info_vram_vendor", n);
    c->has_vram_vendor = mb__hip_svc->exists(plat, path);
    if ((rc = card_file(plat, n, "uevent", buf, sizeof buf, path, sizeof path)) < 0)
        return rc;
    if (rc > 0) {
        uevent_value(buf, "PCI_SLOT_NAME", c->pci, sizeof c->pci);
        uevent_value(buf, "PCI_ID", c->pci_id, sizeof c->pci_id);
    }
    if ((rc = card_file(plat, n, "numa_node", buf, sizeof buf, path, sizeof path)) < 0)
        return rc;
    if (rc > 0 && buf[0] != '-') { /* "-1" when the platform has no NUMA information */
        uint64_t v;
        if (mb__hip_svc->parse_u64(buf, strlen(buf), &v) == MB_OK && v < MB_MAX_NODES)
            c->numa_node = (int)v;
    }
    c->apu = !c->has_vram_vendor && c->vram_total != MB_UNKNOWN && c->gtt_total != MB_UNKNOWN &&
             c->vram_total <= MB_HIP_APU_MAX_CARVEOUT &&
             c->gtt_total / MB_HIP_APU_GTT_RATIO >= c->vram_total;
    return MB_OK;
}

/* simd_count of a KFD topology node's properties ("key value" lines); -1 when absent. */
static long kfd_simd_count(const char *text)
{
    static const char key[] = "simd_count ";
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, sizeof key - 1) == 0) {
            const char *v = p + sizeof key - 1;
            const char *e = v;
            while (*e >= '0' && *e <= '9')
                e++;
            uint64_t n;
            if (mb__hip_svc->parse_u64(v, (size_t)(e - v), &n) == MB_OK && n < (uint64_t)1 << 31)
                return (long)n;
            return -1;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return -1;
}

int mb__hip_sysfs_scan(const mb_platform *plat, mb_hip_sysfs *out)
{
    memset(out, 0, sizeof *out);
    int rc;
    if (mb__hip_svc->exists(plat, "/sys/class/drm")) {
        for (int n = 0; n < MB_HIP_MAX_CARDS; n++) {
            char dir[64];
            snprintf(dir, sizeof dir, "/sys/class/drm/card%d", n);
            if (!mb__hip_svc->exists(plat, dir))
                continue; /* minors need not be contiguous (card0 may be a BMC's display) */
            int amd;
            if ((rc = scan_card(plat, n, &out->cards[out->ncards], &amd)) < 0)
                return rc;
            out->ncards += amd;
        }
    }
    out->kfd_dev = mb__hip_svc->exists(plat, "/dev/kfd");
    for (int n = 0; n < MB_HIP_MAX_KFD_NODES; n++) {
        char path[96], buf[4096];
        snprintf(path, sizeof path, "/sys/class/kfd/kfd/topology/nodes/%d/properties", n);
        if ((rc = read_opt(plat, path, buf, sizeof buf)) < 0)
            return rc;
        if (rc == 0)
            break; /* KFD numbers its nodes from 0 without gaps */
        if (kfd_simd_count(buf) > 0)
            out->kfd_gpus++;
    }
    return MB_OK;
}

const mb_hip_card *mb__hip_card_by_pci(const mb_hip_sysfs *s, const char *pci)
{
    if (!pci || !*pci)
        return NULL;
    for (int i = 0; i < s->ncards; i++)
        if (s->cards[i].pci[0] && strcasecmp(s->cards[i].pci, pci) == 0)
            return &s->cards[i];
    return NULL;
}

void mb__hip_cards_describe(const mb_hip_sysfs *s, char *buf, size_t size)
{
    if (!size)
        return;
    buf[0] = '\0';
    for (int i = 0; i < s->ncards; i++) {
        size_t l = strlen(buf);
        if (l + 1 >= size)
            return;
        snprintf(buf + l, size - l, "%scard%d%s%s%s", i ? ", " : "", s->cards[i].card,
                 s->cards[i].pci[0] ? " (" : "", s->cards[i].pci, s->cards[i].pci[0] ? ")" : "");
    }
}

/* ---- the files slot: what the HIP backend reads, for `membudget gather` ---------------- */

typedef struct hip_emit {
    const mb_platform *plat;
    int (*each)(void *user, const char *path);
    void *user;
} hip_emit;

static int emit_file(const hip_emit *e, const char *path)
{
    return mb__hip_svc->exists(e->plat, path) ? e->each(e->user, path) : 0;
}

int mb__hip_files(const mb_platform *plat, const mb_backend_services *services,
                  int (*each)(void *user, const char *path), void *user)
{
    mb__hip_svc = services;
    hip_emit e = {plat, each, user};
    static const char *const card_files[] = {
        "vendor", "device", "uevent", "numa_node", "mem_info_vram_total", "mem_info_vram_used",
        "mem_info_vis_vram_total", "mem_info_vis_vram_used", "mem_info_gtt_total",
        "mem_info_gtt_used", "mem_info_vram_vendor"};
    int rc;
    for (int n = 0; n < MB_HIP_MAX_CARDS; n++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/class/drm/card%d/device/vendor", n);
        if (!mb__hip_svc->exists(plat, path))
            continue;
        for (size_t k = 0; k < sizeof card_files / sizeof *card_files; k++) {
            snprintf(path, sizeof path, "/sys/class/drm/card%d/device/%s", n, card_files[k]);
            if ((rc = emit_file(&e, path)))
                return rc;
        }
    }
    for (int n = 0; n < MB_HIP_MAX_KFD_NODES; n++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/class/kfd/kfd/topology/nodes/%d/properties", n);
        if (!mb__hip_svc->exists(plat, path))
            break; /* KFD numbers its nodes from 0 without gaps */
        static const char *const node_files[] = {"properties", "gpu_id", "name"};
        for (size_t k = 0; k < sizeof node_files / sizeof *node_files; k++) {
            snprintf(path, sizeof path, "/sys/class/kfd/kfd/topology/nodes/%d/%s", n,
                     node_files[k]);
            if ((rc = emit_file(&e, path)))
                return rc;
        }
        for (int b = 0; b < 16; b++) {
            snprintf(path, sizeof path,
                     "/sys/class/kfd/kfd/topology/nodes/%d/mem_banks/%d/properties", n, b);
            if (!mb__hip_svc->exists(plat, path))
                break;
            if ((rc = e.each(e.user, path)))
                return rc;
        }
    }
    return MB_OK;
}
