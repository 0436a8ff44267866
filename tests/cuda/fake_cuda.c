/*
 * tests/cuda/fake_cuda.c: a test double of NVIDIA's libcuda.so.1, built under that soname
 * and found through LD_LIBRARY_PATH, so membudget's real loader opens it.
 *
 * Its exports are generated from backends/cuda/cuda_syms.h, the same list the backend
 * resolves: each wrapper counts the call, fails it when it is the Nth faultable call
 * (fault injection), and otherwise forwards to the impl_ function below, which has the
 * prototype of cuda.h. The machines it plays are in fake_scenarios.h; the control API
 * (fake_control.h) lets a test script other tenants, the engine's own context and faults.
 * It also serves the fake libnvidia-ml.so.1 (fake_nvml.c) through mbfake__nvml_*.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cuda.h>

#include "backends/cuda/nvml_api.h"
#include "backends/cuda/cuda_syms.h"
#include "fake_control.h"
#include "fake_scenarios.h"

#define EXPORT __attribute__((visibility("default")))

/* The control API as fake_control.h declares it: a mismatch does not compile. */
#define CONTROL_DECL(ret, name, params) EXPORT ret name params;
FAKE_CONTROL(CONTROL_DECL)
#undef CONTROL_DECL

enum {
#define SYM_ENUM(ret, name, params, args) SYM_##name,
    MB_CUDA_SYMS(SYM_ENUM)
#undef SYM_ENUM
    SYM_CUDA_COUNT
};
static const char *const sym_names[] = {
#define SYM_NAME(ret, name, params, args) #name,
    MB_CUDA_SYMS(SYM_NAME) MB_NVML_SYMS(SYM_NAME) MB_NVML_PROC_SYMS(SYM_NAME)
    MB_NVML_MIG_SYMS(SYM_NAME)
#undef SYM_NAME
};
#define NSYMS ((int)(sizeof sym_names / sizeof *sym_names))

#define MAX_PHYS 8
#define MAX_ALLOCS 4096
#define MAX_DEPTH 16

struct CUctx_st {
    int phys; /* which physical device */
};

typedef struct fake_dev {
    const char *name;
    const char *pci;
    unsigned char uuid[16];
    long long total; /* 0: from meminfo (uma) */
    long long base_used;
    int integrated;
    int smem;
    int cc; /* compute capability, major x 10 + minor */
    int nvml_mem_supported;
    long long tenant;
    long long allocated;
    int primary_refs;
    struct CUctx_st primary;
    int mig_parent;   /* a MIG device: the physical GPU it is part of; else -1 */
    int mig_mode;     /* a GPU in MIG mode: CUDA serves its MIG devices, not it */
    unsigned gi, ci;  /* a MIG device's GPU and compute instance ids */
} fake_dev;

typedef struct fake_alloc {
    CUdeviceptr ptr;
    size_t size;
    int phys;
    void *host; /* the host pages behind a host-backed uma allocation, else NULL */
} fake_alloc;

/* MB_FAKE_CUDA_UMA_HOST=1: a uma device's cuMemAlloc takes (and touches) real host pages, as a
 * real integrated GPU's does, so the host's MemAvailable falls by what the engine allocates
 * (used by the dry run of ci/cuda-uma-hw.sh on a machine without the hardware). */
static void *uma_host_pages(const fake_dev *d, size_t bytes)
{
    const char *v = getenv("MB_FAKE_CUDA_UMA_HOST");
    if (d->total != 0 || !v || strcmp(v, "1") != 0)
        return NULL;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int loaded;
    int init_rc;   /* what cuInit answers */
    int stub;      /* every call answers 34 */
    int initialised;
    int nphys;
    fake_dev phys[MAX_PHYS];
    int nvis;
    int vis[MAX_PHYS]; /* visible ordinal -> physical index */
    long calls;
    long fail_at;
    int fault_code;
    char failed[64];
    long counts[64];
    int nvml_uuid;
    int nvml_init_fail;
    int mig_old_uuid;
    long syncs_in_primary;
    fake_alloc allocs[MAX_ALLOCS];
    int nallocs;
    CUdeviceptr next_ptr;
} F;

