/* tests/hip/test_hip_procs.c: per-process attribution of AMD devices on made-up trees
 * (issue 18): KFD's per-process VRAM joined to the device through the topology's PCI
 * address, DRM fdinfo (VRAM and GTT per client, a client shared by two descriptors counted
 * once, another device's client left out), PIDs translated through NSpid, KFD's host PIDs
 * seen from a container, and the UMA release run by a pressure event on an APU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "hiptest.h"
#include "membudget/operators.h"
#include "platform/platform.h"

#define GPU_ID "48109" /* tests/fixtures/illustrative/kfd/nodes/1/gpu_id */

static const mb_process *find(const mb_process_list *l, long long pid, int32_t s)
{
    for (int i = 0; i < mb_process_list_count(l); i++) {
        const mb_process *p = mb_process_list_get_entry(l, i);
        if (p->source_pid == pid && p->source == s)
            return p;
    }
    return NULL;
}

static void fdinfo(const char *root, int pid, int fd, const char *pdev, int client,
                   long long vram_kib, long long gtt_kib)
{
    char path[128], text[512];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pid, fd);
    snprintf(text, sizeof text,
             "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1055\ndrm-driver:\tamdgpu\n"
             "drm-client-id:\t%d\ndrm-pdev:\t%s\ndrm-memory-vram:\t%lld KiB\n"
             "drm-memory-gtt:\t%lld KiB\ndrm-memory-cpu:\t0 KiB\n",
             client, pdev, vram_kib, gtt_kib);
    ht_put(root, path, text);
}

/* The location_id 768 of the fixture's GPU node is 0000:03:00.0. */
static void make_tree(const char *root)
{
    ht_card(root, 0, "drm_dgpu", "0000:03:00.0");
    ht_kfd(root);
    ht_meminfo(root, 64 * GiB, 32 * GiB);
    /* 4242: ROCm compute in a container where it is PID 17: KFD and a render client */
    ht_put(root, "/proc/4242/status", "Name:\tvllm\nNSpid:\t4242\t17\nVmRSS:\t1024 kB\n");
    ht_put(root, "/proc/4242/comm", "vllm\n");
    ht_put(root, "/sys/class/kfd/kfd/proc/4242/vram_" GPU_ID, "8589934592\n");
    ht_put(root, "/sys/class/kfd/kfd/proc/4242/pasid", "32770\n");
    fdinfo(root, 4242, 5, "0000:03:00.0", 11, 1048576, 2048);
    fdinfo(root, 4242, 6, "0000:03:00.0", 11, 1048576, 2048); /* same client, dup'd fd */
    ht_put(root, "/proc/4242/fdinfo/0", "pos:\t0\nflags:\t02\nmnt_id:\t1\nino:\t5\n");
    /* 5000: a graphics client of this device and one of another device */
    ht_put(root, "/proc/5000/status", "Name:\tXorg\nNSpid:\t5000\nVmRSS:\t4096 kB\n");
    fdinfo(root, 5000, 9, "0000:03:00.0", 12, 65536, 1024);
    fdinfo(root, 5000, 10, "0000:83:00.0", 13, 999999, 0);
    /* 6000: KFD still lists it, /proc does not (it exited) */
    ht_put(root, "/sys/class/kfd/kfd/proc/6000/vram_" GPU_ID, "4096\n");
    /* 7000: uses another GPU only */
    ht_put(root, "/proc/7000/status", "Name:\tother\nNSpid:\t7000\nVmRSS:\t4 kB\n");
    ht_put(root, "/sys/class/kfd/kfd/proc/7000/vram_99999", "4096\n");
}

static void test_kfd_and_fdinfo(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_procs", root, sizeof root);
    make_tree(root);
    mb_context *ctx = ht_ctx(root, "hip");
    int d = ht_find(ctx, "hip:0");
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, d), MB_OK);
    assert_int_equal(mb_process_list_count(l), 4); /* 4242 twice, 5000, 6000 */

    const mb_process *p = find(l, 4242, MB_PROC_SOURCE_KFD);
    assert_non_null(p);
    assert_string_equal(p->device, "hip:0");
    assert_true(p->bytes == 8 * GiB);
    assert_int_equal(p->pid, 4242); /* a host /proc: the same number */
    assert_int_equal(p->ns_pid, 17);
    assert_string_equal(p->name, "vllm");
    assert_true(p->host_bytes == 1024 * 1024);

    p = find(l, 4242, MB_PROC_SOURCE_DRM_FDINFO);
    assert_non_null(p);
    assert_true(p->bytes == 1 * GiB); /* one client through two descriptors */
    assert_true(p->gtt_bytes == 2 * MiB);

    p = find(l, 5000, MB_PROC_SOURCE_DRM_FDINFO);
    assert_non_null(p);
    assert_true(p->bytes == 64 * MiB); /* the other device's client left out */
    assert_true(p->gtt_bytes == 1 * MiB);

    p = find(l, 6000, MB_PROC_SOURCE_KFD);
    assert_non_null(p);
    assert_true(p->bytes == 4096);
    assert_int_equal(p->pid, 0);
    assert_non_null(strstr(p->note, "gone"));
    assert_null(find(l, 7000, MB_PROC_SOURCE_KFD));
    mb_process_list_free(l);

    /* the files gather copies for this */
    mb_context_free(ctx);
}

