/*
 * tests/cuda/test_cuda_procs.c: per-process attribution through the fake NVML (issue 18),
 * on the fake's "two" machine (an A100, then an L4).
 *  --nvml:    the _v3 lists in both record layouts (24 bytes before R535, 32 after), the
 *             _v2 fallback when _v3 answers FUNCTION_NOT_FOUND, "not available" kept
 *             unknown, MIG instance ids, growth past the first buffer, NOT_SUPPORTED,
 *             an injected driver failure, and nvmlInit/nvmlShutdown balanced.
 *  --no-v3:   an NVML without the _v3 symbols (drivers before R510): _v2 answers.
 *  --no-nvml: no libnvidia-ml.so.1: no entries, and the reason says so.
 *  --uma:     the fake's GB10 (integrated) whose NVML cannot list processes: the processes
 *             holding the GPU's device nodes open, by VmRSS, on a copy of the GB10 dump.
 */
#include <unistd.h>

#include "cuda_test.h"
#include "testutil.h"
#include "membudget/operators.h"

static int mode; /* 0 --nvml, 1 --no-v3, 2 --no-nvml, 3 --uma */

static struct {
    void (*clear)(void);
    int (*add)(int, int, unsigned, unsigned long long, unsigned, unsigned);
    void (*set)(const char *, int);
    int (*inits)(void);
} NV;

static int setup(void **state)
{
    (void)state;
    load_fake();
    if (mode != 2) {
        void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h)
            fail_msg("the fake libnvidia-ml.so.1 is not on LD_LIBRARY_PATH: %s", dlerror());
        *(void **)&NV.clear = dlsym(h, "mbfake_nvml_procs_clear");
        *(void **)&NV.add = dlsym(h, "mbfake_nvml_proc_add");
        *(void **)&NV.set = dlsym(h, "mbfake_nvml_procs_set");
        *(void **)&NV.inits = dlsym(h, "mbfake_nvml_inits");
        if (!NV.clear || !NV.add || !NV.set || !NV.inits)
            fail_msg("libnvidia-ml.so.1 is not the fake");
        NV.clear();
        unsigned self = (unsigned)getpid();
        const unsigned off = MB_PROC_NO_INSTANCE;
        NV.add(0, 0, self, 1ULL << 30, off, off);             /* this test: 1 GiB compute */
        NV.add(0, 0, 999999, ~0ULL, off, off);                /* NVML_VALUE_NOT_AVAILABLE */
        NV.add(0, 1, self, 256ULL << 20, off, off);           /* and 256 MiB graphics */
        NV.add(1, 0, 4242, 2ULL << 30, 1, 0);                 /* a MIG instance's process */
    }
    return FC.mbfake_cuda_setup(mode == 3 ? "uma" : "two");
}

static const mb_process *find(const mb_process_list *l, const char *dev, long long pid,
                              int32_t src)
{
    for (int i = 0; i < mb_process_list_count(l); i++) {
        const mb_process *p = mb_process_list_get_entry(l, i);
        if (strcmp(p->device, dev) == 0 && p->source_pid == pid && p->source == src)
            return p;
    }
    return NULL;
}

static int on_dev(const mb_process_list *l, const char *dev)
{
    int n = 0;
    for (int i = 0; i < mb_process_list_count(l); i++)
        n += strcmp(mb_process_list_get_entry(l, i)->device, dev) == 0;
    return n;
}

