/* tests/ops/test_ops_procs.c: per-process attribution on CPU nodes from made-up /proc
 * trees (numa_maps, status with NSpid, comm, cmdline), what cannot be read, the files
 * `gather` copies, and PSI files parsed; plus this machine's own process seen live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/operators.h"
#include "testutil.h"

#define ILLU MB_FIXTURES "/illustrative"

static void put(const char *root, const char *rel, const char *text, size_t len)
{
    char p[4096];
    snprintf(p, sizeof p, "%s%s", root, rel);
    tu_write(p, ""); /* creates the folders */
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}
#define PUT(root, rel, s) put(root, rel, s, strlen(s))

static mb_context *ctx_at(const char *root)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    o.backends = "cpu";
    mb_context *ctx = NULL;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    return ctx;
}

static const mb_process *find(const mb_process_list *l, long long pid)
{
    for (int i = 0; i < mb_process_list_count(l); i++)
        if (mb_process_list_get_entry(l, i)->source_pid == pid)
            return mb_process_list_get_entry(l, i);
    return NULL;
}

/* A machine of one CPU device (no node folders) and four processes. */
static void make_tree(const char *root)
{
    char meminfo[4096];
    snprintf(meminfo, sizeof meminfo, "%s/node0_meminfo", ILLU);
    PUT(root, "/proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8192000 kB\n"
                               "MemAvailable:    9000000 kB\n");
    /* 100: an engine inside a container (PID 7 there), 10 small pages and 2 huge pages on
     * node 0, 5 huge pages on node 1 */
    PUT(root, "/proc/100/status", "Name:\tengine\nUmask:\t0022\nState:\tS (sleeping)\n"
                                  "NSpid:\t100\t7\nVmRSS:\t    2048 kB\n");
    PUT(root, "/proc/100/comm", "engine\n");
    put(root, "/proc/100/cmdline", "python3\0-m\0vllm\0", 16);
    PUT(root, "/proc/100/numa_maps",
        "55d0 default file=/usr/bin/python3 mapped=10 N0=10 kernelpagesize_kB=4\n"
        "7f00 default anon=7 dirty=7 active=0 N0=2 N1=5 kernelpagesize_kB=2048\n"
        "7f80 default\n");
    /* 200: everything on node 1: not listed for node 0 */
    PUT(root, "/proc/200/status", "Name:\tother\nNSpid:\t200\nVmRSS:\t     100 kB\n");
    PUT(root, "/proc/200/numa_maps", "7f00 default anon=1 N1=1 kernelpagesize_kB=4\n");
    /* 300: a kernel built without NUMA has no numa_maps: VmRSS stands in */
    PUT(root, "/proc/300/status", "Name:\tnonuma\nVmRSS:\t    4096 kB\n");
    /* 400: numa_maps that cannot be read (a folder here; EACCES on a live machine) */
    PUT(root, "/proc/400/status", "Name:\tlocked\nNSpid:\t400\nVmRSS:\t     512 kB\n");
    char d[4096];
    snprintf(d, sizeof d, "%s/proc/400/numa_maps", root);
    tu_mkdirs(d);
    /* a kernel thread: empty numa_maps, no VmRSS */
    PUT(root, "/proc/2/status", "Name:\tkthreadd\nNSpid:\t2\n");
    PUT(root, "/proc/2/numa_maps", "");
    PUT(root, "/proc/pressure/memory", "some avg10=3.47 avg60=1.92 avg300=0.58 total=91837465\n"
                                       "full avg10=1.05 avg60=0.61 avg300=0.17 total=27730912\n");
}

static void test_cpu_tree(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("ops_procs_cpu", root, sizeof root);
    make_tree(root);
    mb_context *ctx = ctx_at(root);
    assert_int_equal(mb_device_count(ctx), 1);
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, -1), MB_OK);
    assert_int_equal(mb_process_list_count(l), 3); /* 100, 300, 400 */
    assert_null(find(l, 200));
    assert_null(find(l, 2));

    const mb_process *p = find(l, 100);
    assert_non_null(p);
    assert_int_equal(p->size, sizeof *p);
    assert_string_equal(p->device, "cpu:0");
    assert_int_equal(p->source, MB_PROC_SOURCE_NUMA_MAPS);
    assert_int_equal(p->bytes, 10 * 4096 + 2 * 2048 * 1024);
    assert_int_equal(p->pid, 100);
    assert_int_equal(p->ns_pid, 7);
    assert_string_equal(p->name, "engine");
    assert_string_equal(p->cmdline, "python3 -m vllm");
    assert_int_equal(p->host_bytes, 2048 * 1024);
    assert_int_equal(p->readable, 1);
    assert_string_equal(p->note, "");

    p = find(l, 300);
    assert_non_null(p);
    assert_int_equal(p->source, MB_PROC_SOURCE_PROC_STATUS);
    assert_int_equal(p->bytes, 4096 * 1024);
    assert_int_equal(p->ns_pid, 300); /* no NSpid line: its own PID */

    p = find(l, 400);
    assert_non_null(p);
    assert_true(p->bytes == MB_UNKNOWN);
    assert_int_equal(p->readable, 0);
    assert_non_null(strstr(p->note, "/proc/400/numa_maps"));
    assert_int_equal(p->host_bytes, 512 * 1024);
    mb_process_list_free(l);

    /* one device by index; out of range is an error naming the range */
    assert_int_equal(mb_process_list_init(&l, ctx, 0), MB_OK);
    assert_int_equal(mb_process_list_count(l), 3);
    assert_string_equal(mb_process_list_get_why(l, 0), "");
    mb_process_list_free(l);
    assert_int_equal(mb_process_list_init(&l, ctx, 5), MB_ENODEV);
    assert_null(l);
    assert_non_null(strstr(mb_error_detail(), "device 5"));
    mb_context_free(ctx);
}

