/*
 * tests/hip/fakehip.c: a test double of the HIP runtime, built as libamdhip64.so.6 and
 * found by the real dynamic loader through LD_LIBRARY_PATH. Its exports come from the same
 * list the backend resolves (backends/hip/hip_syms.h), each wrapped so that every call is
 * counted and the Nth call of any entry point can be made to fail.
 *
 * Scenario (FAKEHIP_SCENARIO, read at the first call, or fakehip_reset()):
 *   discrete   one 192 GiB board at 0000:03:00.0 (default)
 *   apu        one integrated GPU at 0000:c5:00.0: 512 MiB carve-out, 96 GiB GTT; HIP's
 *              total is the GTT, and with FAKEHIP_FREE_ABOVE_TOTAL=1 its free exceeds it
 *   two        two boards, 192 GiB at 0000:03:00.0 and 64 GiB at 0000:83:00.0
 *   nodevice   what Debian's runtime says on a machine without an AMD GPU: hipInit ->
 *              hipErrorInvalidDevice, hipGetDeviceCount -> hipErrorNoDevice, count 0
 * HIP_VISIBLE_DEVICES, then ROCR_VISIBLE_DEVICES, filter and renumber the devices as the
 * real runtime does (a comma list of physical ordinals). FAKEHIP_FAIL_AT=N makes the Nth
 * call fail with hipErrorUnknown (for tests of the command line); FAKEHIP_OTHER=BYTES is
 * what other processes hold on the first board (a dry run of ci/hip-hw.sh).
 *
 * Device memory is bookkeeping only: hipMalloc hands out distinct addresses that are never
 * dereferenced, and free = total - other tenants - live allocations.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hip/hip_runtime_api.h>

#include "../../backends/hip/hip_syms.h"

#define FAKE_EXPORT __attribute__((visibility("default")))
#define GiB ((size_t)1 << 30)
#define MiB ((size_t)1 << 20)
#define MAX_DEVS 4
#define MAX_ALLOCS 4096

typedef struct fdev {
    char name[64];
    char pci[16];
    size_t total;     /* hipMemGetInfo's and hipDeviceTotalMem's total */
    size_t other;     /* used by other processes (fakehip_set_other) */
    int integrated;
    int optin;        /* hipDeviceAttributeSharedMemPerBlockOptin; 0: not supported */
    int smem;         /* hipDeviceAttributeMaxSharedMemoryPerBlock */
    long free_bonus;  /* added to free (an APU runtime that reports free > total) */
} fdev;

typedef struct falloc {
    uintptr_t ptr;
    size_t size;
    int dev;
} falloc;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int loaded;         /* scenario read */
static int initialized;    /* hipInit succeeded */
static int nphys, nvis;
static fdev phys[MAX_DEVS];
static int vis[MAX_DEVS];  /* visible ordinal -> physical index */
static int nodevice;
static falloc allocs[MAX_ALLOCS];
static int nallocs;
static uintptr_t next_addr = (uintptr_t)0x7f0000000000ull;
static __thread int current = 0;
static long calls, fail_at, fired;
static hipError_t fail_code = hipErrorUnknown;
static char failed_name[64];
static long sync_calls;

static void add_dev(const char *name, const char *pci, size_t total, int integrated)
{
    fdev *d = &phys[nphys++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->pci, sizeof d->pci, "%s", pci);
    d->total = total;
    d->integrated = integrated;
    d->optin = 160 * 1024;
    d->smem = 64 * 1024;
}

/* Filters the ordinals in[0..*n) by a visible-devices list (a comma list of indices into
 * in), in place; the runtime stops at the first index that is out of range. A malformed
 * list leaves everything visible. */
static void apply_visible(const char *list, int *in, int *n)
{
    int out[MAX_DEVS], k = 0;
    const char *p = list;
    while (*p && k < MAX_DEVS) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ','))
            return;
        if (v < 0 || v >= *n)
            break;
        out[k++] = in[v];
        p = *end ? end + 1 : end;
    }
    memcpy(in, out, sizeof out);
    *n = k;
}

static void load_scenario(const char *scenario)
{
    nphys = 0;
    nvis = 0;
    nodevice = 0;
    initialized = 0;
    nallocs = 0;
    sync_calls = 0;
    if (!scenario || !*scenario)
        scenario = "discrete";
    if (strcmp(scenario, "apu") == 0) {
        add_dev("AMD Radeon 8060S Graphics", "0000:c5:00.0", 96 * GiB, 1);
        phys[0].optin = 0; /* RDNA: 64 KiB LDS, no opt-in figure */
        const char *b = getenv("FAKEHIP_FREE_ABOVE_TOTAL");
        if (b && strcmp(b, "1") == 0)
            phys[0].free_bonus = (long)(2 * GiB);
    } else if (strcmp(scenario, "two") == 0) {
        add_dev("AMD Instinct MI300X", "0000:03:00.0", 192 * GiB, 0);
        add_dev("AMD Instinct MI210", "0000:83:00.0", 64 * GiB, 0);
    } else if (strcmp(scenario, "nodevice") == 0) {
        nodevice = 1;
    } else {
        add_dev("AMD Instinct MI300X", "0000:03:00.0", 192 * GiB, 0);
    }
    nvis = nphys;
    for (int i = 0; i < nphys; i++)
        vis[i] = i;
    /* ROCr filters first, then HIP indexes what ROCr left visible. */
    const char *rv = getenv("ROCR_VISIBLE_DEVICES");
    const char *hv = getenv("HIP_VISIBLE_DEVICES");
    if (rv)
        apply_visible(rv, vis, &nvis);
    if (hv)
        apply_visible(hv, vis, &nvis);
    const char *fa = getenv("FAKEHIP_FAIL_AT");
    if (fa)
        fail_at = atol(fa);
    const char *ot = getenv("FAKEHIP_OTHER");
    if (ot && nphys)
        phys[0].other = (size_t)strtoull(ot, NULL, 10);
    loaded = 1;
}

