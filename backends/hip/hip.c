/*
 * backends/hip/hip.c: AMD GPUs and APUs through the HIP runtime, loaded with dlopen
 * (libamdhip64.so.7, .6, .5: never linked, never the unversioned name), with amdgpu sysfs
 * as the cheap probe and the cross-check.
 *
 * Probe, in order:
 *  1. Scan amdgpu sysfs and KFD (hip_sysfs.c). When neither shows an AMD GPU the runtime is
 *     not loaded at all: loading Debian's runtime costs ~15 ms of CPU here (docs/hip.md),
 *     far more than the scan. MEMBUDGET_HIP_FORCE_RUNTIME=1 skips this pre-check (tests
 *     pair a fake runtime with a made-up sysroot this way).
 *  2. Under a foreign sysroot (a machine dump) the runtime would answer for this machine,
 *     not the dump's, so by default the devices come from the dump's sysfs alone (ops
 *     "hip"/"hip-apu", source amdgpu-sysfs); MEMBUDGET_HIP_FORCE_RUNTIME=1 loads it anyway.
 *  3. Load the runtime and resolve every symbol of hip_syms.h; a soname that is not
 *     installed is absent (the reason says so, and names the AMD cards sysfs shows), one
 *     that is found but cannot be loaded, or lacks a symbol, is broken.
 *     MEMBUDGET_HIP_SONAME=libamdhip64.so.N tries that soname alone (to pick ROCm 6 where
 *     7 is installed too; the tests use it to pin their test double).
 *  4. hipInit(0). hipErrorInvalidDevice or hipErrorNoDevice (Debian's runtime on a machine
 *     without an AMD GPU answers the first, then a device count of 0 with
 *     hipErrorNoDevice) are absent; any other error is broken.
 *  5. Per device: name, PCI bus id, total, hipDeviceAttributeIntegrated; matched to its
 *     sysfs card by PCI bus id (numa_node; the sysfs APU heuristic; the VRAM total
 *     cross-check, reported in the reason when the two disagree by more than 1%).
 *
 * HIP_VISIBLE_DEVICES and ROCR_VISIBLE_DEVICES are honoured by the runtime itself: hip:N is
 * the runtime's ordinal N, after that filtering.
 *
 * Discrete devices: free and total from hipMemGetInfo (source hip). hipMemGetInfo answers
 * for the calling thread's current device, so mem_info, synchronize, alloc and free make
 * device i current for the call and then restore the caller's current device (hipGetDevice
 * before, hipSetDevice back after; neither when i already is current): an engine's own
 * current device is never changed behind its back. APUs ("hip-apu"): free = min(HIP's free,
 * the UMA policy's free: host MemAvailable lowered to what the container limit leaves),
 * total = HIP's total. HIP's free can exceed its total on APUs (ROCm/legacy-rocm-build#6004:
 * a 128 GiB Strix Halo with a 512 MiB carve-out reports total 62.47 GiB, free 120 GiB;
 * ROCm/hip#3892), so every free is clamped to the total and flagged MB_SNAP_CLAMPED.
 *
 * Thread safety: after probe, slots only read the state; the current device is per thread.
 */
#include <stdio.h>
#include <string.h>

#include <hip/hip_runtime_api.h>

#include "hip_internal.h"
#include "hip_syms.h"


#include "hip_state.h"

/* The numbers this backend, its messages ("hipErrorNoDevice (100)"), docs/hip.md and the
 * tests' runtime double rely on, as HIP's hip_runtime_api.h defines them (Debian 12's
 * libamdhip64-dev 5.2.3; the values have held since HIP 5.0): a header that numbers them
 * otherwise fails the build here instead of misreading a device. */
_Static_assert(hipSuccess == 0 && hipErrorInvalidValue == 1 && hipErrorOutOfMemory == 2 &&
                   hipErrorNotInitialized == 3 && hipErrorInsufficientDriver == 35,
               "hip_runtime_api.h: hipError_t 0-35");
_Static_assert(hipErrorNoDevice == 100 && hipErrorInvalidDevice == 101 &&
                   hipErrorInvalidContext == 201 && hipErrorNoBinaryForGpu == 209 &&
                   hipErrorNotSupported == 801 && hipErrorUnknown == 999,
               "hip_runtime_api.h: hipError_t 100-999");
