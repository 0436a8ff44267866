/*
 * backends/cuda/cuda.c: NVIDIA GPUs through the CUDA driver API, opened with dlopen.
 *
 * Loading. libcuda.so.1 is opened by its versioned soname (never "libcuda.so", never a
 * stubs/ path) and every entry point in cuda_syms.h is resolved with dlsym; the types come
 * from the toolkit's cuda.h at build time, and nothing links a vendor library. A library
 * that is not there is "absent"; one that loads but lacks a symbol is "broken" and the
 * reason names the symbol and the file. Handles are never closed. libnvidia-ml.so.1 is
 * opened the same way and is optional.
 *
 * Probe (lazy: only when the context is probed, never from a constructor, because a
 * process that forks after cuInit loses CUDA in the child). cuInit(0), then per device,
 * without creating a context: name, PCI bus id, UUID, cuDeviceTotalMem_v2, attribute 18
 * (integrated), which picks the discrete ops or the "cuda-uma" ops, and attribute 97 (max
 * shared memory per block, opt-in: vLLM's get_max_shared_memory_bytes). The driver applies
 * CUDA_VISIBLE_DEVICES; ordinals here are the driver's.
 *
 * Free memory, per snapshot, first that answers:
 *  1. the caller's current context when it lives on this device (cuCtxGetCurrent,
 *     cuCtxGetDevice, cuMemGetInfo_v2): what an engine that already runs sees;
 *  2. NVML (nvmlDeviceGetMemoryInfo), which needs no context; devices are joined to CUDA's
 *     by UUID, else by PCI bus id, never by index (NVML ignores CUDA_VISIBLE_DEVICES), and a
 *     join whose NVML total is not within 1/16 of CUDA's total is dropped (a MIG slice
 *     matched to its whole GPU by PCI id); NVML is initialised at the first snapshot that
 *     needs it, not at probe;
 *  3. the device's primary context, retained once and kept until shutdown, pushed and
 *     popped around cuMemGetInfo_v2 (never cuCtxSetCurrent; no context is ever destroyed).
 * docs/cuda.md gives what each path costs.
 *
 * Integrated devices (Jetson, GB10) report through the shared UMA policy
 * (mb__uma_meminfo: host MemAvailable bounded by the container limit; the driver's free,
 * measured as above, is kept beside it) and then by the hugetlb pool: pool pages cannot
 * back cuMemAlloc, so free <= driver total - pool.
 *
 * Thread safety: after probe every slot may run on several threads; the lazy primary
 * context and NVML initialisation are under one mutex. Push/pop use the calling thread's
 * own context stack.
 */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuda.h>

#include "cuda_internal.h"

/* The list must agree with the vendor prototypes: a redeclaration that differs from
 * cuda.h (or nvml.h) is a compile error. */
#define MB_REDECLARE(ret, name, params, args) ret name params;
MB_CUDA_SYMS(MB_REDECLARE)
MB_NVML_SYMS(MB_REDECLARE)
#undef MB_REDECLARE

/* The numbers this backend and vLLM rely on, as cuda.h (CUDA 13.0) defines them. */
_Static_assert(CU_DEVICE_ATTRIBUTE_INTEGRATED == 18, "cuda.h: attribute 18 is INTEGRATED");
_Static_assert(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN == 97,
               "cuda.h: attribute 97 is MAX_SHARED_MEMORY_PER_BLOCK_OPTIN");
_Static_assert(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR == 75 &&
                   CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR == 76,
               "cuda.h: attributes 75 and 76 are the compute capability");
_Static_assert(CUDA_ERROR_STUB_LIBRARY == 34 && CUDA_ERROR_NO_DEVICE == 100 &&
                   CUDA_ERROR_SYSTEM_DRIVER_MISMATCH == 803,
               "cuda.h: cuInit error codes");

static const char *const cuda_sym_names[] = {
#define MB_NAME(ret, name, params, args) #name,
    MB_CUDA_SYMS(MB_NAME)};