static __thread CUcontext stack[MAX_DEPTH];
static __thread int depth;
static __thread struct CUctx_st *engine_ctx; /* what make_current set */

/* ---- scenarios ------------------------------------------------------------------------ */

static void add_dev(const char *name, const char *pci, const unsigned char uuid[16],
                    long long total, long long base, int integrated, int smem, int nvml_mem,
                    int cc)
{
    fake_dev *d = &F.phys[F.nphys];
    memset(d, 0, sizeof *d);
    d->name = name;
    d->pci = pci;
    memcpy(d->uuid, uuid, 16);
    d->total = total;
    d->base_used = base;
    d->integrated = integrated;
    d->smem = smem;
    d->nvml_mem_supported = nvml_mem;
    d->cc = cc;
    d->primary.phys = F.nphys;
    d->mig_parent = -1;
    F.nphys++;
}

/* A MIG device of GPU parent (which goes into MIG mode). */
static void add_mig(int parent, const char *name, const unsigned char uuid[16],
                    long long total, unsigned gi, unsigned ci)
{
    F.phys[parent].mig_mode = 1;
    add_dev(name, F.phys[parent].pci, uuid, total, FAKE_MIG_BASE_USED, 0, F.phys[parent].smem,
            1, F.phys[parent].cc);
    fake_dev *d = &F.phys[F.nphys - 1];
    d->mig_parent = parent;
    d->gi = gi;
    d->ci = ci;
}

/* The name NVIDIA gives device d: GPU-<uuid>, MIG-<uuid>, or (old_mig) an R450-R465 MIG
 * device's MIG-GPU-<parent uuid>/<gi>/<ci>. */
