/* tests/cluster/test_cluster.c: the rank record's wire form, the reduction, and agreement
 * through an engine's own all-gather (a torch.distributed-style process group simulated
 * by threads: every rank calls all_gather_into_tensor once, with a timeout). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/cluster.h"

/* A plan record for a what-if device of total_gib with free_gib free, holding blocks. */
static void plan_rec(mb_rank_record *r, int rank, int n, const char *host, double total_gib,
                     double free_gib, int64_t non_kv, int64_t block_bytes, unsigned flags)
{
    assert_int_equal(mb_rank_record_init(r, rank, n), MB_OK);
    snprintf(r->host, sizeof r->host, "%s", host);
    mb_snapshot s;
    assert_int_equal(mb_snapshot_what_if((int64_t)(total_gib * MB_GiB),
                                         (int64_t)(free_gib * MB_GiB), &s), MB_OK);
    snprintf(s.device, sizeof s.device, "cuda:%d", rank % 8);
    s.flags = flags;
    s.non_torch_memory = s.device_memory;
    mb_rank_record_set_snapshot(r, &s);
    int64_t requested;
    assert_int_equal(mb_budget_requested(s.total_memory, 0.9, &requested), MB_OK);
    r->requested_memory = requested;
    r->non_kv_memory = non_kv;
    r->cudagraph_memory = 0;
    r->available_kv_cache_memory = requested - non_kv;
    r->block_bytes = block_bytes;
    r->num_blocks = r->available_kv_cache_memory / block_bytes;
    r->startup_ok = s.free_memory >= requested;
    r->fits = r->startup_ok;
    r->what |= MB_RECORD_PLAN;
}

