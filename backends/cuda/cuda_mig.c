/*
 * backends/cuda/cuda_mig.c: MIG devices (Multi-Instance GPU) and NVML.
 *
 * A GPU in MIG mode is split into MIG devices; CUDA serves one of them as a CUDA device
 * when CUDA_VISIBLE_DEVICES names it, as NVIDIA writes MIG device names:
 *   MIG-<uuid>                   R470 and later (nvidia-smi -L), or a prefix of it, the
 *                                way CUDA takes GPU-<uuid> prefixes;
 *   MIG-GPU-<uuid>/<gi>/<ci>     R450 .. R465: the parent GPU's UUID (or a prefix), the GPU
 *                                instance id and the compute instance id.
 * Such a device has its own memory, which cuDeviceTotalMem reports; NVML reports it on the
 * MIG device's handle (nvmlDeviceGetMigDeviceHandleByIndex, then nvmlDeviceGetMemoryInfo),
 * never on the parent GPU's, which is what a join by PCI id would find. This file finds the
 * MIG handle named by a device's CUDA_VISIBLE_DEVICES entry (read once, at mb_context_init).
 * The i-th entry names the i-th CUDA device: CUDA enumerates the list in order and stops
 * at the first entry that names nothing, so every entry before a device's is valid.
 */
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

void mb__cuda_mig_visible(const mb_platform *plat, int ordinal, char *out, size_t size)
{
    out[0] = '\0';
    const char *cvd = svc->env(plat, "CUDA_VISIBLE_DEVICES", NULL);
    if (!cvd)
        return;
    const char *p = cvd;
    for (int k = 0; k < ordinal && p; k++) {
        p = strchr(p, ',');
        if (p)
            p++;
    }
    if (!p)
        return;
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, ", ");
    if (n < 5 || strncmp(p, "MIG-", 4) != 0 || n >= size)
        return;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* "MIG-GPU-<prefix>/<gi>/<ci>": the parent's UUID prefix into parent, and the two ids;
 * 0 when entry is not of this form. */
static int old_form(const char *entry, char *parent, size_t size, unsigned *gi, unsigned *ci)
{
    if (strncmp(entry, "MIG-GPU-", 8) != 0)
        return 0;
    const char *slash = strchr(entry + 4, '/');
    if (!slash || (size_t)(slash - (entry + 4)) >= size)
        return 0;
    memcpy(parent, entry + 4, (size_t)(slash - (entry + 4)));
    parent[slash - (entry + 4)] = '\0';
    char *end;
    unsigned long g = strtoul(slash + 1, &end, 10);
    if (end == slash + 1 || *end != '/')
        return 0;
    const char *c0 = end + 1;
    unsigned long c = strtoul(c0, &end, 10);
    if (end == c0 || *end)
        return 0;
    *gi = (unsigned)g;
    *ci = (unsigned)c;
    return 1;
}

/* 1 when MIG device h of a parent whose UUID is parent_uuid matches entry. */
static int matches(const nvml_mig_api *nm, nvmlDevice_t h, const char *parent_uuid,
                   const char *entry)
{
    char parent[64];
    unsigned gi = 0, ci = 0, g, c;
    if (old_form(entry, parent, sizeof parent, &gi, &ci)) {
        if (strncmp(parent_uuid, parent, strlen(parent)) == 0 &&
            nm->nvmlDeviceGetGpuInstanceId(h, &g) == NVML_SUCCESS && g == gi &&
            nm->nvmlDeviceGetComputeInstanceId(h, &c) == NVML_SUCCESS && c == ci)
            return 1;
    }
    /* MIG-<uuid prefix>; also an old driver's own name, MIG-GPU-.../gi/ci, given whole */
    char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    if (nm->nvmlDeviceGetUUID(h, uuid, sizeof uuid) != NVML_SUCCESS)
        return 0;
    uuid[sizeof uuid - 1] = '\0';
    return strncmp(uuid, entry, strlen(entry)) == 0;
}

int mb__cuda_mig_join(cuda_state *s, const cuda_dev *d, nvmlDevice_t *out)
{
    *out = NULL;
    if (!s->nvml_mig || !d->visible[0])
        return 0;
    const nvml_mig_api *nm = &s->nm;
    unsigned n = 0;
    if (nm->nvmlDeviceGetCount_v2(&n) != NVML_SUCCESS)
        return 0;
    int found = 0;
    for (unsigned i = 0; i < n && i < 64; i++) {
        nvmlDevice_t gpu = NULL;
        unsigned cur = 0, pend = 0, max = 0;
        char parent[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
        if (nm->nvmlDeviceGetHandleByIndex_v2(i, &gpu) != NVML_SUCCESS || !gpu ||
            nm->nvmlDeviceGetMigMode(gpu, &cur, &pend) != NVML_SUCCESS ||
            cur != NVML_DEVICE_MIG_ENABLE ||
            nm->nvmlDeviceGetMaxMigDeviceCount(gpu, &max) != NVML_SUCCESS ||
            nm->nvmlDeviceGetUUID(gpu, parent, sizeof parent) != NVML_SUCCESS)
            continue;
        parent[sizeof parent - 1] = '\0';
        for (unsigned k = 0; k < max && k < 64; k++) {
            nvmlDevice_t h = NULL;
            if (nm->nvmlDeviceGetMigDeviceHandleByIndex(gpu, k, &h) != NVML_SUCCESS || !h)
                continue; /* an index with no MIG device behind it */
            if (matches(nm, h, parent, d->visible)) {
                *out = h;
                found++;
            }
        }
    }
    if (found != 1) /* none, or a prefix that names several: CUDA's context answers */
        *out = NULL;
    return found == 1;
}