static void ensure_loaded(void)
{
    if (!loaded)
        load_scenario(getenv("FAKEHIP_SCENARIO"));
}

static fdev *vdev(int i) { return i >= 0 && i < nvis ? &phys[vis[i]] : NULL; }

static size_t used_by_allocs(int dev)
{
    size_t u = 0;
    for (int i = 0; i < nallocs; i++)
        if (allocs[i].dev == dev)
            u += allocs[i].size;
    return u;
}

/* ---- the implementations, called with lock held ------------------------------------ */

static hipError_t impl_hipInit(unsigned int flags)
{
    if (flags != 0)
        return hipErrorInvalidValue;
    if (nodevice)
        return hipErrorInvalidDevice;
    initialized = 1;
    return hipSuccess;
}

static hipError_t impl_hipGetDeviceCount(int *count)
{
    if (!count)
        return hipErrorInvalidValue;
    *count = nodevice ? 0 : nvis;
    return nodevice || nvis == 0 ? hipErrorNoDevice : hipSuccess;
}

#define NEED_INIT()                                                                         \
    do {                                                                                    \
        if (!initialized)                                                                   \
            return hipErrorNotInitialized;                                                  \
    } while (0)

static hipError_t impl_hipGetDevice(int *deviceId)
{
    NEED_INIT();
    if (!deviceId)
        return hipErrorInvalidValue;
    *deviceId = current;
    return hipSuccess;
}

static hipError_t impl_hipSetDevice(int deviceId)
{
    NEED_INIT();
    if (!vdev(deviceId))
        return hipErrorInvalidDevice;
    current = deviceId;
    return hipSuccess;
}

static hipError_t impl_hipMemGetInfo(size_t *free_bytes, size_t *total_bytes)
{
    NEED_INIT();
    fdev *d = vdev(current);
    if (!d || !free_bytes || !total_bytes)
        return hipErrorInvalidValue;
    size_t used = d->other + used_by_allocs(current);
    *total_bytes = d->total;
    *free_bytes = (used > d->total ? 0 : d->total - used) + (size_t)d->free_bonus;
    return hipSuccess;
}

static hipError_t impl_hipDeviceTotalMem(size_t *bytes, hipDevice_t device)
{
    NEED_INIT();
    fdev *d = vdev(device);
    if (!d || !bytes)
        return hipErrorInvalidValue;
    *bytes = d->total;
    return hipSuccess;
}

static hipError_t impl_hipDeviceGetAttribute(int *pi, hipDeviceAttribute_t attr, int deviceId)
{
    NEED_INIT();
    fdev *d = vdev(deviceId);
    if (!d || !pi)
        return hipErrorInvalidValue;
    switch (attr) {
    case hipDeviceAttributeIntegrated:
        *pi = d->integrated;
        return hipSuccess;
    case hipDeviceAttributeSharedMemPerBlockOptin:
        if (!d->optin)
            return hipErrorInvalidValue;
        *pi = d->optin;
        return hipSuccess;
    case hipDeviceAttributeMaxSharedMemoryPerBlock:
        *pi = d->smem;
        return hipSuccess;
    default:
        return hipErrorInvalidValue;
    }
}

static hipError_t impl_hipDeviceGetName(char *name, int len, hipDevice_t device)
{
    NEED_INIT();
    fdev *d = vdev(device);
    if (!d || !name || len <= 0)
        return hipErrorInvalidValue;
    snprintf(name, (size_t)len, "%s", d->name);
    return hipSuccess;
}

static hipError_t impl_hipDeviceGetPCIBusId(char *pciBusId, int len, int device)
{
    NEED_INIT();
    fdev *d = vdev(device);
    if (!d || !pciBusId || len <= 0)
        return hipErrorInvalidValue;
    snprintf(pciBusId, (size_t)len, "%s", d->pci);
    return hipSuccess;
}

static hipError_t impl_hipDeviceSynchronize(void)
{
    NEED_INIT();
    sync_calls++;
    return hipSuccess;
}