/* The table setup() wrote, as membudget must report it. */
static void check_table(mb_context *ctx)
{
    mb_process_list *l = NULL;
    int rc = mb_process_list_init(&l, ctx, -1);
    if (rc)
        fail_msg("mb_process_list_get: %s: %s", mb_error_message(rc), mb_error_detail());
    assert_int_equal(on_dev(l, "cuda:0"), 3);
    assert_int_equal(on_dev(l, "cuda:1"), 1);
    const mb_process *p = find(l, "cuda:0", getpid(), MB_PROC_SOURCE_NVML_COMPUTE);
    assert_non_null(p);
    assert_true(p->bytes == 1LL << 30);
    assert_int_equal(p->pid, getpid());
    assert_string_equal(p->name, "test_cuda_procs");
    assert_true(p->host_bytes > 0);
    assert_int_equal(p->gpu_instance, MB_PROC_NO_INSTANCE);
    assert_int_equal(p->readable, 1);
    p = find(l, "cuda:0", getpid(), MB_PROC_SOURCE_NVML_GRAPHICS);
    assert_non_null(p);
    assert_true(p->bytes == 256LL << 20);
    p = find(l, "cuda:0", 999999, MB_PROC_SOURCE_NVML_COMPUTE);
    assert_non_null(p);
    assert_true(p->bytes == MB_UNKNOWN); /* not available stays unknown, never 0 */
    assert_non_null(strstr(p->note, "NVML_VALUE_NOT_AVAILABLE"));
    assert_int_equal(p->pid, 0); /* no such process here */
    assert_int_equal(p->readable, 0);
    p = find(l, "cuda:1", 4242, MB_PROC_SOURCE_NVML_COMPUTE);
    assert_non_null(p);
    assert_true(p->bytes == 2LL << 30);
    assert_int_equal(p->gpu_instance, 1);
    assert_int_equal(p->compute_instance, 0);
    mb_process_list_free(l);
    assert_int_equal(NV.inits(), 0); /* every nvmlInit_v2 was shut down */
}

static void test_layouts(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    if (mode == 1) {
        check_table(ctx);
        assert_true(FC.mbfake_cuda_count("nvmlDeviceGetComputeRunningProcesses_v2") >= 2);
        assert_int_equal(FC.mbfake_cuda_count("nvmlDeviceGetComputeRunningProcesses_v3"), 0);
        mb_context_free(ctx);
        return;
    }
    NV.set("stride", 32); /* R535 and later */
    check_table(ctx);
    assert_int_equal(FC.mbfake_cuda_count("nvmlDeviceGetComputeRunningProcesses_v2"), 0);
    NV.set("stride", 24); /* R510 .. R530: the same entry point, the older record */
    check_table(ctx);
    NV.set("v3_absent", 1); /* _v3 answers FUNCTION_NOT_FOUND: _v2 */
    check_table(ctx);
    assert_true(FC.mbfake_cuda_count("nvmlDeviceGetComputeRunningProcesses_v2") >= 2);
    mb_context_free(ctx);
}

/* More processes than the first buffer holds (8 spare slots): the count protocol. */
static void test_growth(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 30; i++)
        NV.add(1, 1, 10000 + i, (i + 1) << 20, MB_PROC_NO_INSTANCE, MB_PROC_NO_INSTANCE);
    mb_context *ctx = open_ctx(NULL);
    int d = device(ctx, "cuda:1");
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, d), MB_OK);
    assert_int_equal(mb_process_list_count(l), 31);
    const mb_process *p = find(l, "cuda:1", 10029, MB_PROC_SOURCE_NVML_GRAPHICS);
    assert_non_null(p);
    assert_true(p->bytes == 30LL << 20);
    mb_process_list_free(l);
    mb_context_free(ctx);
}

static void test_not_supported(void **state)
{
    (void)state;
    NV.set("not_supported", 1);
    mb_context *ctx = open_ctx(NULL);
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, 0), MB_OK);
    assert_int_equal(mb_process_list_count(l), 0);
    assert_non_null(strstr(mb_process_list_get_why(l, 0), "Not Supported"));
    mb_process_list_free(l);
    mb_context_free(ctx);
    assert_int_equal(NV.inits(), 0);
}

/* A driver failure in the middle of a list: an error naming the call, nothing leaked,
 * NVML still shut down. */
static void test_driver_failure(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    long before = FC.mbfake_cuda_calls();
    (void)before;
    FC.mbfake_cuda_set("fault_code", 999);
    /* the first faultable call is nvmlInit_v2, then the handle, then the compute list */
    FC.mbfake_cuda_set("fail_at", 3);
    mb_process_list *l = NULL;
    int rc = mb_process_list_init(&l, ctx, 0);
    assert_string_equal(FC.mbfake_cuda_failed_call(), "nvmlDeviceGetComputeRunningProcesses_v3");
    assert_int_equal(rc, MB_EBACKEND);
    assert_null(l);
    assert_non_null(strstr(mb_error_detail(), "nvmlDeviceGetComputeRunningProcesses_v3"));
    FC.mbfake_cuda_set("fail_at", 0);
    assert_int_equal(NV.inits(), 0);
    mb_context_free(ctx);
}

