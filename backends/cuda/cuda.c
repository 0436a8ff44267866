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

#include "membudget/backend.h"
#include "cuda_syms.h"
#include "nvml_api.h"

/* The services table handed to probe (and files): the backend's only way to the rest of
 * the library. Every probe stores the same table, so concurrent probes agree. */
static const mb_backend_services *_Atomic svc;

/* The list must agree with the vendor prototypes: a redeclaration that differs from
 * cuda.h (or nvml.h) is a compile error. */
#define MB_REDECLARE(ret, name, params, args) ret name params;
MB_CUDA_SYMS(MB_REDECLARE)
MB_NVML_SYMS(MB_REDECLARE)
#undef MB_REDECLARE

/* The numbers the issue and vLLM rely on, as cuda.h (CUDA 13.0) defines them. */
_Static_assert(CU_DEVICE_ATTRIBUTE_INTEGRATED == 18, "cuda.h: attribute 18 is INTEGRATED");
_Static_assert(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN == 97,
               "cuda.h: attribute 97 is MAX_SHARED_MEMORY_PER_BLOCK_OPTIN");
_Static_assert(CUDA_ERROR_STUB_LIBRARY == 34 && CUDA_ERROR_NO_DEVICE == 100 &&
                   CUDA_ERROR_SYSTEM_DRIVER_MISMATCH == 803,
               "cuda.h: cuInit error codes");
/* cuda.h has no name for 35; it is the runtime's cudaErrorInsufficientDriver
 * (driver_types.h, CUDA 13.0), which a libcuda paired with a kernel module too old for it
 * (a cuda-compat package, a container image) reports the same way. */
#define MB_CU_INSUFFICIENT_DRIVER 35

#define CUDA_SONAME "libcuda.so.1"
#define NVML_SONAME "libnvidia-ml.so.1"
#define PROC_MEMINFO_MAX 16384
#define HUGE_SIZES_MAX 8

typedef struct cuda_api {
#define MB_FIELD(ret, name, params, args) __typeof__(name) *name;
    MB_CUDA_SYMS(MB_FIELD)
} cuda_api;
typedef struct nvml_api {
    MB_NVML_SYMS(MB_FIELD)
#undef MB_FIELD
} nvml_api;

static const char *const cuda_sym_names[] = {
#define MB_NAME(ret, name, params, args) #name,
    MB_CUDA_SYMS(MB_NAME)};
static const char *const nvml_sym_names[] = {MB_NVML_SYMS(MB_NAME)
#undef MB_NAME
};
_Static_assert(sizeof(cuda_api) == sizeof cuda_sym_names, "one pointer per CUDA symbol");
_Static_assert(sizeof(nvml_api) == sizeof nvml_sym_names, "one pointer per NVML symbol");

enum { NVML_UNTRIED = 0, NVML_READY = 1, NVML_UNUSABLE = -1 };

struct cuda_state;
typedef struct cuda_dev cuda_dev;

/* The two kinds of device: discrete (device memory) and UMA (host memory). */
typedef struct cuda_dev_ops {
    const char *name; /* mb_device_info.ops */
    int (*mem_info)(struct cuda_state *s, cuda_dev *d, mb_meminfo *out);
} cuda_dev_ops;

struct cuda_dev {
    /* static facts, read once at probe */
    CUdevice dev;
    int ordinal;
    char name[128];
    char pci[32];
    char uuid[48];
    int64_t total;
    int integrated;
    int64_t smem_optin;
    int numa_node;
    const cuda_dev_ops *ops;
    /* lazy state, under cuda_state.lock */
    CUcontext primary;  /* our retain of the primary context, or NULL */
    nvmlDevice_t nvml;  /* the NVML device joined to this one */
    int nvml_state;     /* NVML_READY or NVML_UNUSABLE once NVML was initialised */
};