static void test_wire_layout(void **state)
{
    (void)state;
    mb_rank_record r, back;
    plan_rec(&r, 258, 1000, "gpu-node-17", 80, 79, 20 * MB_GiB, 2 * MB_MiB, MB_SNAP_LIMITED);
    r.group = 3;
    r.stage = -2;
    r.snapshot.timestamp = 1.5;
    snprintf(r.snapshot.platform, sizeof r.snapshot.platform, "cuda");
    unsigned char w[MB_RECORD_BYTES + 8];
    memset(w, 0xAA, sizeof w);
    assert_int_equal(mb_rank_record_encode(&r, w, sizeof w), MB_OK);
    assert_memory_equal(w, "MBCR", 4);
    assert_int_equal(w[4] << 8 | w[5], MB_RECORD_VERSION);
    assert_int_equal(w[6] << 8 | w[7], MB_RECORD_BYTES);
    /* rank 258 big-endian at 8; world 1000 at 12; stage -2 two's complement at 24 */
    static const unsigned char rank_be[4] = {0, 0, 1, 2}, world_be[4] = {0, 0, 0x03, 0xe8};
    static const unsigned char minus2[4] = {0xff, 0xff, 0xff, 0xfe};
    assert_memory_equal(w + 8, rank_be, 4);
    assert_memory_equal(w + 12, world_be, 4);
    assert_memory_equal(w + 24, minus2, 4);
    /* total 80 GiB = 0x14_0000_0000 at 32 */
    static const unsigned char total_be[8] = {0, 0, 0, 0x14, 0, 0, 0, 0};
    assert_memory_equal(w + 32, total_be, 8);
    /* the timestamp 1.5 as IEEE-754 bits 0x3FF8000000000000 at 96 */
    static const unsigned char ts_be[8] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(w + 96, ts_be, 8);
    /* status 0 at 16; what = snapshot | plan at 28 */
    static const unsigned char zero4[4] = {0}, what_be[4] = {0, 0, 0, 3};
    assert_memory_equal(w + 16, zero4, 4);
    assert_memory_equal(w + 28, what_be, 4);
    /* the plan block at 112: requested = 0.9 x 80 GiB = 72 GiB = 0x12_0000_0000 first,
     * this rank's blocks sixth (at 152) */
    static const unsigned char req_be[8] = {0, 0, 0, 0x12, 0, 0, 0, 0};
    assert_memory_equal(w + 112, req_be, 8);
    unsigned char blocks_be[8];
    for (int i = 0; i < 8; i++)
        blocks_be[i] = (unsigned char)((uint64_t)r.num_blocks >> (56 - 8 * i));
    assert_memory_equal(w + 152, blocks_be, 8);
    /* plan flags at 160: starts (bit 0) and fits (bit 1); reserved 0 at 164 */
    static const unsigned char pflags_be[4] = {0, 0, 0, 3};
    assert_memory_equal(w + 160, pflags_be, 4);
    assert_memory_equal(w + 164, zero4, 4);
    assert_string_equal((const char *)w + 168, "gpu-node-17");
    assert_string_equal((const char *)w + 232, "cuda:2");
    assert_string_equal((const char *)w + 264, "cuda");
    assert_int_equal(w[272], 0); /* no error */
    assert_int_equal(w[MB_RECORD_BYTES], 0xAA); /* nothing written past the record */
    assert_int_equal(mb_rank_record_decode(w, MB_RECORD_BYTES, &back), MB_OK);
    assert_int_equal(back.rank, 258);
    assert_int_equal(back.world_size, 1000);
    assert_int_equal(back.group, 3);
    assert_int_equal(back.stage, -2);
    assert_int_equal(back.snapshot.total_memory, r.snapshot.total_memory);
    assert_int_equal(back.snapshot.free_memory, r.snapshot.free_memory);
    assert_int_equal(back.snapshot.limit, r.snapshot.limit);
    assert_int_equal(back.snapshot.flags, MB_SNAP_LIMITED);
    assert_int_equal(back.snapshot.source, MB_SOURCE_VALUES);
    assert_true(back.snapshot.timestamp == 1.5);
    assert_int_equal(back.num_blocks, r.num_blocks);
    assert_int_equal(back.requested_memory, r.requested_memory);
    assert_int_equal(back.startup_ok, r.startup_ok);
    assert_int_equal(back.what, MB_RECORD_SNAPSHOT | MB_RECORD_PLAN);
    assert_string_equal(back.host, "gpu-node-17");
    /* sentinels survive the trip */
    mb_rank_record u;
    assert_int_equal(mb_rank_record_init(&u, 0, 1), MB_OK);
    assert_int_equal(mb_rank_record_encode(&u, w, sizeof w), MB_OK);
    assert_int_equal(mb_rank_record_decode(w, MB_RECORD_BYTES, &back), MB_OK);
    assert_true(back.snapshot.free_memory == MB_UNKNOWN);
    assert_true(back.snapshot.limit == MB_UNLIMITED);
    /* a failed rank: its negative code at 16 (two's complement), its detail at 272 */
    mb_rank_record_set_error(&u, MB_ENODEV, "no device to measure");
    assert_int_equal(mb_rank_record_encode(&u, w, sizeof w), MB_OK);
    unsigned char code_be[4];
    for (int i = 0; i < 4; i++)
        code_be[i] = (unsigned char)((uint32_t)MB_ENODEV >> (24 - 8 * i));
    assert_true(MB_ENODEV < 0);
    assert_memory_equal(w + 16, code_be, 4);
    assert_string_equal((const char *)w + 272, "no device to measure");
    assert_int_equal(mb_rank_record_decode(w, MB_RECORD_BYTES, &back), MB_OK);
    assert_int_equal(back.status, MB_ENODEV);
    assert_string_equal(back.error, "no device to measure");
}