_Static_assert(hipDeviceAttributeIntegrated == 16, "hip_runtime_api.h: attribute 16 is Integrated");
_Static_assert(hipDeviceAttributeMaxSharedMemoryPerBlock == 74 &&
                   hipDeviceAttributeSharedMemPerBlockOptin == 75,
               "hip_runtime_api.h: attributes 74 and 75 are the shared memory per block");


/* Appends the runtime's device filters that are set to buf (for "sees no device"). */
static void visible_env(const mb_platform *plat, char *buf, size_t size)
{
    static const char *const vars[] = {"HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
                                       "CUDA_VISIBLE_DEVICES"};
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = svc->env(plat, vars[i], NULL);
        if (!v)
            continue;
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, "%s%s='%.40s'", l ? ", " : "; ", vars[i], v);
    }
}

/* MEMBUDGET_HIP_FORCE_RUNTIME: 1 forces, unset, empty or 0 does not; anything else is a
 * mistake the README promises to report (-1, with the value copied to bad). */
static int force_runtime(const mb_platform *plat, char *bad, size_t size)
{
    const char *v = svc->env(plat, "MEMBUDGET_HIP_FORCE_RUNTIME", NULL);
    if (!v || !*v || strcmp(v, "0") == 0)
        return 0;
    if (strcmp(v, "1") == 0)
        return 1;
    snprintf(bad, size, "%.60s", v);
    return -1;
}

/* MEMBUDGET_HIP_SONAME pins one soname; it must read libamdhip64.so.<N>[.<N>...]. */
static int valid_soname(const char *v)
{
    static const char prefix[] = "libamdhip64.so.";
    if (strncmp(v, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *p = v + sizeof prefix - 1;
    int digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && digits)
            digits = 0;
        else
            return 0;
    }
    return digits > 0 && strlen(v) < 64;
}

/* Loads the newest runtime (or the one MEMBUDGET_HIP_SONAME names) and resolves the symbol
 * list. Returns MB_PROBE_PRESENT with soname filled, MB_PROBE_ABSENT (none installed) or
 * MB_PROBE_BROKEN; why says why. */