/* A dump taken inside a container: KFD's PIDs are the host's, not this /proc's. */
static void test_container_namespace(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_procs_ns", root, sizeof root);
    make_tree(root);
    ht_put(root, "/proc/self/ns/pid", "pid:[4026532417]\n");
    mb_context *ctx = ht_ctx(root, "hip");
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, 0), MB_OK);
    const mb_process *p = find(l, 4242, MB_PROC_SOURCE_KFD);
    assert_non_null(p);
    assert_int_equal(p->pid, 0);
    assert_true(p->bytes == 8 * GiB);
    assert_string_equal(p->name, "");
    assert_non_null(strstr(p->note, "namespace"));
    p = find(l, 4242, MB_PROC_SOURCE_DRM_FDINFO); /* /proc's own PIDs still resolve */
    assert_non_null(p);
    assert_int_equal(p->pid, 4242);
    mb_process_list_free(l);
    mb_context_free(ctx);
}

/* An unknown PCI address in KFD: fdinfo alone, and the reason says so. */
static void test_no_kfd_node(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_procs_nokfd", root, sizeof root);
    ht_card(root, 0, "drm_dgpu", "0000:44:00.0");
    ht_meminfo(root, 64 * GiB, 32 * GiB);
    ht_put(root, "/proc/5000/status", "Name:\tXorg\nVmRSS:\t4 kB\n");
    fdinfo(root, 5000, 9, "0000:44:00.0", 12, 65536, 1024);
    mb_context *ctx = ht_ctx(root, "hip");
    mb_process_list *l = NULL;
    assert_int_equal(mb_process_list_init(&l, ctx, 0), MB_OK);
    assert_int_equal(mb_process_list_count(l), 1);
    assert_non_null(strstr(mb_process_list_get_why(l, 0), "fdinfo only"));
    mb_process_list_free(l);
    mb_context_free(ctx);
}

static int64_t reserved = 2 * GiB;
static int emptied;
static int stats(void *u, mb_alloc_stats *o)
{
    (void)u;
    o->allocated = 0;
    o->peak = o->reserved = reserved;
    return 0;
}
static int empty(void *u)
{
    (void)u;
    emptied++;
    reserved = 0;
    return 0;
}
static int on_event(void *u, const mb_pressure_event *ev)
{
    *(mb_pressure_event *)u = *ev;
    return 0;
}

/* An APU under memory pressure: an (injected) event runs vLLM's release itself. */
static void test_uma_release(void **state)
{
    (void)state;
    char root[4096];
    tu_fresh_dir("hip_procs_apu", root, sizeof root);
    ht_card(root, 0, "drm_apu_lowcarveout", "0000:c5:00.0");
    ht_meminfo(root, 64 * GiB, 4 * GiB); /* 6% available: under (1 - 0.8) */
    ht_put(root, "/proc/pressure/memory", "some avg10=30.00 avg60=10.00 avg300=2.00 "
                                          "total=99000000\nfull avg10=9.00 avg60=3.00 "
                                          "avg300=1.00 total=30000000\n");
    mb_context *ctx = ht_ctx(root, "hip");
    mb_device_info di = MB_DEVICE_INFO_INIT;
    assert_int_equal(mb_device_get(ctx, 0, &di), MB_OK);
    assert_int_equal(di.integrated, 1);
    mb_allocator a = {NULL, stats, NULL, empty};
    mb_pressure_watch_options o;
    mb_pressure_watch_options_init(&o, sizeof o);
    o.release_device = 0;
    o.release_alloc = &a;
    mb_pressure_watch *w = NULL;
    assert_int_equal(mb_pressure_watch_init(&w, ctx, &o), MB_OK);
    assert_int_equal(mb_pressure_watch_get_mode(w), MB_WATCH_PSI_POLL); /* a dump */
    mb_pressure_event ev;
    memset(&ev, 0, sizeof ev);
    mb__fault_arm(1);
    assert_int_equal(mb_pressure_watch_wait(w, 1, on_event, &ev), 1);
    mb__fault_arm(0);
    assert_int_equal(ev.injected, 1);
    assert_true(ev.some_avg10 == 30.0);
    assert_int_equal(ev.release_tried, 1);
    assert_int_equal(ev.release_rc, MB_OK);
    assert_int_equal(ev.released, 1);
    assert_int_equal(emptied, 1);
    assert_true(ev.releasable == 2 * GiB);
    mb_pressure_watch_free(w);
    mb_context_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kfd_and_fdinfo),
        cmocka_unit_test(test_container_namespace),
        cmocka_unit_test(test_no_kfd_node),
        cmocka_unit_test(test_uma_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