static void test_malformed(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("ops_procs_bad", root, sizeof root);
    make_tree(root);
    /* a number that is not one, in NSpid and in numa_maps: noted, never a zero */
    PUT(root, "/proc/100/status", "Name:\tengine\nNSpid:\t100\tx7\nVmRSS:\t2048 kB\n");
    PUT(root, "/proc/300/numa_maps", "7f00 default N0=12x kernelpagesize_kB=4\n");
    mb_context *ctx = ctx_at(root);
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, 0), MB_OK);
    const mb_process *p = find(l, 100);
    assert_non_null(p);
    assert_int_equal(p->pid, 0);
    assert_non_null(strstr(p->note, "NSpid"));
    p = find(l, 300);
    assert_non_null(p);
    assert_true(p->bytes == MB_UNKNOWN);
    assert_non_null(strstr(p->note, "malformed"));
    mb_process_list_free(l);
    mb_context_free(ctx);
}

typedef struct seen {
    int n;
    char paths[64][128];
} seen;

static int collect(void *user, const char *path)
{
    seen *s = user;
    if (s->n < 64)
        snprintf(s->paths[s->n++], 128, "%s", path);
    return 0;
}

static int has(const seen *s, const char *path)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->paths[i], path) == 0)
            return 1;
    return 0;
}

static void test_files_for_gather(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("ops_procs_files", root, sizeof root);
    make_tree(root);
    mb_context *ctx = ctx_at(root);
    seen s = {0};
    assert_int_equal(mb_process_list_files(ctx, collect, &s), MB_OK);
    assert_true(has(&s, "/proc/pressure/memory"));
    assert_true(has(&s, "/proc/100/status"));
    assert_true(has(&s, "/proc/100/cmdline"));
    assert_true(has(&s, "/proc/100/numa_maps"));
    assert_true(has(&s, "/proc/300/status"));
    assert_false(has(&s, "/proc/300/numa_maps")); /* absent files are not listed */
    mb_context_free(ctx);
}

static void test_psi_parse(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("ops_psi", root, sizeof root);
    make_tree(root);
    mb_context *ctx = ctx_at(root);
    mb_psi p = MB_PSI_INIT;
    assert_int_equal(mb_psi_read(ctx, NULL, &p), MB_OK);
    assert_true(p.some_avg10 == 3.47 && p.some_avg300 == 0.58 && p.full_avg60 == 0.61);
    assert_int_equal(p.some_total_us, 91837465);
    assert_int_equal(p.full_total_us, 27730912);
    /* a file without a full line (kernels before 5.13 for cpu.pressure) */
    PUT(root, "/proc/pressure/memory", "some avg10=0.10 avg60=0.00 avg300=0.00 total=5\n");
    assert_int_equal(mb_psi_read(ctx, NULL, &p), MB_OK);
    assert_true(p.full_avg10 < 0);
    assert_true(p.full_total_us == MB_UNKNOWN);
    PUT(root, "/proc/pressure/memory", "some avg10=abc avg60=0.00 avg300=0.00 total=5\n");
    assert_int_equal(mb_psi_read(ctx, NULL, &p), MB_EPARSE);
    assert_non_null(strstr(mb_error_detail(), "/proc/pressure/memory"));
    PUT(root, "/proc/pressure/memory", "nothing here\n");
    assert_int_equal(mb_psi_read(ctx, NULL, &p), MB_EPARSE);
    mb_context_free(ctx);
}

/* Live: this very process is listed on the CPU device with its own name and PID. */
static void test_live_self(void **state)
{
    (void)state;
    mb_context *ctx = ctx_at(NULL);
    void *block = malloc(64 << 20);
    assert_non_null(block);
    memset(block, 1, 64 << 20); /* resident, so numa_maps counts it */
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, -1), MB_OK);
    const mb_process *p = find(l, getpid());
    assert_non_null(p);
    assert_int_equal(p->pid, getpid());
    assert_string_equal(p->name, "test_ops_procs");
    assert_true(p->bytes >= 64 << 20);
    assert_true(p->host_bytes >= 64 << 20);
    assert_int_equal(p->readable, 1);
    mb_process_list_free(l);
    free(block);
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_tree),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_files_for_gather),
        cmocka_unit_test(test_psi_parse),
        cmocka_unit_test(test_live_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