static mb_probe_state load_runtime(const mb_platform *plat, hip_api *api, char *soname,
                                   size_t soname_size, char *why, size_t size)
{
    static const char *const defaults[] = MB_HIP_SONAMES;
    char pinned[64];
    const char *names[3];
    int n = 3, too_long = 0;
    soname[0] = '\0';
    const char *env = svc->env(plat, "MEMBUDGET_HIP_SONAME", &too_long);
    if (too_long || (env && *env && !valid_soname(env))) {
        snprintf(why, size, "MEMBUDGET_HIP_SONAME='%.60s' is not a soname of the HIP runtime; "
                            "set it to e.g. libamdhip64.so.6, or unset it",
                 too_long ? "(longer than 4096 bytes)" : env);
        return MB_PROBE_BROKEN;
    }
    if (env && *env) {
        snprintf(pinned, sizeof pinned, "%s", env);
        names[0] = pinned;
        n = 1;
    } else {
        for (int i = 0; i < 3; i++)
            names[i] = defaults[i];
    }
    char msg[3][256];
    int broken = -1;
    for (int i = 0; i < n; i++) {
        int absent = 0;
        void *h = svc->dl_open(names[i], &absent, msg[i], sizeof msg[i]);
        if (!h) {
            if (broken < 0 && !absent)
                broken = i;
            continue;
        }
#define MB_HIP_SYM(name, params, args)                                                      \
    api->p_##name = (__typeof__(&name))svc->dl_sym(h, #name);                                \
    if (!api->p_##name) {                                                                   \
        snprintf(why, size, "%s lacks %s (a HIP runtime too old or damaged); install ROCm's " \
                            "HIP runtime 5 or newer", names[i], #name);                     \
        return MB_PROBE_BROKEN;                                                             \
    }
        MB_HIP_SYMBOLS(MB_HIP_SYM)
#undef MB_HIP_SYM
        snprintf(soname, soname_size, "%s", names[i]);
        if (broken >= 0)
            snprintf(why, size, "%s could not be loaded (%s); using %s", names[broken],
                     msg[broken], names[i]);
        else
            why[0] = '\0';
        return MB_PROBE_PRESENT;
    }
    if (broken >= 0) {
        snprintf(why, size, "%s is installed but cannot be loaded: %s", names[broken],
                 msg[broken]);
        return MB_PROBE_BROKEN;
    }
    if (n == 1)
        snprintf(why, size, "no HIP runtime: %s (from MEMBUDGET_HIP_SONAME) is not installed "
                            "(%s)", names[0], msg[0]);
    else
        snprintf(why, size, "no HIP runtime: %s, %s and %s are not installed (%s)", names[0],
                 names[1], names[2], msg[2]);
    return MB_PROBE_ABSENT;
}

static void hip_shutdown(void *st) { svc->free(st); }

/* APUs' snapshots read host and cgroup files: opens them now, so that snapshots only
 * read. On failure the probe is broken (ENOMEM returned), the reason naming the file. */
static int prepare_apus(hip_state *s, mb_probe_result *res)
{
    for (int i = 0; i < s->n; i++)
        if (s->devs[i].integrated) {
            int rc = svc->host_prepare(s->plat);
            if (rc == MB_OK)
                return MB_OK;
            hip_shutdown(s);
            if (rc == MB_ENOMEM)
                return rc;
            res->state = MB_PROBE_BROKEN;
            snprintf(res->reason, sizeof res->reason, "APU: %s", svc->detail());
            return 1;
        }
    return MB_OK;
}

/* Fills devices from sysfs alone (a machine dump). */
static void probe_sysfs_only(hip_state *s, mb_probe_result *res)
{
    for (int i = 0; i < s->sysfs.ncards; i++) {
        const mb_hip_card *c = &s->sysfs.cards[i];
        hip_dev *d = &s->devs[i];
        d->card = i;
        d->hip_integrated = -1;
        d->integrated = c->apu;
        snprintf(d->pci, sizeof d->pci, "%s", c->pci);
        snprintf(d->name, sizeof d->name, "AMD GPU %s (card%d, from sysfs)",
                 c->pci_id[0] ? c->pci_id : "1002", c->card);
        int64_t vram = c->vram_total == MB_UNKNOWN ? 0 : c->vram_total;
        int64_t gtt = c->gtt_total == MB_UNKNOWN ? 0 : c->gtt_total;
        d->total = d->integrated ? vram + gtt : vram;
    }
    s->n = s->sysfs.ncards;
    res->state = MB_PROBE_PRESENT;
    snprintf(res->reason, sizeof res->reason,
             "%d AMD GPU%s from the sysroot's amdgpu sysfs; the HIP runtime is not loaded for "
             "a machine dump (MEMBUDGET_HIP_FORCE_RUNTIME=1 loads it)", s->n,
             s->n == 1 ? "" : "s");
}

/* A runtime call that failed during probe: broken, naming the call. */
static int probe_fail(hip_state *s, mb_probe_result *res, const char *call, int dev,
                      hipError_t e)
{
    char eb[64];
    res->state = MB_PROBE_BROKEN;
    if (dev >= 0)
        snprintf(res->reason, sizeof res->reason, "%s(device %d) failed in %s: %s", call, dev,
                 s->soname, mb__hip_err(e, eb, sizeof eb));
    else
        snprintf(res->reason, sizeof res->reason, "%s failed in %s: %s", call, s->soname,
                 mb__hip_err(e, eb, sizeof eb));
    hip_shutdown(s);
    return MB_OK;
}

static int hip_probe(const mb_platform *plat, const mb_backend_services *services, void **state,
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
    char bad[64];
    int force = force_runtime(plat, bad, sizeof bad);
    if (force < 0) {
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason, "MEMBUDGET_HIP_FORCE_RUNTIME='%s' is not 0 or "
                 "1; set it to 1 to load the HIP runtime whatever sysfs shows, or unset it",
                 bad);
        return MB_OK;
    }
    hip_state *s = svc->calloc(1, sizeof *s);
    if (!s)
        return svc->error(MB_ENOMEM, "hip probe: out of memory");
    s->plat = plat;
    int rc = mb__hip_sysfs_scan(plat, &s->sysfs);
    if (rc) {
        hip_shutdown(s);
        if (rc == MB_ENOMEM)
            return rc;
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason, "amdgpu sysfs: %s", svc->detail());
        return MB_OK;
    }
    const char *root = svc->foreign(plat) ? svc->root(plat) : "";
    char cards[256];
    mb__hip_cards_describe(&s->sysfs, cards, sizeof cards);
    int ncards = s->sysfs.ncards;

    if (!force && svc->foreign(plat)) {
        if (ncards == 0) {
            res->state = MB_PROBE_ABSENT;
            snprintf(res->reason, sizeof res->reason,
                     "the sysroot %s has no amdgpu card (no %s/sys/class/drm/cardN/device/"
                     "vendor reading 0x1002)%s", svc->root(plat), root,
                     s->sysfs.kfd_gpus ? ", although its KFD topology lists GPUs" : "");
            hip_shutdown(s);
            return MB_OK;
        }
        hip_state *t = svc->calloc(1, sizeof *t + (size_t)ncards * sizeof(hip_dev));
        if (!t) {
            hip_shutdown(s);
            return svc->error(MB_ENOMEM, "hip probe: out of memory");
        }
        memcpy(t, s, sizeof *s);
        hip_shutdown(s);
        probe_sysfs_only(t, res);
        rc = prepare_apus(t, res);
        if (rc)
            return rc < 0 ? rc : MB_OK;
        *state = t;
        return MB_OK;
    }
    if (!force && ncards == 0 && !s->sysfs.kfd_dev && s->sysfs.kfd_gpus == 0) {
        res->state = MB_PROBE_ABSENT;
        snprintf(res->reason, sizeof res->reason,
                 "no AMD GPU: %s/sys/class/drm has no card with vendor 0x1002 and there is no "
                 "%s/dev/kfd; the HIP runtime was not loaded (MEMBUDGET_HIP_FORCE_RUNTIME=1 "
                 "loads it anyway)", root, root);
        hip_shutdown(s);
        return MB_OK;
    }

    char why[MB_REASON_MAX], eb[64];
    mb_probe_state ls = load_runtime(plat, &s->api, s->soname, sizeof s->soname, why, sizeof why);
    if (ls != MB_PROBE_PRESENT) {
        res->state = ls;
        if (ncards)
            snprintf(res->reason, sizeof res->reason,
                     "sysfs shows %d AMD GPU%s (%s) but the HIP runtime is unusable: %s; "
                     "install ROCm's HIP runtime (libamdhip64)", ncards, ncards == 1 ? "" : "s",
                     cards, why);
        else
            snprintf(res->reason, sizeof res->reason, "%s", why);
        hip_shutdown(s);
        return MB_OK;
    }
    char note[MB_REASON_MAX]; /* a newer soname that failed to load, if any */
    snprintf(note, sizeof note, "%s", why);

    char vis[200];
    visible_env(plat, vis, sizeof vis);
    hipError_t e = s->api.p_hipInit(0);
    hipError_t init_e = e;
    if (e != hipSuccess && e != hipErrorInvalidDevice && e != hipErrorNoDevice)
        return probe_fail(s, res, "hipInit", -1, e);
    int count = 0;
    e = s->api.p_hipGetDeviceCount(&count);
    if (e != hipSuccess && e != hipErrorNoDevice)
        return probe_fail(s, res, "hipGetDeviceCount", -1, e);
    if (e == hipErrorNoDevice || count <= 0) {
        char eb2[64];
        res->state = MB_PROBE_ABSENT;
        snprintf(res->reason, sizeof res->reason,
                 "%s sees no AMD GPU: hipInit answered %s, hipGetDeviceCount %s with a count "
                 "of %d%s%s%s%s", s->soname, mb__hip_err(init_e, eb, sizeof eb),
                 mb__hip_err(e, eb2, sizeof eb2), count < 0 ? 0 : count, vis,
                 ncards ? "; sysfs shows " : "", ncards ? cards : "",
                 ncards ? " (is /dev/kfd readable? users need the render and video groups)"
                        : "");
        hip_shutdown(s);
        return MB_OK;
    }
    if (count > 4096)
        count = 4096;
    hip_state *t = svc->calloc(1, sizeof *t + (size_t)count * sizeof(hip_dev));
    if (!t) {
        hip_shutdown(s);
        return svc->error(MB_ENOMEM, "hip probe: out of memory for %d devices", count);
    }
    memcpy(t, s, sizeof *s);
    hip_shutdown(s);
    s = t;
    s->runtime = 1;
    s->n = count;
    char xcheck[MB_REASON_MAX] = "";
    int matched = 0, apus = 0;
    for (int i = 0; i < count; i++) {
        hip_dev *d = &s->devs[i];
        d->card = -1;
        if ((e = s->api.p_hipDeviceGetName(d->name, (int)sizeof d->name, i)) != hipSuccess)
            return probe_fail(s, res, "hipDeviceGetName", i, e);
        d->name[sizeof d->name - 1] = '\0';
        if ((e = s->api.p_hipDeviceGetPCIBusId(d->pci, (int)sizeof d->pci, i)) != hipSuccess)
            return probe_fail(s, res, "hipDeviceGetPCIBusId", i, e);
        d->pci[sizeof d->pci - 1] = '\0';
        size_t total = 0;
        /* hipDevice_t is the ordinal on AMD (hipDeviceGet returns it unchanged). */
        if ((e = s->api.p_hipDeviceTotalMem(&total, i)) != hipSuccess)
            return probe_fail(s, res, "hipDeviceTotalMem", i, e);
        d->total = mb__hip_i64(total);
        int integ = 0;
        if ((e = s->api.p_hipDeviceGetAttribute(&integ, hipDeviceAttributeIntegrated, i)) !=
            hipSuccess)
            return probe_fail(s, res, "hipDeviceGetAttribute(hipDeviceAttributeIntegrated)", i,
                              e);
        d->hip_integrated = integ != 0;
        const mb_hip_card *c = mb__hip_card_by_pci(&s->sysfs, d->pci);
        if (c) {
            d->card = (int)(c - s->sysfs.cards);
            matched++;
        }
        d->integrated = d->hip_integrated || (c && c->apu);
        apus += d->integrated;
        if (c && !d->integrated && c->vram_total != MB_UNKNOWN && c->vram_total > 0) {
            int64_t diff = d->total - c->vram_total;
            if (diff < 0)
                diff = -diff;
            if (diff > c->vram_total / 100) {
                size_t l = strlen(xcheck);
                snprintf(xcheck + l, sizeof xcheck - l,
                         "; hip:%d total %lld differs from card%d mem_info_vram_total %lld", i,
                         (long long)d->total, c->card, (long long)c->vram_total);
            }
        }
    }
    res->state = MB_PROBE_PRESENT;
    snprintf(res->reason, sizeof res->reason,
             "%d device%s (%d APU%s) through %s; %d matched to amdgpu sysfs by PCI bus id%s%s%s%s",
             count, count == 1 ? "" : "s", apus, apus == 1 ? "" : "s", s->soname, matched,
             xcheck, vis, note[0] ? "; " : "", note);
    int prc = prepare_apus(s, res);
    if (prc)
        return prc < 0 ? prc : MB_OK;
    *state = s;
    return MB_OK;
}