static void test_wire_refusals(void **state)
{
    (void)state;
    mb_rank_record r, back;
    plan_rec(&r, 1, 2, "h", 16, 15, 0, MB_MiB, 0);
    unsigned char w[MB_RECORD_BYTES], bad[MB_RECORD_BYTES];
    assert_int_equal(mb_rank_record_encode(&r, w, MB_RECORD_BYTES - 1), MB_ENOSPACE);
    assert_int_equal(mb_rank_record_encode(&r, w, sizeof w), MB_OK);
    assert_int_equal(mb_rank_record_decode(w, MB_RECORD_BYTES - 1, &back), MB_EPARSE);
    memcpy(bad, w, sizeof w);
    bad[0] = 'X';
    assert_int_equal(mb_rank_record_decode(bad, sizeof bad, &back), MB_EPARSE);
    assert_non_null(strstr(mb_error_detail(), "MBCR"));
    memcpy(bad, w, sizeof w);
    bad[5] = MB_RECORD_VERSION + 1;
    assert_int_equal(mb_rank_record_decode(bad, sizeof bad, &back), MB_EPARSE);
    assert_non_null(strstr(mb_error_detail(), "version 2"));
    assert_int_equal(back.rank, 0); /* zeroed on failure */
    memcpy(bad, w, sizeof w);
    memset(bad + 168, 'x', MB_RECORD_HOST_MAX); /* a host without its NUL */
    assert_int_equal(mb_rank_record_decode(bad, sizeof bad, &back), MB_EPARSE);
    memcpy(bad, w, sizeof w);
    bad[16] = bad[17] = bad[18] = 0x7f; /* a positive status */
    assert_int_equal(mb_rank_record_decode(bad, sizeof bad, &back), MB_EPARSE);
    memcpy(bad, w, sizeof w);
    bad[11] = 5; /* rank 5 of 2 */
    assert_int_equal(mb_rank_record_decode(bad, sizeof bad, &back), MB_EPARSE);
    assert_int_equal(mb_rank_record_init(&r, 2, 2), MB_EINVAL);
    /* an error is carried, truncated to its field */
    char longer[600];
    memset(longer, 'e', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(mb_rank_record_init(&r, 0, 1), MB_OK);
    mb_rank_record_set_error(&r, MB_EIO, longer);
    assert_int_equal(mb_rank_record_encode(&r, w, sizeof w), MB_OK);
    assert_int_equal(mb_rank_record_decode(w, sizeof w, &back), MB_OK);
    assert_int_equal(back.status, MB_EIO);
    assert_int_equal(strlen(back.error), MB_RECORD_ERROR_MAX - 1);
}

static void test_reduce_minimum_and_why(void **state)
{
    (void)state;
    mb_rank_record all[4];
    mb_agreement a;
    /* TP 4: rank 2 has a smaller device */
    plan_rec(&all[0], 0, 4, "n0", 80, 79, 10 * MB_GiB, 2 * MB_MiB, 0);
    plan_rec(&all[1], 1, 4, "n0", 80, 79, 10 * MB_GiB, 2 * MB_MiB, 0);
    plan_rec(&all[2], 2, 4, "n1", 40, 39.5, 10 * MB_GiB, 2 * MB_MiB, 0);
    plan_rec(&all[3], 3, 4, "n1", 80, 79, 10 * MB_GiB, 2 * MB_MiB, 0);
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.num_blocks, all[2].num_blocks);
    assert_int_equal(a.max_num_blocks, all[0].num_blocks);
    assert_int_equal(a.limiting_rank, 2);
    assert_string_equal(a.limiting_host, "n1");
    assert_int_equal(a.why, MB_LIMIT_TOTAL_MEMORY);
    assert_non_null(strstr(a.reason, "rank 2 (n1, cuda:2)"));
    assert_int_equal(a.hosts, 2);
    assert_int_equal(a.devices, 4);
    assert_int_equal(a.total_memory, (80 * 3 + 40) * MB_GiB);
    assert_int_equal(a.min_free_rank, 2);
    assert_true(a.all_startup_ok);
    /* a container limit on rank 3 leaves it below the start-up check: no block at all */
    plan_rec(&all[3], 3, 4, "n1", 80, 8, 10 * MB_GiB, 2 * MB_MiB, MB_SNAP_LIMITED);
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.num_blocks, 0);
    assert_int_equal(a.limiting_rank, 3);
    assert_int_equal(a.why, MB_LIMIT_CONTAINER);
    assert_false(a.all_startup_ok);
    /* a container limit that lowers a CPU node's total (and so its blocks) without failing
     * the start-up check is still the container's doing, not a smaller device */
    plan_rec(&all[3], 3, 4, "n1", 32, 31, 10 * MB_GiB, 2 * MB_MiB, MB_SNAP_LIMITED);
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.why, MB_LIMIT_TOTAL_MEMORY); /* a GPU's total is not the container's */
    snprintf(all[3].snapshot.platform, sizeof all[3].snapshot.platform, "cpu");
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.limiting_rank, 3);
    assert_true(a.all_startup_ok);
    assert_int_equal(a.why, MB_LIMIT_CONTAINER);
    assert_non_null(strstr(a.reason, "container limit"));
    /* the same without the container flag: another process holds the memory */
    plan_rec(&all[3], 3, 4, "n1", 80, 8, 10 * MB_GiB, 2 * MB_MiB, 0);
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.why, MB_LIMIT_OTHER_TENANT);
    assert_string_equal(mb_limit_reason_name(a.why), "other tenant");
    /* PP: stage 1 holds more layers, so larger blocks */
    plan_rec(&all[2], 2, 4, "n1", 80, 79, 10 * MB_GiB, 3 * MB_MiB, 0);
    plan_rec(&all[3], 3, 4, "n1", 80, 79, 10 * MB_GiB, 2 * MB_MiB, 0);
    all[2].stage = 1;
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.limiting_rank, 2);
    assert_int_equal(a.why, MB_LIMIT_LAYERS);
    /* non-KV memory (a rank that also holds the vision encoder) */
    plan_rec(&all[2], 2, 4, "n1", 80, 79, 30 * MB_GiB, 2 * MB_MiB, 0);
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.why, MB_LIMIT_NON_KV);
    /* alike */
    plan_rec(&all[2], 2, 4, "n1", 80, 79, 10 * MB_GiB, 2 * MB_MiB, 0);
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.why, MB_LIMIT_ALIKE);
    assert_int_equal(a.limiting_rank, 0);
    /* DP: two replicas agree separately */
    all[2].group = all[3].group = 1;
    plan_rec(&all[3], 3, 4, "n1", 40, 39, 10 * MB_GiB, 2 * MB_MiB, 0);
    all[3].group = 1;
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_OK);
    assert_int_equal(a.num_blocks, all[0].num_blocks);
    assert_int_equal(a.group_size, 2);
    assert_int_equal(mb_cluster_reduce(all, 4, 1, &a), MB_OK);
    assert_int_equal(a.num_blocks, all[3].num_blocks);
    assert_int_equal(a.limiting_rank, 3);
    assert_int_equal(mb_cluster_reduce(all, 4, 7, &a), MB_EINVAL);
    /* refusals */
    all[1].rank = 2;
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_EINVAL);
    all[1].rank = 1;
    mb_rank_record_set_error(&all[1], MB_EIO, "x");
    assert_int_equal(mb_cluster_reduce(all, 4, 0, &a), MB_EINVAL);
    /* the same device on one host counts once in the totals */
    mb_rank_record two[2];
    plan_rec(&two[0], 0, 2, "h", 16, 15, 0, MB_MiB, 0);
    plan_rec(&two[1], 1, 2, "h", 16, 15, 0, MB_MiB, 0);
    snprintf(two[1].snapshot.device, sizeof two[1].snapshot.device, "cuda:0");
    assert_int_equal(mb_cluster_reduce(two, 2, 0, &a), MB_OK);
    assert_int_equal(a.devices, 1);
    assert_int_equal(a.total_memory, 16 * MB_GiB);
}

