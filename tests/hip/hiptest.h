/* tests/hip/hiptest.h: helpers shared by the HIP backend's tests: the test double's control
 * functions (found with dlsym in the very library the backend loads) and small amdgpu
 * sysroots built from the fixtures. Header-only: each test program is its own process. */
#ifndef MB_HIPTEST_H
#define MB_HIPTEST_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"
#include "testutil.h"

#define GiB MB_GiB
#define MiB MB_MiB

/* ---- the test double's controls ---------------------------------------------------- */

typedef struct fake_ctl {
    void *handle;
    void (*reset)(const char *scenario);
    void (*fail_at)(long n, int code);
    long (*calls)(void);
    long (*fired)(void);
    const char *(*failed_name)(void);
    int (*live_allocations)(void);
    long (*bad_frees)(void);
    void (*set_other)(int dev, size_t bytes);
    void (*set_integrated)(int dev, int integrated);
    void (*set_optin)(int dev, int optin);
    long (*sync_calls)(void);
    void (*set_free_bonus)(int dev, long bytes);
} fake_ctl;

/* Opens the test double by the soname the backend finds first on this machine
 * (LD_LIBRARY_PATH holds its folder) and resolves its controls; aborts when it is not the
 * double (a real runtime would be driven by mistake). */
static inline fake_ctl fake_open(void)
{
    fake_ctl f;
    memset(&f, 0, sizeof f);
    f.handle = dlopen("libamdhip64.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!f.handle) {
        fprintf(stderr, "test setup: the test double libamdhip64.so.6 is not on "
                        "LD_LIBRARY_PATH: %s\n", dlerror());
        abort();
    }
#define FAKE_SYM(field, type)                                                               \
    f.field = (type)dlsym(f.handle, "fakehip_" #field);                                     \
    if (!f.field) {                                                                         \
        fprintf(stderr, "test setup: libamdhip64.so.6 lacks fakehip_" #field                \
                        ": not the test double\n");                                         \
        abort();                                                                            \
    }
    FAKE_SYM(reset, void (*)(const char *))
    FAKE_SYM(fail_at, void (*)(long, int))
    FAKE_SYM(calls, long (*)(void))
    FAKE_SYM(fired, long (*)(void))
    FAKE_SYM(failed_name, const char *(*)(void))
    FAKE_SYM(live_allocations, int (*)(void))
    FAKE_SYM(bad_frees, long (*)(void))
    FAKE_SYM(set_other, void (*)(int, size_t))
    FAKE_SYM(set_integrated, void (*)(int, int))
    FAKE_SYM(set_optin, void (*)(int, int))
    FAKE_SYM(sync_calls, long (*)(void))
    FAKE_SYM(set_free_bonus, void (*)(int, long))
#undef FAKE_SYM
    return f;
}

/* ---- sysroots ----------------------------------------------------------------------- */

#define ILLU MB_FIXTURES "/illustrative"

/* Writes root/path with text. */
static inline void ht_put(const char *root, const char *path, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s%s", root, path);
    tu_write(p, text);
}

static inline void ht_put_i64(const char *root, const char *path, int64_t v)
{
    char t[32];
    snprintf(t, sizeof t, "%lld\n", (long long)v);
    ht_put(root, path, t);
}

/* /sys/class/drm/cardN/device from a fixture folder (drm_dgpu, drm_apu_lowcarveout), with
 * a uevent naming pci (the fixtures have none). */
static inline void ht_card(const char *root, int n, const char *fixture, const char *pci)
{
    static const char *const files[] = {"vendor", "numa_node", "mem_info_vram_total",
                                        "mem_info_vram_used", "mem_info_gtt_total",
                                        "mem_info_gtt_used", "mem_info_vis_vram_total",
                                        "mem_info_vis_vram_used"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char src[4096], dst[4096];
        snprintf(src, sizeof src, "%s/%s/%s", ILLU, fixture, files[i]);
        snprintf(dst, sizeof dst, "%s/sys/class/drm/card%d/device/%s", root, n, files[i]);
        tu_copy(src, dst);
    }
    char path[256], text[256];
    snprintf(path, sizeof path, "/sys/class/drm/card%d/device/uevent", n);
    snprintf(text, sizeof text, "DRIVER=amdgpu\nPCI_CLASS=38000\nPCI_ID=1002:74A1\n"
                                "PCI_SUBSYS_ID=1002:74A1\nPCI_SLOT_NAME=%s\n"
                                "MODALIAS=pci:v00001002d000074A1sv00001002sd000074A1bc03sc80i00\n",
             pci);
    ht_put(root, path, text);
}

/* Overrides one mem_info file of card n. */
static inline void ht_card_mem(const char *root, int n, const char *name, int64_t v)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/class/drm/card%d/device/mem_info_%s", n, name);
    ht_put_i64(root, path, v);
}

/* The fixture's KFD topology (one CPU node, one GPU node). */
static inline void ht_kfd(const char *root)
{
    char dst[4096], cmd[9000];
    snprintf(dst, sizeof dst, "%s/sys/class/kfd/kfd/topology", root);
    tu_mkdirs(dst);
    snprintf(cmd, sizeof cmd, "cp -r '%s/kfd/nodes' '%s/'", ILLU, dst);
    if (system(cmd) != 0) {
        fprintf(stderr, "test setup: %s failed\n", cmd);
        abort();
    }
}

/* /proc/meminfo with the figures the UMA policy reads. */
static inline void ht_meminfo(const char *root, int64_t total, int64_t available)
{
    char text[512];
    snprintf(text, sizeof text,
             "MemTotal:       %lld kB\nMemFree:        %lld kB\nMemAvailable:   %lld kB\n"
             "Buffers:               0 kB\nCached:                0 kB\n",
             (long long)(total / 1024), (long long)(available / 2048),
             (long long)(available / 1024));
    ht_put(root, "/proc/meminfo", text);
}

/* A context over root (NULL: the live machine) with the backends given. */
static inline mb_context *ht_ctx(const char *root, const char *backends)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    o.backends = backends;
    mb_context *ctx = NULL;
    int rc = mb_context_init(&ctx, &o);
    if (rc) {
        fprintf(stderr, "mb_context_init(%s): %s: %s\n", root ? root : "/", mb_error_message(rc),
                mb_error_detail());
        abort();
    }
    return ctx;
}

/* The status of backend name in ctx (probes). */
static inline mb_backend_status ht_backend(mb_context *ctx, const char *name)
{
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        mb_backend_status b = MB_BACKEND_STATUS_INIT;
        if (mb_backend_get(ctx, i, &b) == MB_OK && strcmp(b.name, name) == 0)
            return b;
    }
    fprintf(stderr, "no backend named %s in this build\n", name);
    abort();
}

/* Index of the device called name ("hip:0"); -1 when absent. */
static inline int ht_find(mb_context *ctx, const char *name)
{
    int idx = -1;
    if (mb_device_find(ctx, name, &idx) != MB_OK)
        return -1;
    return idx;
}

#endif