static const char *const nvml_sym_names[] = {MB_NVML_SYMS(MB_NAME)};
static const char *const nvml_mig_sym_names[] = {MB_NVML_MIG_SYMS(MB_NAME)
#undef MB_NAME
};
_Static_assert(sizeof(nvml_mig_api) == sizeof nvml_mig_sym_names, "one pointer per MIG symbol");
_Static_assert(sizeof(cuda_api) == sizeof cuda_sym_names, "one pointer per CUDA symbol");
_Static_assert(sizeof(nvml_api) == sizeof nvml_sym_names, "one pointer per NVML symbol");

/* ---- loading -------------------------------------------------------------------------- */

static void lib_path(void *h, const char *soname, char *buf, size_t size)
{
    struct link_map *lm = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0])
        snprintf(buf, size, "%s", lm->l_name);
    else
        snprintf(buf, size, "%s", soname);
}

/* Resolves names[0..n) into table (an array of n function pointers stored as void *
 * sized slots). Returns the index of the first missing symbol, or -1. */
static int resolve(void *h, const char *const *names, size_t n, void *table)
{
    for (size_t i = 0; i < n; i++) {
        void *p = svc->dl_sym(h, names[i]);
        if (!p)
            return (int)i;
        memcpy((char *)table + i * sizeof(void (*)(void)), &p, sizeof p);
    }
    return -1;
}

/* Opens NVML (no nvmlInit here). On failure why says what is missing. */
static void nvml_load(cuda_state *s, char *why, size_t size)
{
    char dlwhy[256];
    void *h = svc->dl_open(NVML_SONAME, NULL, dlwhy, sizeof dlwhy);
    if (!h) {
        snprintf(why, size, "NVML not loaded (%s), so free memory comes from a CUDA context",
                 dlwhy);
        return;
    }
    char path[256];
    lib_path(h, NVML_SONAME, path, sizeof path);
    int miss = resolve(h, nvml_sym_names, sizeof nvml_sym_names / sizeof *nvml_sym_names,
                       &s->nv);
    if (miss >= 0) {
        memset(&s->nv, 0, sizeof s->nv);
        snprintf(why, size, "NVML at %s lacks %s, so free memory comes from a CUDA context",
                 path, nvml_sym_names[miss]);
        return;
    }
    s->nvml_loaded = 1;
    s->nvml_mig = resolve(h, nvml_mig_sym_names,
                          sizeof nvml_mig_sym_names / sizeof *nvml_mig_sym_names, &s->nm) < 0;
    if (!s->nvml_mig)
        memset(&s->nm, 0, sizeof s->nm);
    snprintf(why, size, "NVML %s", path);
}

/* ---- probe ---------------------------------------------------------------------------- */

static void cuda_shutdown(void *st);