static void uuid_name(const fake_dev *d, int old_mig, char *u, size_t size)
{
    const unsigned char *b = d->uuid;
    if (d->mig_parent >= 0 && old_mig) {
        char p[48];
        uuid_name(&F.phys[d->mig_parent], 0, p, sizeof p);
        snprintf(u, size, "MIG-%s/%u/%u", p, d->gi, d->ci);
        return;
    }
    snprintf(u, size, "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             d->mig_parent >= 0 ? "MIG" : "GPU", b[0], b[1], b[2], b[3], b[4], b[5], b[6],
             b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int setup_locked(const char *scenario)
{
    memset(&F, 0, sizeof F);
    F.loaded = 1;
    F.fault_code = CUDA_ERROR_UNKNOWN;
    F.nvml_uuid = 1;
    F.next_ptr = 0x7f0000000000ULL;
    static const unsigned char u80[16] = FAKE_D80_UUID_BYTES, ua[16] = FAKE_A100_UUID_BYTES,
                               ul4[16] = FAKE_L4_UUID_BYTES, ugb[16] = FAKE_GB10_UUID_BYTES;
    if (!scenario || !*scenario || strcmp(scenario, "discrete80") == 0) {
        add_dev(FAKE_D80_NAME, FAKE_D80_PCI, u80, FAKE_D80_TOTAL, FAKE_D80_BASE_USED, 0,
                FAKE_D80_SMEM, 1, FAKE_D80_CC);
    } else if (strcmp(scenario, "two") == 0) {
        add_dev(FAKE_A100_NAME, FAKE_A100_PCI, ua, FAKE_A100_TOTAL, FAKE_A100_BASE_USED, 0,
                FAKE_A100_SMEM, 1, FAKE_A100_CC);
        add_dev(FAKE_L4_NAME, FAKE_L4_PCI, ul4, FAKE_L4_TOTAL, FAKE_L4_BASE_USED, 0,
                FAKE_L4_SMEM, 1, FAKE_L4_CC);
    } else if (strcmp(scenario, "mig") == 0) {
        static const unsigned char m3[16] = FAKE_MIG3_UUID_BYTES, m2[16] = FAKE_MIG2_UUID_BYTES;
        add_dev(FAKE_A100_NAME, FAKE_A100_PCI, ua, FAKE_A100_TOTAL, FAKE_A100_BASE_USED, 0,
                FAKE_A100_SMEM, 1, FAKE_A100_CC);
        add_mig(0, FAKE_MIG3_NAME, m3, FAKE_MIG3_TOTAL, FAKE_MIG3_GI, FAKE_MIG3_CI);
        add_mig(0, FAKE_MIG2_NAME, m2, FAKE_MIG2_TOTAL, FAKE_MIG2_GI, FAKE_MIG2_CI);
    } else if (strcmp(scenario, "uma") == 0) {
        add_dev(FAKE_GB10_NAME, FAKE_GB10_PCI, ugb, 0, 0, 1, FAKE_GB10_SMEM, 0, FAKE_GB10_CC);
    } else if (strcmp(scenario, "stub") == 0) {
        F.stub = 1;
    } else if (strcmp(scenario, "none") == 0) {
        /* no device */
    } else if (strncmp(scenario, "init:", 5) == 0) {
        F.init_rc = atoi(scenario + 5);
    } else {
        F.loaded = 0;
        return -1;
    }
    return 0;
}

static void ensure_loaded(void)
{
    if (!F.loaded) {
        if (setup_locked(getenv("MB_FAKE_CUDA")) != 0)
            setup_locked("discrete80"); /* an unknown name: the default machine */
        /* MB_FAKE_CUDA_CC=100: every device reports compute capability 10.0 */
        const char *cc = getenv("MB_FAKE_CUDA_CC");
        if (cc && *cc)
            for (int i = 0; i < F.nphys; i++)
                F.phys[i].cc = atoi(cc);
    }
    if (!F.fail_at) {
        const char *n = getenv("MB_FAKE_CUDA_FAIL_AT");
        if (n)
            F.fail_at = atol(n);
    }
}

/* MemTotal and MemFree (bytes) of the meminfo the uma device plays. No stdio and no heap,
 * so that counting a snapshot's allocations counts membudget's alone. */
static int host_meminfo(long long *total, long long *mfree)
{
    char path[4200], buf[16384];
    const char *root = getenv("MEMBUDGET_SYSROOT");
    snprintf(path, sizeof path, "%s/proc/meminfo", root && *root ? root : "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    *total = *mfree = -1;
    for (char *line = buf; line && *line;) {
        char *eol = strchr(line, '\n');
        if (strncmp(line, "MemTotal:", 9) == 0)
            *total = strtoll(line + 9, NULL, 10) * 1024;
        else if (strncmp(line, "MemFree:", 8) == 0)
            *mfree = strtoll(line + 8, NULL, 10) * 1024;
        line = eol ? eol + 1 : NULL;
    }
    return *total > 0 && *mfree >= 0 ? 0 : -1;
}

static long long dev_total(const fake_dev *d)
{
    long long t = d->total, mf;
    if (!t && host_meminfo(&t, &mf) != 0)
        t = 0;
    return t;
}

static long long dev_held(const fake_dev *d)
{
    return d->tenant + d->allocated + (d->primary_refs > 0 ? FAKE_CTX_OVERHEAD : 0);
}

static long long dev_free(const fake_dev *d)
{
    long long f;
    if (d->total)
        f = d->total - d->base_used - dev_held(d);
    else {
        long long t, mf;
        if (host_meminfo(&t, &mf) != 0)
            return 0;
        f = mf - dev_held(d);
    }
    return f < 0 ? 0 : f;
}

/* CUDA_VISIBLE_DEVICES, as the driver reads it at cuInit: indices or GPU-UUID prefixes,
 * comma-separated; the list stops at the first entry that names nothing. */
static void apply_visible(void)
{
    F.nvis = 0;
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");
    if (!cvd) {
        for (int i = 0; i < F.nphys; i++)
            if (!F.phys[i].mig_mode)
                F.vis[F.nvis++] = i;
        return;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", cvd);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        char *end;
        long idx = strtol(tok, &end, 10);
        if (end != tok && *end == '\0') {
            if (idx >= 0 && idx < F.nphys)
                found = (int)idx;
        } else if (strncmp(tok, "GPU-", 4) == 0 || strncmp(tok, "MIG-", 4) == 0) {
            /* a UUID prefix; a MIG device also as MIG-GPU-<parent prefix>/<gi>/<ci> */
            char parent[64] = "";
            unsigned gi = 0, ci = 0;
            const char *slash = strncmp(tok, "MIG-GPU-", 8) == 0 ? strchr(tok, '/') : NULL;
            int old = slash && (size_t)(slash - tok - 4) < sizeof parent &&
                      sscanf(slash, "/%u/%u", &gi, &ci) == 2;
            if (old)
                snprintf(parent, sizeof parent, "%.*s", (int)(slash - tok - 4), tok + 4);
            for (int i = 0; i < F.nphys; i++) {
                const fake_dev *d = &F.phys[i];
                char u[96];
                uuid_name(d, 0, u, sizeof u);
                if (d->mig_mode)
                    continue; /* CUDA serves its MIG devices only */
                if (old && d->mig_parent >= 0) {
                    char p[48];
                    uuid_name(&F.phys[d->mig_parent], 0, p, sizeof p);
                    if (strncmp(p, parent, strlen(parent)) == 0 && d->gi == gi && d->ci == ci)
                        found = i;
                } else if (!old && strncmp(u, tok, strlen(tok)) == 0)
                    found = i;
            }
        }
        if (found < 0)
            break;
        for (int k = 0; k < F.nvis; k++)
            if (F.vis[k] == found)
                found = -1;
        if (found < 0)
            break;
        F.vis[F.nvis++] = found;
    }
}

/* ---- the wrappers --------------------------------------------------------------------- */

static int exempt(int sym)
{
    return sym == SYM_cuGetErrorName || sym == SYM_cuGetErrorString ||
           strcmp(sym_names[sym], "nvmlErrorString") == 0;
}

/* Counts a call of sym; 1 when it must fail with *code. */
static int enter(int sym, intptr_t *code)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    if (sym >= 0 && sym < NSYMS)
        F.counts[sym]++;
    int fail = 0;
    if (!exempt(sym)) {
        F.calls++;
        if (F.fail_at > 0 && F.calls == F.fail_at && !F.failed[0]) {
            snprintf(F.failed, sizeof F.failed, "%s", sym_names[sym]);
            *code = F.fault_code;
            fail = 1;
        }
    }
    pthread_mutex_unlock(&lock);
    return fail;
}

#define DECLARE_IMPL(ret, name, params, args) static ret impl_##name params;
MB_CUDA_SYMS(DECLARE_IMPL)
#undef DECLARE_IMPL

#define EXPORT_SYM(ret, name, params, args)                                                 \
    EXPORT ret name params                                                                  \
    {                                                                                       \
        intptr_t code = 0;                                                                  \
        if (enter(SYM_##name, &code))                                                       \
            return (ret)code;                                                               \
        return impl_##name args;                                                            \
    }
MB_CUDA_SYMS(EXPORT_SYM)
#undef EXPORT_SYM

/* ---- the driver ----------------------------------------------------------------------- */

/* Visible device from a CUdevice, or NULL. Under lock. */
static fake_dev *by_handle(CUdevice dev)
{
    int o = dev - FAKE_DEV_HANDLE_BASE;
    return o >= 0 && o < F.nvis ? &F.phys[F.vis[o]] : NULL;
}

#define GUARD()                                                                             \
    do {                                                                                    \
        if (F.stub)                                                                         \
            return CUDA_ERROR_STUB_LIBRARY;                                                 \
        if (!F.initialised)                                                                 \
            return CUDA_ERROR_NOT_INITIALIZED;                                              \
    } while (0)

static CUresult locked(CUresult r)
{
    pthread_mutex_unlock(&lock);
    return r;
}

static CUresult impl_cuInit(unsigned int flags)
{
    pthread_mutex_lock(&lock);
    if (F.stub)
        return locked(CUDA_ERROR_STUB_LIBRARY);
    if (flags != 0)
        return locked(CUDA_ERROR_INVALID_VALUE);
    if (F.init_rc)
        return locked((CUresult)F.init_rc);
    if (!F.initialised) {
        apply_visible();
        if (F.nphys > 0 && F.nvis == 0)
            return locked(CUDA_ERROR_NO_DEVICE);
        F.initialised = 1;
    }
    return locked(CUDA_SUCCESS);
}

static CUresult impl_cuDriverGetVersion(int *v)
{
    if (F.stub)
        return CUDA_ERROR_STUB_LIBRARY;
    if (!v)
        return CUDA_ERROR_INVALID_VALUE;
    *v = CUDA_VERSION;
    return CUDA_SUCCESS;
}

static const struct {
    int code;
    const char *name, *text;
} errors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {CUDA_ERROR_STUB_LIBRARY, "CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {CUDA_ERROR_SYSTEM_DRIVER_MISMATCH, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
     "system has unsupported display driver / cuda driver combination"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

static CUresult error_text(CUresult e, const char **s, int name)
{
    if (!s)
        return CUDA_ERROR_INVALID_VALUE;
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        if (errors[i].code == (int)e) {
            *s = name ? errors[i].name : errors[i].text;
            return CUDA_SUCCESS;
        }
    *s = NULL;
    return CUDA_ERROR_INVALID_VALUE;
}

static CUresult impl_cuGetErrorName(CUresult e, const char **s) { return error_text(e, s, 1); }
static CUresult impl_cuGetErrorString(CUresult e, const char **s) { return error_text(e, s, 0); }

static CUresult impl_cuDeviceGetCount(int *count)
{
    pthread_mutex_lock(&lock);
    if (F.stub)
        return locked(CUDA_ERROR_STUB_LIBRARY);
    if (!F.initialised)
        return locked(CUDA_ERROR_NOT_INITIALIZED);
    *count = F.nvis;
    return locked(CUDA_SUCCESS);
}

static CUresult impl_cuDeviceGet(CUdevice *dev, int ordinal)
{
    GUARD();
    if (ordinal < 0 || ordinal >= F.nvis)
        return CUDA_ERROR_INVALID_DEVICE;
    *dev = ordinal + FAKE_DEV_HANDLE_BASE;
    return CUDA_SUCCESS;
}

static CUresult impl_cuDeviceGetName(char *name, int len, CUdevice dev)
{
    GUARD();
    fake_dev *d = by_handle(dev);
    if (!d)
        return CUDA_ERROR_INVALID_DEVICE;
    if (!name || len <= 0)
        return CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t)len, "%s", d->name);
    return CUDA_SUCCESS;
}

static CUresult impl_cuDeviceGetPCIBusId(char *pci, int len, CUdevice dev)
{
    GUARD();
    fake_dev *d = by_handle(dev);
    if (!d)
        return CUDA_ERROR_INVALID_DEVICE;
    if (!pci || len < 13)
        return CUDA_ERROR_INVALID_VALUE;
    snprintf(pci, (size_t)len, "%s", d->pci);
    return CUDA_SUCCESS;
}

static CUresult impl_cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice dev)
{
    GUARD();
    fake_dev *d = by_handle(dev);
    if (!d)
        return CUDA_ERROR_INVALID_DEVICE;
    memcpy(uuid->bytes, d->uuid, 16);
    return CUDA_SUCCESS;
}

static CUresult impl_cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
    GUARD();
    fake_dev *d = by_handle(dev);
    if (!d)
        return CUDA_ERROR_INVALID_DEVICE;
    *bytes = (size_t)dev_total(d);
    return CUDA_SUCCESS;
}

static CUresult impl_cuDeviceGetAttribute(int *pi, CUdevice_attribute a, CUdevice dev)
{
    GUARD();
    fake_dev *d = by_handle(dev);
    if (!d)
        return CUDA_ERROR_INVALID_DEVICE;
    if (a == CU_DEVICE_ATTRIBUTE_INTEGRATED)
        *pi = d->integrated;
    else if (a == CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
        *pi = d->smem;
    else if (a == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
        *pi = d->cc / 10;
    else if (a == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
        *pi = d->cc % 10;
    else
        return CUDA_ERROR_INVALID_VALUE;
    return CUDA_SUCCESS;
}

static CUresult impl_cuCtxGetCurrent(CUcontext *pctx)
{
    GUARD();
    *pctx = depth > 0 ? stack[depth - 1] : NULL;
    return CUDA_SUCCESS;
}

static CUresult impl_cuCtxGetDevice(CUdevice *dev)
{
    GUARD();
    if (depth == 0)
        return CUDA_ERROR_INVALID_CONTEXT;
    int phys = stack[depth - 1]->phys;
    for (int o = 0; o < F.nvis; o++)
        if (F.vis[o] == phys) {
            *dev = o + FAKE_DEV_HANDLE_BASE;
            return CUDA_SUCCESS;
        }
    return CUDA_ERROR_INVALID_CONTEXT;
}

static CUresult impl_cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
    pthread_mutex_lock(&lock);
    if (F.stub)
        return locked(CUDA_ERROR_STUB_LIBRARY);
    fake_dev *d = by_handle(dev);
    if (!d)
        return locked(CUDA_ERROR_INVALID_DEVICE);
    if (d->total && d->total - d->base_used - dev_held(d) < FAKE_CTX_OVERHEAD &&
        d->primary_refs == 0)
        return locked(CUDA_ERROR_OUT_OF_MEMORY);
    d->primary_refs++;
    *pctx = &d->primary;
    return locked(CUDA_SUCCESS);
}

static CUresult impl_cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
    pthread_mutex_lock(&lock);
    fake_dev *d = by_handle(dev);
    if (!d)
        return locked(CUDA_ERROR_INVALID_DEVICE);
    if (d->primary_refs <= 0)
        return locked(CUDA_ERROR_INVALID_CONTEXT);
    d->primary_refs--;
    return locked(CUDA_SUCCESS);
}

static int ctx_valid(CUcontext c)
{
    for (int i = 0; i < F.nphys; i++)
        if (c == &F.phys[i].primary && F.phys[i].primary_refs > 0)
            return 1;
    return 0;
}

static CUresult impl_cuCtxPushCurrent_v2(CUcontext ctx)
{
    pthread_mutex_lock(&lock);
    if (!ctx || !ctx_valid(ctx))
        return locked(CUDA_ERROR_INVALID_CONTEXT);
    if (depth >= MAX_DEPTH)
        return locked(CUDA_ERROR_INVALID_VALUE);
    stack[depth++] = ctx;
    return locked(CUDA_SUCCESS);
}

static CUresult impl_cuCtxPopCurrent_v2(CUcontext *pctx)
{
    if (depth == 0)
        return CUDA_ERROR_INVALID_CONTEXT;
    CUcontext c = stack[--depth];
    if (pctx)
        *pctx = c;
    return CUDA_SUCCESS;
}

static CUresult impl_cuMemGetInfo_v2(size_t *free_bytes, size_t *total_bytes)
{
    pthread_mutex_lock(&lock);
    if (depth == 0)
        return locked(CUDA_ERROR_INVALID_CONTEXT);
    fake_dev *d = &F.phys[stack[depth - 1]->phys];
    *free_bytes = (size_t)dev_free(d);
    *total_bytes = (size_t)dev_total(d);
    return locked(CUDA_SUCCESS);
}

static CUresult impl_cuCtxSynchronize(void)
{
    pthread_mutex_lock(&lock);
    if (depth == 0)
        return locked(CUDA_ERROR_INVALID_CONTEXT);
    F.syncs_in_primary++; /* every context here is a primary context */
    return locked(CUDA_SUCCESS);
}

static CUresult impl_cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes)
{
    pthread_mutex_lock(&lock);
    if (depth == 0)
        return locked(CUDA_ERROR_INVALID_CONTEXT);
    if (!dptr || bytes == 0)
        return locked(CUDA_ERROR_INVALID_VALUE);
    int phys = stack[depth - 1]->phys;
    fake_dev *d = &F.phys[phys];
    if ((long long)bytes > dev_free(d) || F.nallocs >= MAX_ALLOCS)
        return locked(CUDA_ERROR_OUT_OF_MEMORY);
    fake_alloc *a = &F.allocs[F.nallocs++];
    a->ptr = F.next_ptr;
    a->size = bytes;
    a->phys = phys;
    a->host = uma_host_pages(d, bytes);
    F.next_ptr += (bytes + (2u << 20) - 1) & ~(CUdeviceptr)((2u << 20) - 1);
    d->allocated += (long long)bytes;
    *dptr = a->ptr;
    return locked(CUDA_SUCCESS);
}

static CUresult impl_cuMemFree_v2(CUdeviceptr p)
{
    pthread_mutex_lock(&lock);
    if (depth == 0)
        return locked(CUDA_ERROR_INVALID_CONTEXT);
    for (int i = 0; i < F.nallocs; i++)
        if (F.allocs[i].ptr == p) {
            F.phys[F.allocs[i].phys].allocated -= (long long)F.allocs[i].size;
            if (F.allocs[i].host)
                munmap(F.allocs[i].host, F.allocs[i].size);
            F.allocs[i] = F.allocs[--F.nallocs];
            return locked(CUDA_SUCCESS);
        }
    return locked(CUDA_ERROR_INVALID_VALUE);
}

/* ---- the control API ------------------------------------------------------------------ */

EXPORT int mbfake_cuda_setup(const char *scenario)
{
    pthread_mutex_lock(&lock);
    int rc = setup_locked(scenario);
    pthread_mutex_unlock(&lock);
    depth = 0;
    engine_ctx = NULL;
    return rc;
}

EXPORT void mbfake_cuda_set(const char *knob, long long value)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    if (strcmp(knob, "fail_at") == 0) {
        F.fail_at = (long)value;
        F.calls = 0;
        F.failed[0] = '\0';
    } else if (strcmp(knob, "fault_code") == 0)
        F.fault_code = (int)value;
    else if (strcmp(knob, "nvml_uuid") == 0)
        F.nvml_uuid = (int)value;
    else if (strcmp(knob, "nvml_init_fail") == 0)
        F.nvml_init_fail = (int)value;
    else if (strcmp(knob, "cc") == 0) /* every device's compute capability, major x 10 + minor */
        for (int i = 0; i < F.nphys; i++)
            F.phys[i].cc = (int)value;
    else if (strcmp(knob, "mig_old_uuid") == 0)
        F.mig_old_uuid = (int)value;
    pthread_mutex_unlock(&lock);
}