static void test_no_nvml(void **state)
{
    (void)state;
    mb_context *ctx = open_ctx(NULL);
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, 0), MB_OK);
    assert_int_equal(mb_process_list_count(l), 0);
    assert_non_null(strstr(mb_process_list_get_why(l, 0), "NVML not loaded"));
    mb_process_list_free(l);
    mb_context_free(ctx);
}

static void test_uma_fallback(void **state)
{
    (void)state;
    char root[4096], cmd[9000], path[4200];
    tu_fresh_dir("cuda_procs_uma", root, sizeof root);
    snprintf(cmd, sizeof cmd, "cp -r '%s'/. '%s'/", getenv("MEMBUDGET_SYSROOT"), root);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/proc/777/status", root);
    tu_write(path, "Name:\tengine\nNSpid:\t777\nVmRSS:\t 4194304 kB\n");
    snprintf(path, sizeof path, "%s/proc/777/fd/3", root);
    tu_write(path, "");
    unlink(path);
    assert_int_equal(symlink("/dev/nvidia0", path), 0);
    snprintf(path, sizeof path, "%s/proc/778/status", root);
    tu_write(path, "Name:\tbash\nNSpid:\t778\nVmRSS:\t 1024 kB\n");
    snprintf(path, sizeof path, "%s/proc/778/fd/0", root);
    tu_write(path, "");
    unlink(path);
    assert_int_equal(symlink("/dev/pts/0", path), 0);
    NV.set("not_supported", 1); /* NVML answers NOT_SUPPORTED, as GB10's may */
    mb_context *ctx = open_ctx(root);
    int d = device(ctx, "cuda:0");
    mb_device_info info = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, d, &info), MB_OK);
    assert_int_equal(info.integrated, 1);
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, d), MB_OK);
    assert_int_equal(mb_process_list_count(l), 1);
    const mb_process *p = mb_process_list_get_entry(l, 0);
    assert_int_equal(p->source_pid, 777);
    assert_int_equal(p->source, MB_PROC_SOURCE_PROC_STATUS);
    assert_true(p->bytes == 4194304LL * 1024);
    assert_non_null(strstr(p->note, "/dev/nvidia0"));
    assert_non_null(strstr(mb_process_list_get_why(l, d), "Not Supported"));
    assert_non_null(strstr(mb_process_list_get_why(l, d), "1 processes holding"));
    mb_process_list_free(l);
    mb_context_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    mode = strcmp(argv[1], "--nvml") == 0    ? 0
           : strcmp(argv[1], "--no-v3") == 0 ? 1
           : strcmp(argv[1], "--uma") == 0   ? 3
                                             : 2;
    setenv("MEMBUDGET_BACKENDS", "cuda", 1);
    if (mode == 2) {
        const struct CMUnitTest t[] = {cmocka_unit_test_setup(test_no_nvml, setup)};
        return cmocka_run_group_tests_name("cuda processes, no NVML", t, NULL, NULL);
    }
    if (mode == 3) {
        const struct CMUnitTest t[] = {cmocka_unit_test_setup(test_uma_fallback, setup)};
        return cmocka_run_group_tests_name("cuda processes, integrated", t, NULL, NULL);
    }
    if (mode == 3) {
        const struct CMUnitTest t[] = {cmocka_unit_test_setup(test_uma_fallback, setup)};
        return cmocka_run_group_tests_name("cuda processes, integrated", t, NULL, NULL);
    }
    if (mode == 1) {
        const struct CMUnitTest t[] = {cmocka_unit_test_setup(test_layouts, setup)};
        return cmocka_run_group_tests_name("cuda processes, NVML without _v3", t, NULL, NULL);
    }
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup(test_layouts, setup),
        cmocka_unit_test_setup(test_growth, setup),
        cmocka_unit_test_setup(test_not_supported, setup),
        cmocka_unit_test_setup(test_driver_failure, setup),
    };
    return cmocka_run_group_tests_name("cuda processes, NVML", t, NULL, NULL);
}