/* ---- a torch.distributed-style process group, one thread per rank ------------------- */

typedef struct group {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int world;
    int arrived;
    int *present;
    unsigned char *buf; /* the gathered tensor */
    int skip_rank;      /* a rank that never calls (exited early); -1: none */
    int fail_rank;      /* a rank whose measurement fails; -1: none */
    int shuffle;        /* 1: the gather puts rank 0's bytes last (a broken collective) */
} group;

typedef struct rank_ctx {
    group *g;
    int rank;
    int rc;
    char detail[1024];
    mb_agreement a;
} rank_ctx;

/* all_gather_into_tensor(out, in) with the process group's timeout. */
static int pg_allgather(void *user, const void *send, void *recv, size_t bytes,
                        double timeout_s, char *why, size_t why_size)
{
    rank_ctx *rc = user;
    group *g = rc->g;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t)timeout_s;
    dl.tv_nsec += (long)((timeout_s - (double)(time_t)timeout_s) * 1e9);
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g->lock);
    int slot = g->shuffle ? (rc->rank + 1) % g->world : rc->rank;
    memcpy(g->buf + (size_t)slot * bytes, send, bytes);
    g->present[rc->rank] = 1;
    g->arrived++;
    pthread_cond_broadcast(&g->cond);
    int err = 0;
    while (g->arrived < g->world && err == 0)
        err = pthread_cond_timedwait(&g->cond, &g->lock, &dl);
    int ok = g->arrived >= g->world;
    if (ok) {
        memcpy(recv, g->buf, (size_t)g->world * bytes);
    } else {
        size_t len = (size_t)snprintf(why, why_size, "no contribution from rank");
        for (int r = 0; r < g->world; r++)
            if (!g->present[r] && len < why_size)
                len += (size_t)snprintf(why + len, why_size - len, " %d", r);
    }
    pthread_mutex_unlock(&g->lock);
    return ok ? 0 : MB_ETIMEOUT;
}

