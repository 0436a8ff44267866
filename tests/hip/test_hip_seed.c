/* tests/hip/test_hip_seed.c: vLLM's memory_profiling example on a HIP device, through the
 * built-in tracking allocator:
 *   another tenant holds 512 MiB before the engine starts (category 1);
 *   the engine loads 512 MiB of weights through the tracker;
 *   profiling: a 1 GiB activation spike through the tracker (allocated, then freed), and
 *   256 MiB allocated outside the tracker (NCCL-like, straight from hipMalloc);
 * expected: torch_peak_increase exactly 1 GiB, non_torch_increase within 5% of 256 MiB,
 * non_kv_cache_memory = weights + both.
 *
 * Default: the test double's discrete board (the other tenant is the double's bookkeeping).
 * --hw: a real ROCm GPU (ci/hip-hw.sh): the other tenant is a child process holding 512 MiB
 * (this program with --hold BYTES), and at the peak the program saves rocm-smi's JSON to
 * $MB_SEED_SMI_JSON and prints its own snapshot as "MB_SEED_SNAPSHOT {json}" for the job to
 * compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hiptest.h"

typedef int (*hip_int_fn)(int);
typedef int (*hip_uint_fn)(unsigned);
typedef int (*hip_malloc_fn)(void **, size_t);
typedef int (*hip_free_fn)(void *);

static int hw;
static const char *self;

/* The runtime the backend loaded (or, for --hold, the newest installed). */
static void *runtime(int noload)
{
    static const char *const names[] = {"libamdhip64.so.7", "libamdhip64.so.6",
                                        "libamdhip64.so.5"};
    const char *pin = getenv("MEMBUDGET_HIP_SONAME");
    if (pin && *pin)
        return dlopen(pin, RTLD_NOW | (noload ? RTLD_NOLOAD : 0));
    for (int i = 0; i < 3; i++) {
        void *h = dlopen(names[i], RTLD_NOW | (noload ? RTLD_NOLOAD : 0));
        if (h)
            return h;
    }
    return NULL;
}

/* --hold BYTES: allocate on device 0, say "ready", hold until stdin closes. */
static int hold(const char *bytes_text)
{
    size_t bytes = (size_t)strtoull(bytes_text, NULL, 10);
    void *h = runtime(0);
    if (!h) {
        fprintf(stderr, "hold: no HIP runtime: %s\n", dlerror());
        return 1;
    }
    hip_uint_fn init = (hip_uint_fn)dlsym(h, "hipInit");
    hip_int_fn set = (hip_int_fn)dlsym(h, "hipSetDevice");
    hip_malloc_fn mal = (hip_malloc_fn)dlsym(h, "hipMalloc");
    hip_free_fn fr = (hip_free_fn)dlsym(h, "hipFree");
    void *p = NULL;
    int e;
    if (!init || !set || !mal || !fr || (e = init(0)) || (e = set(0)) || (e = mal(&p, bytes))) {
        fprintf(stderr, "hold: the runtime refused to allocate %zu bytes\n", bytes);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    fr(p);
    return 0;
}

typedef struct tenant {
    pid_t pid;
    int to_child;
} tenant;

static tenant start_tenant(size_t bytes)
{
    int in[2], out[2];
    tenant t = {-1, -1};
    if (pipe(in) || pipe(out))
        fail_msg("pipe failed");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        char arg[32];
        snprintf(arg, sizeof arg, "%zu", bytes);
        execl("/proc/self/exe", self, "--hold", arg, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char buf[16] = "";
    ssize_t n = read(out[0], buf, sizeof buf - 1);
    close(out[0]);
    if (n < 5 || strncmp(buf, "ready", 5) != 0)
        fail_msg("the other tenant (%s --hold) did not start", self);
    t.pid = pid;
    t.to_child = in[1];
    return t;
}

static void stop_tenant(tenant *t)
{
    if (t->pid <= 0)
        return;
    close(t->to_child);
    int st;
    waitpid(t->pid, &st, 0);
    t->pid = -1;
}

/* --hw: rocm-smi's view at the same moment, and ours, for ci/hip-hw.sh to compare. */
static void report_peak(mb_context *ctx, int dev)
{
    mb_snapshot s;
    assert_int_equal(mb_snapshot_measure(ctx, dev, NULL, &s), MB_OK);
    const char *out = getenv("MB_SEED_SMI_JSON");
    if (out && *out) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rocm-smi --showmeminfo vram --json > '%s'", out);
        if (system(cmd) != 0)
            fail_msg("%s failed", cmd);
    }
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, dev, &d), MB_OK);
    printf("MB_SEED_SNAPSHOT {\"device\": \"%s\", \"pci_bus_id\": \"%s\", \"total\": %lld, "
           "\"free\": %lld, \"used\": %lld}\n",
           s.device, d.pci_bus_id, (long long)s.total_memory, (long long)s.free_memory,
           (long long)s.device_memory);
    fflush(stdout);
}