/* Where the hugetlb pool is read from, per snapshot (integrated devices only). */
typedef struct huge_pools {
    int sysfs;                      /* 1: the nr_hugepages files below; 0: /proc/meminfo */
    int n;
    int fd[HUGE_SIZES_MAX];         /* /sys/kernel/mm/hugepages/hugepages-<k>kB/nr_hugepages */
    int64_t page[HUGE_SIZES_MAX];   /* page size in bytes */
} huge_pools;

typedef struct cuda_state {
    const mb_platform *plat;
    huge_pools huge;
    cuda_api cu;
    nvml_api nv;
    int nvml_loaded;            /* the NVML library and every symbol were found */
    int nvml_init;              /* NVML_UNTRIED, NVML_READY, NVML_UNUSABLE */
    pthread_mutex_t lock;
    char lib_path[256];
    int driver_version;
    int n;
    cuda_dev devs[];
} cuda_state;

/* ---- errors --------------------------------------------------------------------------- */

/* Names of the codes this file acts on, for when cuGetErrorName cannot say (NVIDIA's stub
 * answers every call, cuGetErrorName included, with CUDA_ERROR_STUB_LIBRARY). */
static const char *known_name(CUresult r)
{
    switch ((int)r) {
    case CUDA_ERROR_OUT_OF_MEMORY:
        return "CUDA_ERROR_OUT_OF_MEMORY";
    case CUDA_ERROR_NOT_INITIALIZED:
        return "CUDA_ERROR_NOT_INITIALIZED";
    case CUDA_ERROR_DEINITIALIZED:
        return "CUDA_ERROR_DEINITIALIZED";
    case CUDA_ERROR_STUB_LIBRARY:
        return "CUDA_ERROR_STUB_LIBRARY";
    case MB_CU_INSUFFICIENT_DRIVER:
        return "CUDA_ERROR_INSUFFICIENT_DRIVER";
    case CUDA_ERROR_NO_DEVICE:
        return "CUDA_ERROR_NO_DEVICE";
    case CUDA_ERROR_INVALID_CONTEXT:
        return "CUDA_ERROR_INVALID_CONTEXT";
    case CUDA_ERROR_OPERATING_SYSTEM:
        return "CUDA_ERROR_OPERATING_SYSTEM";
    case CUDA_ERROR_NOT_PERMITTED:
        return "CUDA_ERROR_NOT_PERMITTED";
    case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
        return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
    case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
        return "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
    case CUDA_ERROR_UNKNOWN:
        return "CUDA_ERROR_UNKNOWN";
    default:
        return NULL;
    }
}

/* "NAME (code): text" for r; the driver's own words when it has them. */
static void cu_describe(const cuda_api *cu, CUresult r, char *buf, size_t size)
{
    const char *name = NULL, *text = NULL;
    if (cu->cuGetErrorName && cu->cuGetErrorName(r, &name) != CUDA_SUCCESS)
        name = NULL;
    if (cu->cuGetErrorString && cu->cuGetErrorString(r, &text) != CUDA_SUCCESS)
        text = NULL;
    if (!name)
        name = known_name(r);
    snprintf(buf, size, "%s (%d)%s%s", name ? name : "CUDA error", (int)r, text ? ": " : "",
             text ? text : "");
}

/* Sets the detail for a failed driver call on device d (NULL: no device) and returns the
 * mb_error for it. */