static void *rank_main(void *arg)
{
    rank_ctx *rc = arg;
    group *g = rc->g;
    if (rc->rank == g->skip_rank)
        return NULL; /* exits before the agreement */
    mb_rank_record mine;
    mb_rank_record_init(&mine, rc->rank, g->world);
    snprintf(mine.host, sizeof mine.host, "node%d", rc->rank);
    if (rc->rank == g->fail_rank) {
        mb_rank_record_set_error(&mine, MB_EBACKEND, "cuMemGetInfo failed: "
                                                     "CUDA_ERROR_ECC_UNCORRECTABLE");
    } else {
        /* each rank plans its own what-if device: rank r has 24 + 8r GiB */
        mb_model m = MB_MODEL_INIT;
        char path[1024];
        snprintf(path, sizeof path, "%s/models/llama-3.1-8b.config.json", MB_FIXTURES);
        mb_snapshot s;
        mb_plan p = MB_PLAN_INIT;
        mb_plan_options o = MB_PLAN_OPTIONS_INIT;
        o.max_model_len = 4096;
        o.non_kv_memory = 16 * MB_GiB;
        if (mb_model_load(path, &m) ||
            mb_snapshot_what_if((24 + 8 * (int64_t)rc->rank) * MB_GiB, MB_UNKNOWN, &s) ||
            mb_plan_compute(&m, &s, &o, &p)) {
            rc->rc = 999;
            return NULL;
        }
        mb_rank_record_set_snapshot(&mine, &s);
        mb_rank_record_set_plan(&mine, &p);
    }
    mb_collective c = {.rank = rc->rank, .world_size = g->world, .allgather = pg_allgather,
                       .user = rc, .timeout_s = 0.5};
    rc->rc = mb_cluster_agree(&c, &mine, NULL, 0, &rc->a);
    snprintf(rc->detail, sizeof rc->detail, "%s", mb_error_detail());
    return NULL;
}

static void run_group(int world, int skip, int fail, int shuffle, rank_ctx *ranks)
{
    group g = {.world = world, .skip_rank = skip, .fail_rank = fail, .shuffle = shuffle};
    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.cond, NULL);
    g.present = calloc((size_t)world, sizeof *g.present);
    g.buf = calloc((size_t)world, MB_RECORD_BYTES);
    pthread_t t[8];
    for (int r = 0; r < world; r++) {
        ranks[r] = (rank_ctx){.g = &g, .rank = r, .rc = 12345};
        pthread_create(&t[r], NULL, rank_main, &ranks[r]);
    }
    for (int r = 0; r < world; r++)
        pthread_join(t[r], NULL);
    free(g.present);
    free(g.buf);
    pthread_cond_destroy(&g.cond);
    pthread_mutex_destroy(&g.lock);
}