static int set_state(mb_probe_result *res, mb_probe_state state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_state(mb_probe_result *res, mb_probe_state state, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    res->state = state;
    vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    va_end(ap);
    return MB_OK;
}

/* cuInit's failures, mapped to absent (nothing to fix on this machine's CUDA side) or
 * broken (a driver is there but unusable), each with what a person can do. */
static int init_failed(const mb_platform *plat, const cuda_api *cu, const char *path, CUresult r,
                       mb_probe_result *res)
{
    char what[192];
    mb__cuda_describe(cu, r, what, sizeof what);
    const char *cvd = svc->env(plat, "CUDA_VISIBLE_DEVICES", NULL);
    switch ((int)r) {
    case CUDA_ERROR_STUB_LIBRARY:
        return set_state(res, MB_PROBE_ABSENT,
                         "%s is NVIDIA's stub library, with no driver behind it (cuInit: %s); "
                         "install the NVIDIA driver, or take the CUDA Toolkit's stubs/ folder "
                         "off LD_LIBRARY_PATH", path, what);
    case CUDA_ERROR_NO_DEVICE:
        return set_state(res, MB_PROBE_ABSENT,
                         "the NVIDIA driver sees no CUDA device (cuInit: %s)%s%s%s; check "
                         "nvidia-smi", what, cvd ? " with CUDA_VISIBLE_DEVICES='" : "",
                         cvd ? cvd : "", cvd ? "': it may hide every GPU" : "");
    case MB_CU_INSUFFICIENT_DRIVER:
        return set_state(res, MB_PROBE_BROKEN,
                         "%s: the installed NVIDIA kernel driver is older than this libcuda "
                         "needs (cuInit: %s); update the NVIDIA driver, or take the "
                         "cuda-compat libcuda off LD_LIBRARY_PATH", path, what);
    case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
        return set_state(res, MB_PROBE_BROKEN,
                         "%s does not match the loaded NVIDIA kernel module (cuInit: %s); the "
                         "driver was updated without a reboot, or another libcuda is on the "
                         "library path: reboot, or reinstall the driver so that libcuda and "
                         "/proc/driver/nvidia/version agree", path, what);
    case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
        return set_state(res, MB_PROBE_BROKEN,
                         "%s is a forward-compatibility libcuda this GPU does not support "
                         "(cuInit: %s); take cuda-compat off LD_LIBRARY_PATH", path, what);
    case CUDA_ERROR_OPERATING_SYSTEM:
    case CUDA_ERROR_NOT_PERMITTED:
        return set_state(res, MB_PROBE_BROKEN,
                         "%s: cuInit: %s; check that this user can open /dev/nvidia* (in a "
                         "container: the NVIDIA container runtime)", path, what);
    case CUDA_ERROR_UNKNOWN:
        return set_state(res, MB_PROBE_BROKEN,
                         "%s: cuInit: %s; this often means the nvidia-uvm kernel module is not "
                         "loaded (modprobe nvidia-uvm) or /dev/nvidia-uvm is missing in a "
                         "container", path, what);
    default:
        return set_state(res, MB_PROBE_BROKEN, "%s: cuInit: %s; check nvidia-smi and the "
                                               "kernel log (dmesg)", path, what);
    }
}


static int read_numa_node(const mb_platform *plat, const char *pci)
{
    char path[96], buf[32];
    size_t k = 0;
    char low[32];
    for (; pci[k] && k + 1 < sizeof low; k++)
        low[k] = (char)tolower((unsigned char)pci[k]);
    low[k] = '\0';
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/numa_node", low);
    int present = 0;
    if (!low[0] || svc->read_if(plat, path, buf, sizeof buf, &present) < 0 || !present)
        return -1;
    char *end;
    long v = strtol(buf, &end, 10);
    return end != buf && v >= 0 && v < MB_MAX_NODES ? (int)v : -1;
}

/* Reads device i's static facts; on failure sets the detail (naming the call). */
static int read_device(cuda_state *s, int i)
{
    cuda_dev *d = &s->devs[i];
    const cuda_api *cu = &s->cu;
    CUresult r;
    d->ordinal = i;
    d->nvml_state = NVML_UNUSABLE;
    if ((r = cu->cuDeviceGet(&d->dev, i)))
        return mb__cuda_fail(s, d, "cuDeviceGet", r);
    if ((r = cu->cuDeviceGetName(d->name, (int)sizeof d->name, d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceGetName", r);
    d->name[sizeof d->name - 1] = '\0';
    if ((r = cu->cuDeviceGetPCIBusId(d->pci, (int)sizeof d->pci, d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceGetPCIBusId", r);
    d->pci[sizeof d->pci - 1] = '\0';
    CUuuid u;
    if ((r = cu->cuDeviceGetUuid_v2(&u, d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceGetUuid_v2", r);
    const unsigned char *b = (const unsigned char *)u.bytes;
    /* a MIG device (named so by CUDA_VISIBLE_DEVICES): cuDeviceGetUuid_v2 gives the MIG
     * device's own UUID, which NVIDIA writes MIG-<uuid> (cuda.h, cuDeviceGetUuid_v2) */
    mb__cuda_mig_visible(s->plat, i, d->visible, sizeof d->visible);
    snprintf(d->uuid, sizeof d->uuid,
             "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             d->visible[0] ? "MIG" : "GPU", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    size_t total = 0;
    if ((r = cu->cuDeviceTotalMem_v2(&total, d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceTotalMem_v2", r);
    if (total == 0 || total > (size_t)INT64_MAX)
        return svc->error(MB_EBACKEND, "cuda:%d: cuDeviceTotalMem_v2 reports %zu bytes; the "
                                      "driver is not usable (check nvidia-smi)", i, total);
    d->total = (int64_t)total;
    int v = 0;
    if ((r = cu->cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_INTEGRATED, d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceGetAttribute(CU_DEVICE_ATTRIBUTE_INTEGRATED)", r);
    d->integrated = v != 0;
    if ((r = cu->cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                                      d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceGetAttribute("
                             "CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)", r);
    d->smem_optin = v;
    /* the compute capability vLLM's defaults depend on (torch.cuda.get_device_capability
     * reads the same attributes) */
    if ((r = cu->cuDeviceGetAttribute(&d->cc_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                      d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceGetAttribute("
                             "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)", r);
    if ((r = cu->cuDeviceGetAttribute(&d->cc_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                      d->dev)))
        return mb__cuda_fail(s, d, "cuDeviceGetAttribute("
                             "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)", r);
    d->ops = d->integrated ? &mb__cuda_uma_ops : &mb__cuda_discrete_ops;
    d->numa_node = read_numa_node(s->plat, d->pci);
    return MB_OK;
}

static int cuda_probe(const mb_platform *plat, const mb_backend_services *services, void **state,
                      mb_probe_result *res)
{
    svc = services;
    *state = NULL;
    if (svc->version < 3) {
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason, "the library's services table is version %u; "
                 "this backend needs 3", svc->version);
        return MB_OK;
    }
    const char *force = svc->env(plat, "MEMBUDGET_CUDA_FORCE_DRIVER", NULL);
    if (force && *force && strcmp(force, "1") != 0 && strcmp(force, "0") != 0)
        return set_state(res, MB_PROBE_BROKEN, "MEMBUDGET_CUDA_FORCE_DRIVER='%.60s' is not 0 "
                                               "or 1; set it to 1 to ask the driver under a "
                                               "sysroot, or unset it", force);
    if (svc->foreign(plat) && !(force && strcmp(force, "1") == 0))
        return mb__cuda_dump_probe(plat, state, res);
    char why[256];
    int absent = 0;
    void *h = svc->dl_open(CUDA_SONAME, &absent, why, sizeof why);
    if (!h) {
        if (absent)
            return set_state(res, MB_PROBE_ABSENT, "%s not found: no NVIDIA driver is "
                                                   "installed (%s)", CUDA_SONAME, why);
        if (strncmp(why, "refusing", 8) == 0) /* mb__dl_open's own refusal names the fix */
            return set_state(res, MB_PROBE_BROKEN, "%s", why);
        return set_state(res, MB_PROBE_BROKEN, "%s cannot be loaded: %s; reinstall the NVIDIA "
                                               "driver", CUDA_SONAME, why);
    }
    char path[256];
    lib_path(h, CUDA_SONAME, path, sizeof path);
    cuda_api cu;
    memset(&cu, 0, sizeof cu);
    int miss = resolve(h, cuda_sym_names, sizeof cuda_sym_names / sizeof *cuda_sym_names, &cu);
    if (miss >= 0)
        return set_state(res, MB_PROBE_BROKEN,
                         "%s lacks %s: the driver is too old or the file is not NVIDIA's "
                         "libcuda (R470 or newer is needed); update the NVIDIA driver", path,
                         cuda_sym_names[miss]);
    CUresult r = cu.cuInit(0);
    if (r != CUDA_SUCCESS)
        return init_failed(plat, &cu, path, r, res);
    int version = 0, count = 0;
    if ((r = cu.cuDriverGetVersion(&version)) != CUDA_SUCCESS) {
        char what[192];
        mb__cuda_describe(&cu, r, what, sizeof what);
        return set_state(res, MB_PROBE_BROKEN, "%s: cuDriverGetVersion failed: %s; check "
                                               "nvidia-smi", path, what);
    }
    if ((r = cu.cuDeviceGetCount(&count)) != CUDA_SUCCESS) {
        char what[192];
        mb__cuda_describe(&cu, r, what, sizeof what);
        return set_state(res, MB_PROBE_BROKEN, "%s: cuDeviceGetCount failed: %s; check "
                                               "nvidia-smi", path, what);
    }
    if (count <= 0) {
        const char *cvd = svc->env(plat, "CUDA_VISIBLE_DEVICES", NULL);
        return set_state(res, MB_PROBE_ABSENT,
                         "the NVIDIA driver (%s) reports no CUDA device (cuDeviceGetCount: "
                         "%d)%s%s%s", path, count, cvd ? "; CUDA_VISIBLE_DEVICES='" : "",
                         cvd ? cvd : "", cvd ? "' may hide every GPU" : "");
    }
    cuda_state *s = svc->calloc(1, sizeof *s + (size_t)count * sizeof(cuda_dev));
    if (!s)
        return svc->error(MB_ENOMEM, "cuda probe: out of memory for %d devices", count);
    s->plat = plat;
    s->cu = cu;
    s->n = count;
    s->driver_version = version;
    snprintf(s->lib_path, sizeof s->lib_path, "%s", path);
    pthread_mutex_init(&s->lock, NULL);
    for (int i = 0; i < count; i++) {
        int rc = read_device(s, i);
        if (rc) {
            cuda_shutdown(s);
            return set_state(res, MB_PROBE_BROKEN, "%s (%s)", svc->detail(), path);
        }
    }
    char nvml_why[320];
    nvml_load(s, nvml_why, sizeof nvml_why);
    int uma = 0;
    for (int i = 0; i < count; i++)
        uma += s->devs[i].integrated;
    if (uma) {
        mb__cuda_huge_open(plat, &s->huge);
        /* host and cgroup files, so that snapshots only read */
        int rc = svc->host_prepare(plat);
        if (rc) {
            cuda_shutdown(s);
            if (rc == MB_ENOMEM)
                return rc;
            return set_state(res, MB_PROBE_BROKEN, "integrated device: %s",
                             svc->detail());
        }
    }
    set_state(res, MB_PROBE_PRESENT, "driver %d.%d (%s); %d device%s%s; %s", version / 1000,
              (version % 1000) / 10, path, count, count == 1 ? "" : "s",
              uma ? (uma == count ? ", integrated (UMA)" : ", some integrated (UMA)") : "",
              nvml_why);
    *state = s;
    return MB_OK;
}

static void cuda_shutdown(void *st)
{
    cuda_state *s = st;
    if (!s)
        return;
    for (int i = 0; i < s->n && !s->dump; i++)
        if (s->devs[i].primary) /* best effort: nobody to report a failure to */
            (void)s->cu.cuDevicePrimaryCtxRelease_v2(s->devs[i].dev);
    if (s->nvml_init == NVML_READY)
        (void)s->nv.nvmlShutdown();
    for (int i = 0; i < s->huge.n; i++)
        close(s->huge.fd[i]);
    pthread_mutex_destroy(&s->lock);
    svc->free(s);
}

static int cuda_device_count(void *st) { return ((cuda_state *)st)->n; }

static int cuda_device_info(void *st, int i, mb_backend_device *out)
{
    cuda_dev *d = mb__cuda_dev_at(st, i);
    if (!d)
        return MB_ENODEV;
    out->index = d->ordinal;
    out->integrated = d->integrated;
    snprintf(out->ops, sizeof out->ops, "%s", d->ops->name);
    snprintf(out->model, sizeof out->model, "%s", d->name);
    snprintf(out->pci_bus_id, sizeof out->pci_bus_id, "%s", d->pci);
    snprintf(out->uuid, sizeof out->uuid, "%s", d->uuid);
    out->numa_node = d->numa_node;
    out->total_memory = d->total;
    out->cc_major = d->cc_major;
    out->cc_minor = d->cc_minor;
    return MB_OK;
}

static int cuda_max_shared_memory(void *st, int i, int64_t *out)
{
    cuda_dev *d = mb__cuda_dev_at(st, i);
    if (!d)
        return MB_ENODEV;
    *out = d->smem_optin;
    return MB_OK;
}

const struct mb_backend_ops mb__backend_cuda = {
    .version = MB_BACKEND_VERSION,
    .name = "cuda",
    .platform_name = "cuda",
    .probe = cuda_probe,
    .device_count = cuda_device_count,
    .device_info = cuda_device_info,
    .mem_info = mb__cuda_mem_info,
    .max_shared_memory = cuda_max_shared_memory,
    .synchronize = mb__cuda_synchronize,
    .alloc = mb__cuda_alloc,
    .free = mb__cuda_free,
    .shutdown = cuda_shutdown,
    .processes = mb__cuda_processes,
    .files = mb__cuda_files,
};