static void test_seed(void **state)
{
    (void)state;
    fake_ctl fake;
    tenant other = {-1, -1};
    if (hw) {
        other = start_tenant((size_t)(512 * MiB));
    } else {
        fake = fake_open();
        fake.reset(NULL);
        fake.set_other(0, (size_t)(512 * MiB));
    }
    mb_context *ctx = ht_ctx(NULL, "hip");
    int dev = ht_find(ctx, "hip:0");
    if (dev < 0) {
        mb_backend_status st = ht_backend(ctx, "hip");
        fail_msg("no hip:0: hip is %s: %s", mb_backend_state_name(st.state), st.reason);
    }
    mb_snapshot baseline;
    assert_int_equal(mb_snapshot_measure(ctx, dev, NULL, &baseline), MB_OK);

    mb_tracker *t = NULL;
    assert_int_equal(mb_tracker_init(&t, ctx, dev, MB_TRACKER_CACHING), MB_OK);
    mb_allocator a;
    mb_tracker_get_allocator(t, &a);
    void *weights = NULL, *spike = NULL, *outside = NULL;
    assert_int_equal(mb_tracker_allocate(t, (size_t)(512 * MiB), &weights), MB_OK);

    mb_profile p;
    assert_int_equal(mb_profile_begin(&p, ctx, dev, &a, &baseline, 512 * MiB), MB_OK);
    assert_int_equal(mb_tracker_allocate(t, (size_t)GiB, &spike), MB_OK);
    assert_int_equal(mb_tracker_deallocate(t, spike), MB_OK);
    void *h = runtime(1);
    assert_non_null(h);
    hip_int_fn set = (hip_int_fn)dlsym(h, "hipSetDevice");
    hip_malloc_fn mal = (hip_malloc_fn)dlsym(h, "hipMalloc");
    hip_free_fn fr = (hip_free_fn)dlsym(h, "hipFree");
    assert_non_null(set);
    assert_non_null(mal);
    assert_non_null(fr);
    mb_device_info d = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, dev, &d), MB_OK);
    assert_int_equal(set(d.index), 0);
    assert_int_equal(mal(&outside, (size_t)(256 * MiB)), 0);
    if (hw)
        report_peak(ctx, dev);
    assert_int_equal(mb_profile_end(&p), MB_OK);

    char text[1024];
    mb_profile_format(&p, text, sizeof text);
    printf("%s\n", text);
    assert_int_equal(p.torch_peak_increase, GiB);
    int64_t dev_nt = p.non_torch_increase - 256 * MiB;
    if (dev_nt < 0)
        dev_nt = -dev_nt;
    if (dev_nt > 256 * MiB / 20)
        fail_msg("non_torch_increase %lld is not within 5%% of 256 MiB",
                 (long long)p.non_torch_increase);
    assert_int_equal(p.weights_memory, 512 * MiB);
    assert_int_equal(p.non_kv_cache_memory,
                     p.weights_memory + p.torch_peak_increase + p.non_torch_increase);
    if (!hw) /* exact on the double; a real board may round to 0.24 or 0.26 */
        assert_non_null(strstr(text, "Total non KV cache memory: 1.75GiB; torch peak memory "
                                     "increase: 1.0GiB; non-torch forward increase memory: "
                                     "0.25GiB; weights memory: 0.5GiB."));
    /* the other tenant is not the engine's: before_create already counted it */
    assert_true(baseline.non_torch_memory >= 512 * MiB);

    assert_int_equal(fr(outside), 0);
    mb_tracker_free(t);
    mb_context_free(ctx);
    if (hw)
        stop_tenant(&other);
    else
        assert_int_equal(fake.live_allocations(), 0);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc == 3 && strcmp(argv[1], "--hold") == 0)
        return hold(argv[2]);
    hw = argc > 1 && strcmp(argv[1], "--hw") == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