static void test_callback_agreement(void **state)
{
    (void)state;
    rank_ctx ranks[4];
    run_group(4, -1, -1, 0, ranks);
    for (int r = 0; r < 4; r++) {
        assert_int_equal(ranks[r].rc, MB_OK);
        assert_int_equal(ranks[r].a.limiting_rank, 0); /* the 24 GiB device */
        assert_int_equal(ranks[r].a.why, MB_LIMIT_TOTAL_MEMORY);
        assert_int_equal(ranks[r].a.num_blocks, ranks[0].a.num_blocks);
        assert_string_equal(ranks[r].a.reason, ranks[0].a.reason);
    }
    /* the oracle: rank 0's own plan, alone */
    mb_model m = MB_MODEL_INIT;
    mb_snapshot s;
    mb_plan p = MB_PLAN_INIT;
    mb_plan_options o = MB_PLAN_OPTIONS_INIT;
    o.max_model_len = 4096;
    o.non_kv_memory = 16 * MB_GiB;
    assert_int_equal(mb_model_load(MB_FIXTURES "/models/llama-3.1-8b.config.json", &m), MB_OK);
    assert_int_equal(mb_snapshot_what_if(24 * MB_GiB, MB_UNKNOWN, &s), MB_OK);
    assert_int_equal(mb_plan_compute(&m, &s, &o, &p), MB_OK);
    assert_int_equal(ranks[0].a.num_blocks, p.num_blocks);
    assert_true(ranks[0].a.max_num_blocks > p.num_blocks);
}

static void test_callback_failed_rank(void **state)
{
    (void)state;
    rank_ctx ranks[3];
    run_group(3, -1, 2, 0, ranks);
    for (int r = 0; r < 3; r++) {
        assert_int_equal(ranks[r].rc, MB_EBACKEND); /* rank 2's own code, on every rank */
        assert_non_null(strstr(ranks[r].detail, "rank 2 (node2, no device) failed: "
                                                "cuMemGetInfo failed"));
    }
}

static void test_callback_rank_exits_early(void **state)
{
    (void)state;
    rank_ctx ranks[3];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_group(3, 1, -1, 0, ranks);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    assert_true(took < 5.0); /* the 0.5 s deadline, not a hang */
    for (int r = 0; r < 3; r += 2) {
        assert_int_equal(ranks[r].rc, MB_ETIMEOUT);
        assert_non_null(strstr(ranks[r].detail, "no contribution from rank 1"));
    }
}

static void test_callback_out_of_order(void **state)
{
    (void)state;
    rank_ctx ranks[2];
    run_group(2, -1, -1, 1, ranks);
    assert_int_equal(ranks[0].rc, MB_EPARSE);
    assert_non_null(strstr(ranks[0].detail, "rank order"));
}

static void test_agree_refusals(void **state)
{
    (void)state;
    mb_rank_record mine;
    mb_agreement a;
    mb_rank_record_init(&mine, 1, 2);
    mb_collective c = {.rank = 0, .world_size = 2, .allgather = pg_allgather};
    assert_int_equal(mb_cluster_agree(&c, &mine, NULL, 0, &a), MB_EINVAL);
    c.rank = 1;
    mb_rank_record all[1];
    assert_int_equal(mb_cluster_agree(&c, &mine, all, 1, &a), MB_ENOSPACE);
    c.allgather = NULL;
    assert_int_equal(mb_cluster_agree(&c, &mine, NULL, 0, &a), MB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_layout),
        cmocka_unit_test(test_wire_refusals),
        cmocka_unit_test(test_reduce_minimum_and_why),
        cmocka_unit_test(test_callback_agreement),
        cmocka_unit_test(test_callback_failed_rank),
        cmocka_unit_test(test_callback_rank_exits_early),
        cmocka_unit_test(test_callback_out_of_order),
        cmocka_unit_test(test_agree_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