static int hip_device_count(void *st) { return ((hip_state *)st)->n; }


static int hip_device_info(void *st, int i, mb_backend_device *out)
{
    hip_state *s = st;
    int rc = mb__hip_check_dev(s, i);
    if (rc)
        return rc;
    const hip_dev *d = &s->devs[i];
    out->index = i;
    out->integrated = d->integrated;
    snprintf(out->ops, sizeof out->ops, "%s", d->integrated ? "hip-apu" : "hip");
    snprintf(out->model, sizeof out->model, "%s", d->name);
    snprintf(out->pci_bus_id, sizeof out->pci_bus_id, "%s", d->pci);
    out->numa_node = d->card >= 0 ? s->sysfs.cards[d->card].numa_node : -1;
    out->total_memory = d->total;
    return MB_OK;
}

/* backends/hip/hip_procs.c */
int mb__hip_processes(const mb_platform *plat, const mb_device_info *dev,
                      int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                      size_t why_size);

static int hip_processes(void *st, int i, const mb_device_info *dev,
                         int (*add)(void *sink, const mb_process *p), void *sink, char *why,
                         size_t why_size)
{
    (void)i;
    hip_state *s = st;
    return mb__hip_processes(s->plat, dev, add, sink, why, why_size);
}

const struct mb_backend_ops mb__backend_hip = {
    .version = MB_BACKEND_VERSION,
    .name = "hip",
    .platform_name = "rocm",
    .probe = hip_probe,
    .device_count = hip_device_count,
    .device_info = hip_device_info,
    .mem_info = mb__hip_mem_info,
    .max_shared_memory = mb__hip_max_shared_memory,
    .synchronize = mb__hip_synchronize,
    .alloc = mb__hip_alloc,
    .free = mb__hip_free,
    .shutdown = hip_shutdown,
    .processes = hip_processes,
    .files = mb__hip_files,
};