static int cu_fail(const cuda_state *s, const cuda_dev *d, const char *call, CUresult r)
{
    char what[192];
    cu_describe(&s->cu, r, what, sizeof what);
    const char *hint = "; check that the driver works (nvidia-smi) and the kernel log "
                       "(dmesg) for Xid errors";
    int code = MB_EBACKEND;
    if (r == CUDA_ERROR_OUT_OF_MEMORY) {
        hint = "; free device memory or ask for less";
        code = MB_ENOMEM;
    } else if (r == CUDA_ERROR_DEINITIALIZED) {
        hint = "; the driver is shutting down (a call at process exit?)";
    }
    char dev[24] = "cuda";
    if (d)
        snprintf(dev, sizeof dev, "cuda:%d", d->ordinal);
    return svc->error(code, "%s: %s failed: %s%s", dev, call, what, hint);
}

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
static int init_failed(const cuda_api *cu, const char *path, CUresult r, mb_probe_result *res)
{
    char what[192];
    cu_describe(cu, r, what, sizeof what);
    const char *cvd = svc->getenv("CUDA_VISIBLE_DEVICES", NULL);
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

static const cuda_dev_ops discrete_ops;
static const cuda_dev_ops uma_ops;
static void huge_open(const mb_platform *plat, huge_pools *h);

static int read_numa_node(const mb_platform *plat, const char *pci)
{
    char path[96], buf[32];
    size_t k = 0;
    char low[32];
    for (; pci[k] && k + 1 < sizeof low; k++)
        low[k] = (char)tolower((unsigned char)pci[k]);
    low[k] = '\0';
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/numa_node", low);
    if (!low[0] || !svc->exists(plat, path) || svc->read_file(plat, path, buf, sizeof buf) < 0)
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
        return cu_fail(s, d, "cuDeviceGet", r);
    if ((r = cu->cuDeviceGetName(d->name, (int)sizeof d->name, d->dev)))
        return cu_fail(s, d, "cuDeviceGetName", r);
    d->name[sizeof d->name - 1] = '\0';
    if ((r = cu->cuDeviceGetPCIBusId(d->pci, (int)sizeof d->pci, d->dev)))
        return cu_fail(s, d, "cuDeviceGetPCIBusId", r);
    d->pci[sizeof d->pci - 1] = '\0';
    CUuuid u;
    if ((r = cu->cuDeviceGetUuid_v2(&u, d->dev)))
        return cu_fail(s, d, "cuDeviceGetUuid_v2", r);
    const unsigned char *b = (const unsigned char *)u.bytes;
    snprintf(d->uuid, sizeof d->uuid,
             "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    size_t total = 0;
    if ((r = cu->cuDeviceTotalMem_v2(&total, d->dev)))
        return cu_fail(s, d, "cuDeviceTotalMem_v2", r);
    if (total == 0 || total > (size_t)INT64_MAX)
        return svc->error(MB_EBACKEND, "cuda:%d: cuDeviceTotalMem_v2 reports %zu bytes; the "
                                      "driver is not usable (check nvidia-smi)", i, total);
    d->total = (int64_t)total;
    int v = 0;
    if ((r = cu->cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_INTEGRATED, d->dev)))
        return cu_fail(s, d, "cuDeviceGetAttribute(CU_DEVICE_ATTRIBUTE_INTEGRATED)", r);
    d->integrated = v != 0;
    if ((r = cu->cuDeviceGetAttribute(&v, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                                      d->dev)))
        return cu_fail(s, d, "cuDeviceGetAttribute("
                             "CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)", r);
    d->smem_optin = v;
    d->ops = d->integrated ? &uma_ops : &discrete_ops;
    d->numa_node = read_numa_node(s->plat, d->pci);
    return MB_OK;
}

static int cuda_probe(const mb_platform *plat, const mb_backend_services *services, void **state,
                      mb_probe_result *res)
{
    svc = services;
    *state = NULL;
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
        return init_failed(&cu, path, r, res);
    int version = 0, count = 0;
    if ((r = cu.cuDriverGetVersion(&version)) != CUDA_SUCCESS) {
        char what[192];
        cu_describe(&cu, r, what, sizeof what);
        return set_state(res, MB_PROBE_BROKEN, "%s: cuDriverGetVersion failed: %s; check "
                                               "nvidia-smi", path, what);
    }
    if ((r = cu.cuDeviceGetCount(&count)) != CUDA_SUCCESS) {
        char what[192];
        cu_describe(&cu, r, what, sizeof what);
        return set_state(res, MB_PROBE_BROKEN, "%s: cuDeviceGetCount failed: %s; check "
                                               "nvidia-smi", path, what);
    }
    if (count <= 0) {
        const char *cvd = svc->getenv("CUDA_VISIBLE_DEVICES", NULL);
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
        huge_open(plat, &s->huge);
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
    for (int i = 0; i < s->n; i++)
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

static cuda_dev *dev_at(cuda_state *s, int i)
{
    if (i < 0 || i >= s->n) {
        svc->error(MB_ENODEV, "cuda device %d does not exist (this driver shows %d)", i, s->n);
        return NULL;
    }
    return &s->devs[i];
}

static int cuda_device_info(void *st, int i, mb_backend_device *out)
{
    cuda_dev *d = dev_at(st, i);
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
    return MB_OK;
}

static int cuda_max_shared_memory(void *st, int i, int64_t *out)
{
    cuda_dev *d = dev_at(st, i);
    if (!d)
        return MB_ENODEV;
    *out = d->smem_optin;
    return MB_OK;
}

/* ---- contexts ------------------------------------------------------------------------- */

/* Whether the calling thread's current context lives on d (*yes), naming the failed call
 * otherwise. */
static int current_is(cuda_state *s, cuda_dev *d, int *yes)
{
    *yes = 0;
    CUcontext cur = NULL;
    CUresult r = s->cu.cuCtxGetCurrent(&cur);
    if (r)
        return cu_fail(s, d, "cuCtxGetCurrent", r);
    if (!cur)
        return MB_OK;
    CUdevice cd = -1;
    if ((r = s->cu.cuCtxGetDevice(&cd)))
        return cu_fail(s, d, "cuCtxGetDevice", r);
    *yes = cd == d->dev;
    return MB_OK;
}

/* Retains d's primary context once (kept until shutdown) and pushes it on the calling
 * thread's stack. Pair with pop_primary. */
static int push_primary(cuda_state *s, cuda_dev *d)
{
    pthread_mutex_lock(&s->lock);
    CUcontext ctx = d->primary;
    CUresult r = CUDA_SUCCESS;
    if (!ctx) {
        r = s->cu.cuDevicePrimaryCtxRetain(&ctx, d->dev);
        if (r == CUDA_SUCCESS)
            d->primary = ctx;
    }
    pthread_mutex_unlock(&s->lock);
    if (r)
        return cu_fail(s, d, "cuDevicePrimaryCtxRetain", r);
    if ((r = s->cu.cuCtxPushCurrent_v2(ctx)))
        return cu_fail(s, d, "cuCtxPushCurrent_v2", r);
    return MB_OK;
}

/* Pops what push_primary pushed. rc is the result of the work done in between: it wins
 * over a failed pop, whose detail is then appended. */
static int pop_primary(cuda_state *s, cuda_dev *d, int rc)
{
    CUcontext popped = NULL;
    CUresult r = s->cu.cuCtxPopCurrent_v2(&popped);
    if (r == CUDA_SUCCESS && popped == d->primary)
        return rc;
    if (rc) {
        char first[512];
        snprintf(first, sizeof first, "%s", svc->detail());
        char what[192];
        cu_describe(&s->cu, r, what, sizeof what);
        return svc->error(rc, "%s; then cuCtxPopCurrent_v2 failed: %s", first, what);
    }
    if (r)
        return cu_fail(s, d, "cuCtxPopCurrent_v2", r);
    return svc->error(MB_EBACKEND, "cuda:%d: cuCtxPopCurrent_v2 popped another context than "
                                  "the primary context membudget pushed; the caller changed "
                                  "the context stack from another library call", d->ordinal);
}

/* ---- free memory ---------------------------------------------------------------------- */

/* Initialises NVML and joins its devices to ours, once. Failures are not errors: the
 * snapshot falls back to a context. Under s->lock. */
static void nvml_init_locked(cuda_state *s)
{
    if (s->nvml_init != NVML_UNTRIED)
        return;
    s->nvml_init = NVML_UNUSABLE;
    if (!s->nvml_loaded || s->nv.nvmlInit_v2() != NVML_SUCCESS)
        return;
    s->nvml_init = NVML_READY;
    for (int i = 0; i < s->n; i++) {
        cuda_dev *d = &s->devs[i];
        nvmlDevice_t h = NULL;
        if (s->nv.nvmlDeviceGetHandleByUUID(d->uuid, &h) != NVML_SUCCESS || !h) {
            h = NULL;
            if (s->nv.nvmlDeviceGetHandleByPciBusId_v2(d->pci, &h) != NVML_SUCCESS)
                h = NULL;
        }
        d->nvml = h;
        d->nvml_state = h ? NVML_READY : NVML_UNUSABLE;
    }
}

/* NVML's free for d: 1 when it answered (*free set), 0 when the caller must fall back. */
static int nvml_free(cuda_state *s, cuda_dev *d, int64_t *free_out)
{
    pthread_mutex_lock(&s->lock);
    nvml_init_locked(s);
    nvmlDevice_t h = d->nvml_state == NVML_READY ? d->nvml : NULL;
    pthread_mutex_unlock(&s->lock);
    if (!h)
        return 0;
    nvmlMemory_t m;
    memset(&m, 0, sizeof m);
    nvmlReturn_t r = s->nv.nvmlDeviceGetMemoryInfo(h, &m);
    int keep = 1;
    if (r == NVML_ERROR_NOT_SUPPORTED) /* GB10 answers so: never ask again */
        keep = 0;
    else if (r == NVML_SUCCESS) {
        /* NVML's total counts memory the driver reserves, which CUDA's total leaves out; a
         * total off by more than 1/16 means the join matched the wrong thing (a MIG slice
         * joined by PCI id to its whole GPU). */
        int64_t nt = (int64_t)m.total, slack = d->total / 16;
        if (m.total > (unsigned long long)INT64_MAX || nt < d->total - slack ||
            nt > d->total + slack)
            keep = 0;
    }
    if (!keep) {
        pthread_mutex_lock(&s->lock);
        d->nvml_state = NVML_UNUSABLE;
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    if (r != NVML_SUCCESS)
        return 0; /* transient: the context path answers this time */
    /* NVML's v1 free is total - (reserved + allocated), and CUDA's total leaves the
     * reserved part out, so NVML's free is comparable with cuMemGetInfo's; the total stays
     * CUDA's, so device used does not move between sources (a free above it is clamped
     * and flagged by the caller). */
    *free_out = m.free > (unsigned long long)INT64_MAX ? INT64_MAX : (int64_t)m.free;
    return 1;
}

/* The driver's free for d, from the first source that answers (see the file comment).
 * Without may_retain the primary context is never touched: *src stays MB_SOURCE_NONE and
 * *free_out MB_UNKNOWN when neither a current context nor NVML answers. */
static int driver_free(cuda_state *s, cuda_dev *d, int may_retain, int64_t *free_out,
                       mb_source *src)
{
    *free_out = 0;
    *src = MB_SOURCE_NONE;
    int here = 0;
    int rc = current_is(s, d, &here);
    if (rc)
        return rc;
    size_t f = 0, t = 0;
    CUresult r;
    if (here) {
        if ((r = s->cu.cuMemGetInfo_v2(&f, &t)))
            return cu_fail(s, d, "cuMemGetInfo_v2", r);
        *free_out = f > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f;
        *src = MB_SOURCE_CUDA_CURRENT_CONTEXT;
        return MB_OK;
    }
    if (nvml_free(s, d, free_out)) {
        *src = MB_SOURCE_NVML;
        return MB_OK;
    }
    if (!may_retain) {
        *free_out = MB_UNKNOWN;
        return MB_OK;
    }
    if ((rc = push_primary(s, d)))
        return rc;
    if ((r = s->cu.cuMemGetInfo_v2(&f, &t)))
        rc = cu_fail(s, d, "cuMemGetInfo_v2", r);
    rc = pop_primary(s, d, rc);
    if (rc)
        return rc;
    *free_out = f > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f;
    *src = MB_SOURCE_CUDA_PRIMARY_CONTEXT;
    return MB_OK;
}

static int discrete_mem_info(cuda_state *s, cuda_dev *d, mb_meminfo *out)
{
    int64_t f;
    mb_source src;
    int rc = driver_free(s, d, 1, &f, &src);
    if (rc)
        return rc;
    out->total = d->total;
    out->source = src;
    if (f < 0)
        f = 0;
    if (f > d->total) {
        f = d->total;
        out->flags |= MB_SNAP_CLAMPED;
    }
    out->free = f;
    return MB_OK;
}

/* Opens the per-size pool counts once (probe), so that a snapshot reads a few bytes per
 * page size instead of all of /proc/meminfo (about 2 us against 17 us per read on the
 * development VM, python3 os.pread loop, 2026-11-23). Without the sysfs folder (old
 * kernels, machine dumps) snapshots read /proc/meminfo on the platform's kept descriptor. */
static void huge_open(const mb_platform *plat, huge_pools *h)
{
    memset(h, 0, sizeof *h);
    static const char dir[] = "/sys/kernel/mm/hugepages";
    if (!svc->exists(plat, dir))
        return;
    int dfd = svc->open_file(plat, dir);
    if (dfd < 0)
        return;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    int ok = 1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned long kb = 0;
        char tail[4] = "";
        if (sscanf(e->d_name, "hugepages-%lu%3s", &kb, tail) != 2 || strcmp(tail, "kB") != 0 ||
            kb == 0)
            continue;
        char path[128];
        snprintf(path, sizeof path, "%s/%s/nr_hugepages", dir, e->d_name);
        int fd = h->n < HUGE_SIZES_MAX ? svc->open_file(plat, path) : -1;
        if (fd < 0) {
            ok = 0;
            break;
        }
        h->fd[h->n] = fd;
        h->page[h->n] = (int64_t)kb * 1024;
        h->n++;
    }
    closedir(d);
    if (!ok) { /* fall back to /proc/meminfo rather than miss a size */
        for (int i = 0; i < h->n; i++)
            close(h->fd[i]);
        memset(h, 0, sizeof *h);
        return;
    }
    h->sysfs = 1;
}

/* Bytes held by the hugetlb pools: the sysfs counts, else /proc/meminfo ("Hugetlb:", every
 * page size, else HugePages_Total x Hugepagesize); 0 when none. */
static int hugetlb_pool(const mb_platform *plat, const huge_pools *h, int64_t *pool)
{
    *pool = 0;
    if (h->sysfs) {
        for (int i = 0; i < h->n; i++) {
            char buf[32];
            long n = svc->pread_file(h->fd[i], "/sys/kernel/mm/hugepages/*/nr_hugepages", buf,
                                    sizeof buf);
            if (n < 0)
                return (int)n;
            char *end;
            long long c = strtoll(buf, &end, 10);
            if (end == buf || c < 0)
                return svc->error(MB_EPARSE, "/sys/kernel/mm/hugepages: nr_hugepages '%.20s' is "
                                            "not a count", buf);
            if (c > 0 && c <= (INT64_MAX - *pool) / h->page[i])
                *pool += c * h->page[i];
        }
        return MB_OK;
    }
    char buf[PROC_MEMINFO_MAX];
    long n = svc->meminfo_read(plat, buf, sizeof buf); /* the platform's kept descriptor */
    if (n < 0)
        return (int)n;
    int64_t all, count, size;
    int rc;
    if ((rc = svc->meminfo_value(buf, "Hugetlb", &all)) ||
        (rc = svc->meminfo_value(buf, "HugePages_Total", &count)) ||
        (rc = svc->meminfo_value(buf, "Hugepagesize", &size)))
        return rc;
    if (all != MB_UNKNOWN && all > 0)
        *pool = all;
    else if (count != MB_UNKNOWN && size != MB_UNKNOWN && count > 0 && size > 0 &&
             count <= INT64_MAX / size)
        *pool = count * size;
    return MB_OK;
}

static int uma_mem_info(cuda_state *s, cuda_dev *d, mb_meminfo *out)
{
    int64_t f;
    mb_source src;
    int rc = driver_free(s, d, 0, &f, &src);
    if (rc)
        return rc;
    if ((rc = svc->uma_meminfo(s->plat, f, d->total, out)))
        return rc;
    int64_t pool;
    if ((rc = hugetlb_pool(s->plat, &s->huge, &pool)))
        return rc;
    if (pool > 0) {
        int64_t cap = out->total - pool;
        if (cap < 0)
            cap = 0;
        if (out->free > cap)
            out->free = cap;
    }
    return MB_OK;
}

static const cuda_dev_ops discrete_ops = {"cuda", discrete_mem_info};
static const cuda_dev_ops uma_ops = {"cuda-uma", uma_mem_info};

static int cuda_mem_info(void *st, int i, mb_meminfo *out)
{
    cuda_dev *d = dev_at(st, i);
    if (!d)
        return MB_ENODEV;
    return d->ops->mem_info(st, d, out);
}

/* ---- synchronize, allocate, free ------------------------------------------------------ */

static int cuda_synchronize(void *st, int i)
{
    cuda_state *s = st;
    cuda_dev *d = dev_at(s, i);
    if (!d)
        return MB_ENODEV;
    int here = 0, rc = current_is(s, d, &here);
    if (rc)
        return rc;
    CUresult r;
    if (here)
        return (r = s->cu.cuCtxSynchronize()) ? cu_fail(s, d, "cuCtxSynchronize", r) : MB_OK;
    if ((rc = push_primary(s, d)))
        return rc;
    if ((r = s->cu.cuCtxSynchronize()))
        rc = cu_fail(s, d, "cuCtxSynchronize", r);
    return pop_primary(s, d, rc);
}

static int cuda_alloc(void *st, int i, size_t bytes, void **ptr)
{
    cuda_state *s = st;
    cuda_dev *d = dev_at(s, i);
    if (!d)
        return MB_ENODEV;
    if (svc->foreign(s->plat))
        return svc->error(MB_EFOREIGN, "cuda:%d: cannot allocate while reading the machine dump "
                                      "%s; unset MEMBUDGET_SYSROOT", i, svc->root(s->plat));
    int rc = push_primary(s, d);
    if (rc)
        return rc;
    CUdeviceptr p = 0;
    CUresult r = s->cu.cuMemAlloc_v2(&p, bytes);
    if (r)
        rc = cu_fail(s, d, "cuMemAlloc_v2", r);
    else if (!p)
        rc = svc->error(MB_EBACKEND, "cuda:%d: cuMemAlloc_v2 returned a null pointer for %zu "
                                    "bytes", i, bytes);
    rc = pop_primary(s, d, rc);
    if (rc) {
        if (r == CUDA_SUCCESS && p) /* the pop failed: give the memory back */
            (void)s->cu.cuMemFree_v2(p);
        return rc;
    }
    *ptr = (void *)(uintptr_t)p;
    return MB_OK;
}

static int cuda_free(void *st, int i, void *ptr, size_t bytes, int *freed)
{
    (void)bytes;
    *freed = 0;
    cuda_state *s = st;
    cuda_dev *d = dev_at(s, i);
    if (!d)
        return MB_ENODEV;
    int rc = push_primary(s, d);
    if (rc)
        return rc;
    CUresult r = s->cu.cuMemFree_v2((CUdeviceptr)(uintptr_t)ptr);
    if (r)
        rc = cu_fail(s, d, "cuMemFree_v2", r);
    else
        *freed = 1; /* whatever the pop below says */
    return pop_primary(s, d, rc);
}

/* backends/cuda/cuda_procs.c (issue 18) */
int mb__cuda_processes(void *state, int i, const mb_device_info *dev,
                       int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                       size_t why_size);

const struct mb_backend_ops mb__backend_cuda = {
    .version = MB_BACKEND_VERSION,
    .name = "cuda",
    .platform_name = "cuda",
    .probe = cuda_probe,
    .device_count = cuda_device_count,
    .device_info = cuda_device_info,
    .mem_info = cuda_mem_info,
    .max_shared_memory = cuda_max_shared_memory,
    .synchronize = cuda_synchronize,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .shutdown = cuda_shutdown,
    .processes = mb__cuda_processes,
};