EXPORT const char *mbfake_cuda_failed_call(void) { return F.failed; }

EXPORT long mbfake_cuda_calls(void)
{
    pthread_mutex_lock(&lock);
    long n = F.calls;
    pthread_mutex_unlock(&lock);
    return n;
}

EXPORT long mbfake_cuda_count(const char *name)
{
    long n = -1;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < NSYMS; i++)
        if (strcmp(sym_names[i], name) == 0)
            n = F.counts[i];
    pthread_mutex_unlock(&lock);
    return n;
}

EXPORT int mbfake_cuda_tenant(int ordinal, long long delta)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    if (!F.initialised)
        apply_visible();
    int rc = -1;
    if (ordinal >= 0 && ordinal < F.nvis) {
        fake_dev *d = &F.phys[F.vis[ordinal]];
        if (d->tenant + delta >= 0 && (delta <= 0 || delta <= dev_free(d))) {
            d->tenant += delta;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

EXPORT long long mbfake_cuda_allocated(void)
{
    long long n = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < F.nphys; i++)
        n += F.phys[i].allocated;
    pthread_mutex_unlock(&lock);
    return n;
}

EXPORT int mbfake_cuda_primary_refs(int ordinal)
{
    pthread_mutex_lock(&lock);
    int n = ordinal >= 0 && ordinal < F.nvis ? F.phys[F.vis[ordinal]].primary_refs : -1;
    pthread_mutex_unlock(&lock);
    return n;
}

EXPORT int mbfake_cuda_depth(void) { return depth; }

EXPORT int mbfake_cuda_make_current(int ordinal)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    int rc = 0;
    if (engine_ctx) { /* the engine lets go of its context */
        if (depth > 0 && stack[depth - 1] == engine_ctx)
            depth--;
        F.phys[engine_ctx->phys].primary_refs--;
        engine_ctx = NULL;
    }
    if (ordinal >= 0 && !F.initialised && !F.stub && !F.init_rc) {
        apply_visible(); /* the engine called cuInit itself */
        F.initialised = F.nvis > 0;
    }
    if (ordinal >= 0) {
        if (!F.initialised || ordinal >= F.nvis || depth >= MAX_DEPTH) {
            rc = -1;
        } else {
            fake_dev *d = &F.phys[F.vis[ordinal]];
            d->primary_refs++;
            engine_ctx = &d->primary;
            stack[depth++] = engine_ctx;
        }
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

EXPORT long mbfake_cuda_syncs_in_primary(void)
{
    pthread_mutex_lock(&lock);
    long n = F.syncs_in_primary;
    pthread_mutex_unlock(&lock);
    return n;
}

/* ---- for the fake NVML ---------------------------------------------------------------- */

/* Counts an NVML call (shared counter and fault); 1 when it must fail with *code. */
EXPORT int mbfake__nvml_enter(const char *name, intptr_t *code)
{
    for (int i = SYM_CUDA_COUNT; i < NSYMS; i++)
        if (strcmp(sym_names[i], name) == 0)
            return enter(i, code);
    return 0;
}

EXPORT int mbfake__nvml_init_fail(void)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    int rc = F.nvml_init_fail;
    pthread_mutex_unlock(&lock);
    return rc;
}

/* The physical device NVML knows by uuid (when NVML knows UUIDs) or PCI id; -1. */
EXPORT int mbfake__nvml_find(const char *uuid, const char *pci)
{
    int found = -1;
    pthread_mutex_lock(&lock);
    ensure_loaded();
    for (int i = 0; i < F.nphys; i++) {
        if (uuid && F.nvml_uuid) {
            char u[96];
            uuid_name(&F.phys[i], F.mig_old_uuid, u, sizeof u);
            if (strcmp(u, uuid) == 0)
                found = i;
        }
        if (pci && F.phys[i].mig_parent < 0 && strcasecmp(F.phys[i].pci, pci) == 0)
            found = i;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

/* For the fake NVML's MIG entry points: how many devices (GPUs and MIG devices) there
 * are; device i's parent (-1 for a GPU), MIG mode, instance ids and NVML name. */
EXPORT int mbfake__nvml_ndev(void)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    int n = F.nphys;
    pthread_mutex_unlock(&lock);
    return n;
}

EXPORT int mbfake__nvml_dev(int i, int *parent, int *mig_mode, unsigned *gi, unsigned *ci,
                            char *uuid, size_t size)
{
    pthread_mutex_lock(&lock);
    int rc = i >= 0 && i < F.nphys ? 0 : -1;
    if (rc == 0) {
        const fake_dev *d = &F.phys[i];
        *parent = d->mig_parent;
        *mig_mode = d->mig_mode;
        *gi = d->gi;
        *ci = d->ci;
        uuid_name(d, F.mig_old_uuid, uuid, size);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

/* nvmlDeviceGetMemoryInfo v1 for physical device phys. */
EXPORT int mbfake__nvml_memory(int phys, unsigned long long *total, unsigned long long *mfree,
                               unsigned long long *used)
{
    pthread_mutex_lock(&lock);
    int rc = NVML_SUCCESS;
    if (phys < 0 || phys >= F.nphys)
        rc = NVML_ERROR_INVALID_ARGUMENT;
    else if (!F.phys[phys].nvml_mem_supported)
        rc = NVML_ERROR_NOT_SUPPORTED;
    else {
        fake_dev *d = &F.phys[phys];
        long long f = dev_free(d), t = dev_total(d) + FAKE_NVML_RESERVED;
        *total = (unsigned long long)t;
        *mfree = (unsigned long long)f;
        *used = (unsigned long long)(t - f);
    }
    pthread_mutex_unlock(&lock);
    return rc;
}