static hipError_t impl_hipMalloc(void **ptr, size_t size)
{
    NEED_INIT();
    fdev *d = vdev(current);
    if (!ptr || !d)
        return hipErrorInvalidValue;
    *ptr = NULL;
    size_t used = d->other + used_by_allocs(current);
    if (size > d->total || used + size > d->total || nallocs == MAX_ALLOCS)
        return hipErrorOutOfMemory;
    allocs[nallocs].ptr = next_addr;
    allocs[nallocs].size = size;
    allocs[nallocs].dev = current;
    nallocs++;
    *ptr = (void *)next_addr;
    next_addr += (size + 0xfffff) & ~(uintptr_t)0xfffff;
    return hipSuccess;
}

static long bad_frees; /* hipFree of an unknown pointer, since the last reset */

static hipError_t impl_hipFree(void *ptr)
{
    NEED_INIT();
    if (!ptr)
        return hipSuccess;
    for (int i = 0; i < nallocs; i++)
        if (allocs[i].ptr == (uintptr_t)ptr) {
            allocs[i] = allocs[--nallocs];
            return hipSuccess;
        }
    bad_frees++; /* a pointer never allocated, or freed twice */
    return hipErrorInvalidValue;
}

/* ---- the exports, generated from the backend's list --------------------------------- */

#define FAKE_ENTRY(name, params, args)                                                      \
    FAKE_EXPORT hipError_t name params                                                      \
    {                                                                                       \
        pthread_mutex_lock(&lock);                                                          \
        ensure_loaded();                                                                    \
        calls++;                                                                            \
        hipError_t r;                                                                       \
        if (fail_at > 0 && calls == fail_at) {                                              \
            fired++;                                                                        \
            snprintf(failed_name, sizeof failed_name, "%s", #name);                         \
            r = fail_code;                                                                  \
        } else {                                                                            \
            r = impl_##name args;                                                           \
        }                                                                                   \
        pthread_mutex_unlock(&lock);                                                        \
        return r;                                                                           \
    }
MB_HIP_SYMBOLS(FAKE_ENTRY)
#undef FAKE_ENTRY

/* ---- control, for the tests (not part of HIP) --------------------------------------- */

FAKE_EXPORT void fakehip_reset(const char *scenario);
FAKE_EXPORT void fakehip_fail_at(long n, int code);
FAKE_EXPORT long fakehip_calls(void);
FAKE_EXPORT long fakehip_fired(void);
FAKE_EXPORT const char *fakehip_failed_name(void);
FAKE_EXPORT int fakehip_live_allocations(void);
FAKE_EXPORT long fakehip_bad_frees(void);
FAKE_EXPORT void fakehip_set_other(int visible_dev, size_t bytes);
FAKE_EXPORT void fakehip_set_integrated(int visible_dev, int integrated);
FAKE_EXPORT void fakehip_set_optin(int visible_dev, int optin);
FAKE_EXPORT long fakehip_sync_calls(void);
FAKE_EXPORT void fakehip_set_free_bonus(int visible_dev, long bytes);

/* Reloads scenario (NULL: FAKEHIP_SCENARIO), forgets allocations, disarms the fault. */
void fakehip_reset(const char *scenario)
{
    pthread_mutex_lock(&lock);
    load_scenario(scenario ? scenario : getenv("FAKEHIP_SCENARIO"));
    current = 0; /* this thread's current device, as after hipInit */
    calls = 0;
    fail_at = 0;
    fired = 0;
    failed_name[0] = '\0';
    bad_frees = 0;
    pthread_mutex_unlock(&lock);
}

/* The nth call from now (any entry point) fails with code (0: hipErrorUnknown). */
void fakehip_fail_at(long n, int code)
{
    pthread_mutex_lock(&lock);
    calls = 0;
    fired = 0;
    failed_name[0] = '\0';
    fail_at = n;
    fail_code = code ? (hipError_t)code : hipErrorUnknown;
    pthread_mutex_unlock(&lock);
}

long fakehip_calls(void) { return calls; }
long fakehip_fired(void) { return fired; }
const char *fakehip_failed_name(void) { return failed_name; }
int fakehip_live_allocations(void) { return nallocs; }
long fakehip_bad_frees(void) { return bad_frees; }
long fakehip_sync_calls(void) { return sync_calls; }

void fakehip_set_other(int visible_dev, size_t bytes)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    fdev *d = vdev(visible_dev);
    if (d)
        d->other = bytes;
    pthread_mutex_unlock(&lock);
}

void fakehip_set_integrated(int visible_dev, int integrated)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    fdev *d = vdev(visible_dev);
    if (d)
        d->integrated = integrated;
    pthread_mutex_unlock(&lock);
}

void fakehip_set_optin(int visible_dev, int optin)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    fdev *d = vdev(visible_dev);
    if (d)
        d->optin = optin;
    pthread_mutex_unlock(&lock);
}

/* Makes hipMemGetInfo's free exceed the true free by bytes (a runtime that reports free
 * above total, as on Strix Halo). */
void fakehip_set_free_bonus(int visible_dev, long bytes)
{
    pthread_mutex_lock(&lock);
    ensure_loaded();
    fdev *d = vdev(visible_dev);
    if (d)
        d->free_bonus = bytes;
    pthread_mutex_unlock(&lock);
}
