/* core/cluster.c: agreement over ranks: the exchange through the engine's all-gather and
 * the reduction every rank computes the same way (vLLM: get_kv_cache_configs cuts every
 * worker to the smallest num_blocks; TensorRT-LLM: an MPI MIN all-reduce of the free
 * memory). */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "membudget/cluster.h"

const char *mb_limit_reason_name(int32_t why)
{
    switch ((mb_limit_reason)why) {
    case MB_LIMIT_NONE:
        return "none";
    case MB_LIMIT_ALIKE:
        return "alike";
    case MB_LIMIT_TOTAL_MEMORY:
        return "total memory";
    case MB_LIMIT_FREE_MEMORY:
        return "free memory";
    case MB_LIMIT_CONTAINER:
        return "container limit";
    case MB_LIMIT_OTHER_TENANT:
        return "other tenant";
    case MB_LIMIT_NON_KV:
        return "non-KV memory";
    case MB_LIMIT_LAYERS:
        return "layers";
    }
    return "unknown";
}

/* A rank that fails vLLM's start-up check cannot start, so it holds no block. */
static int64_t blocks_of(const mb_rank_record *r)
{
    return r->startup_ok && r->num_blocks > 0 ? r->num_blocks : 0;
}

static int same_device(const mb_rank_record *a, const mb_rank_record *b)
{
    return strcmp(a->host, b->host) == 0 && strcmp(a->snapshot.device, b->snapshot.device) == 0;
}

static void totals(const mb_rank_record *all, int n, mb_agreement *out)
{
    out->min_free_memory = MB_UNKNOWN;
    out->min_free_rank = -1;
    for (int i = 0; i < n; i++) {
        const mb_rank_record *r = &all[i];
        int new_host = 1, new_device = 1;
        for (int j = 0; j < i; j++) {
            new_host &= strcmp(all[j].host, r->host) != 0;
            new_device &= !(all[j].what & MB_RECORD_SNAPSHOT) || !same_device(&all[j], r);
        }
        out->hosts += new_host;
        if (!(r->what & MB_RECORD_SNAPSHOT))
            continue;
        const mb_snapshot *s = &r->snapshot;
        if (new_device) {
            out->devices++;
            if (s->total_memory != MB_UNKNOWN)
                out->total_memory += s->total_memory;
            if (s->free_memory != MB_UNKNOWN)
                out->free_memory += s->free_memory;
        }
        if (s->free_memory != MB_UNKNOWN &&
            (out->min_free_rank < 0 || s->free_memory < out->min_free_memory)) {
            out->min_free_memory = s->free_memory;
            out->min_free_rank = r->rank;
        }
    }
}

/* Why lim holds fewer blocks than best (both plan records of one group). */
static mb_limit_reason explain(const mb_rank_record *lim, const mb_rank_record *best,
                               char *buf, size_t size)
{
    char a[32], b[32], c[32];
    const mb_snapshot *ls = &lim->snapshot, *bs = &best->snapshot;
    if (!lim->startup_ok) {
        mb_limit_reason why = ls->flags & MB_SNAP_LIMITED ? MB_LIMIT_CONTAINER
                              : ls->non_torch_memory != MB_UNKNOWN && ls->non_torch_memory > 0
                                  ? MB_LIMIT_OTHER_TENANT
                                  : MB_LIMIT_FREE_MEMORY;
        const char *what = why == MB_LIMIT_CONTAINER
                               ? "a container limit leaves it"
                           : why == MB_LIMIT_OTHER_TENANT
                               ? "memory in use outside the engine's allocator leaves it"
                               : "it has";
        snprintf(buf, size, "cannot start: %s %s GiB free, below the %s GiB the utilization "
                 "asks of its %s GiB; raise the limit, free the memory or lower "
                 "gpu_memory_utilization", what, mb__gib(ls->free_memory, a, sizeof a),
                 mb__gib(lim->requested_memory, b, sizeof b),
                 mb__gib(ls->total_memory, c, sizeof c));
        return why;
    }
    if (lim->block_bytes > best->block_bytes &&
        lim->available_kv_cache_memory >= best->available_kv_cache_memory) {
        snprintf(buf, size, "its blocks are larger (%lld bytes against %lld on rank %d): its "
                 "pipeline stage holds more layers", (long long)lim->block_bytes,
                 (long long)best->block_bytes, best->rank);
        return MB_LIMIT_LAYERS;
    }
    int64_t d_total = best->requested_memory - lim->requested_memory;
    int64_t d_non_kv = (lim->non_kv_memory + lim->cudagraph_memory) -
                       (best->non_kv_memory + best->cudagraph_memory);
    if (d_total >= d_non_kv && d_total > 0 && (ls->flags & MB_SNAP_LIMITED) &&
        strcmp(ls->platform, "cpu") == 0) {
        /* a CPU node's total is clamped by the container (vLLM's CPU worker sizes from it) */
        snprintf(buf, size, "a container limit leaves its device %s GiB against %s GiB on rank "
                 "%d; raise the limit", mb__gib(ls->total_memory, a, sizeof a),
                 mb__gib(bs->total_memory, b, sizeof b), best->rank);
        return MB_LIMIT_CONTAINER;
    }
    if (d_total >= d_non_kv && d_total > 0) {
        snprintf(buf, size, "its device is smaller: %s GiB total against %s GiB on rank %d",
                 mb__gib(ls->total_memory, a, sizeof a), mb__gib(bs->total_memory, b, sizeof b),
                 best->rank);
        return MB_LIMIT_TOTAL_MEMORY;
    }
    if (d_non_kv > 0) {
        snprintf(buf, size, "its non-KV memory is larger: %s GiB against %s GiB on rank %d",
                 mb__gib(lim->non_kv_memory + lim->cudagraph_memory, a, sizeof a),
                 mb__gib(best->non_kv_memory + best->cudagraph_memory, b, sizeof b),
                 best->rank);
        return MB_LIMIT_NON_KV;
    }
    snprintf(buf, size, "%s GiB is left for its KV cache against %s GiB on rank %d",
             mb__gib(lim->available_kv_cache_memory, a, sizeof a),
             mb__gib(best->available_kv_cache_memory, b, sizeof b), best->rank);
    return MB_LIMIT_FREE_MEMORY;
}

MB__API(mb_cluster_reduce, (const mb_rank_record *all, int n, int group, mb_agreement *out),
        (all, n, group, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_cluster_reduce: out is NULL");
    memset(out, 0, sizeof *out);
    out->limiting_rank = -1;
    out->min_free_rank = -1;
    out->num_blocks = out->max_num_blocks = MB_UNKNOWN;
    if (!all || n < 1)
        return mb__error(MB_EINVAL, "mb_cluster_reduce: %d records; give one per rank", n);
    for (int i = 0; i < n; i++) {
        if (all[i].rank != i || all[i].world_size != n)
            return mb__error(MB_EINVAL, "record %d says rank %d of %d; the records must be "
                                        "rank 0 .. %d of %d in order", i, all[i].rank,
                             all[i].world_size, n - 1, n);
        if (all[i].status != MB_OK)
            return mb__error(MB_EINVAL, "rank %d failed (%s); mb_cluster_agree reports a "
                                        "failed rank, a reduction needs every rank's "
                                        "figures", i, all[i].error);
    }
    mb_agreement a;
    memset(&a, 0, sizeof a);
    a.world_size = n;
    a.group = group;
    a.limiting_rank = -1;
    a.num_blocks = a.max_num_blocks = MB_UNKNOWN;
    a.all_startup_ok = 1;
    totals(all, n, &a);
    const mb_rank_record *lim = NULL, *best = NULL;
    for (int i = 0; i < n; i++) {
        const mb_rank_record *r = &all[i];
        if (r->group != group)
            continue;
        a.group_size++;
        if (!(r->what & MB_RECORD_PLAN))
            continue;
        a.all_startup_ok &= r->startup_ok;
        if (!lim || blocks_of(r) < blocks_of(lim))
            lim = r;
        if (!best || blocks_of(r) > blocks_of(best))
            best = r;
    }
    if (a.group_size == 0)
        return mb__error(MB_EINVAL, "no rank is in group %d (the records' groups are the "
                                    "data-parallel ranks)", group);
    if (!lim) {
        a.all_startup_ok = 0;
        a.why = MB_LIMIT_NONE;
        snprintf(a.reason, sizeof a.reason, "no plan: the ranks exchanged snapshots only");
    } else {
        a.num_blocks = blocks_of(lim);
        a.max_num_blocks = blocks_of(best);
        a.limiting_rank = lim->rank;
        memcpy(a.limiting_host, lim->host, sizeof a.limiting_host);
        memcpy(a.limiting_device, lim->snapshot.device, sizeof a.limiting_device);
        char why[400];
        if (a.num_blocks == a.max_num_blocks && lim->startup_ok) {
            a.why = MB_LIMIT_ALIKE;
            snprintf(why, sizeof why, "every rank of the group holds as many");
        } else {
            a.why = explain(lim, best, why, sizeof why);
        }
        snprintf(a.reason, sizeof a.reason, "rank %d (%s, %s) limits the group to %lld "
                 "blocks (the most on one rank: %lld): %s", lim->rank,
                 lim->host[0] ? lim->host : "unknown host", lim->snapshot.device,
                 (long long)a.num_blocks, (long long)a.max_num_blocks, why);
    }
    *out = a;
    return MB_OK;
}

MB__API(mb_cluster_agree, (const mb_collective *c, const mb_rank_record *mine, mb_rank_record *all,
                     int cap, mb_agreement *out), (c, mine, all, cap, out))
{
    if (out) {
        memset(out, 0, sizeof *out);
        out->limiting_rank = out->min_free_rank = -1;
    }
    if (!c || !mine || !out || !c->allgather)
        return mb__error(MB_EINVAL, "mb_cluster_agree: the collective (with its allgather), "
                                    "the record and out are required");
    if (c->world_size < 1 || c->rank < 0 || c->rank >= c->world_size ||
        mine->rank != c->rank || mine->world_size != c->world_size)
        return mb__error(MB_EINVAL, "mb_cluster_agree: the record says rank %d of %d, the "
                                    "collective rank %d of %d: they must be the same",
                         mine->rank, mine->world_size, c->rank, c->world_size);
    if (all && cap < c->world_size)
        return mb__error(MB_ENOSPACE, "mb_cluster_agree: room for %d records, the world has "
                                      "%d ranks", cap, c->world_size);
    int n = c->world_size;
    unsigned char send[MB_RECORD_BYTES];
    int rc = mb_rank_record_encode(mine, send, sizeof send);
    if (rc)
        return rc;
    unsigned char *recv = mb__calloc((size_t)n, MB_RECORD_BYTES);
    mb_rank_record *recs = mb__calloc((size_t)n, sizeof *recs);
    if (!recv || !recs) {
        mb__free(recv);
        mb__free(recs);
        return mb__error(MB_ENOMEM, "mb_cluster_agree: no memory for %d records", n);
    }
    double timeout = c->timeout_s > 0 ? c->timeout_s : MB_COLLECTIVE_TIMEOUT_DEFAULT;
    char why[400] = "";
    rc = c->allgather(c->user, send, recv, MB_RECORD_BYTES, timeout, why, sizeof why);
    if (rc) {
        why[sizeof why - 1] = '\0';
        int code = rc < 0 ? rc : MB_EBACKEND;
        rc = mb__error(code, "the all-gather of the rank records failed%s%s",
                       why[0] ? ": " : "", why[0] ? why : mb_error_message(code));
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if ((rc = mb_rank_record_decode(recv + (size_t)i * MB_RECORD_BYTES, MB_RECORD_BYTES,
                                        &recs[i])))
            goto done;
        if (recs[i].rank != i || recs[i].world_size != n) {
            rc = mb__error(MB_EPARSE, "the all-gather put rank %d of %d's record at place %d "
                           "of %d: it must gather in rank order", recs[i].rank,
                           recs[i].world_size, i, n);
            goto done;
        }
    }
    for (int i = 0; i < n; i++)
        if (recs[i].status != MB_OK) {
            rc = mb__error(recs[i].status, "rank %d (%s, %s) failed: %s", i,
                           recs[i].host[0] ? recs[i].host : "unknown host",
                           recs[i].snapshot.device[0] ? recs[i].snapshot.device : "no device",
                           recs[i].error);
            goto done;
        }
    rc = mb_cluster_reduce(recs, n, mine->group, out);
done:
    if (all && rc == MB_OK)
        memcpy(all, recs, (size_t)n * sizeof *recs);
    else if (all)
        memset(all, 0, (size_t)cap * sizeof *all);
    mb__free(recv);
    mb__free(recs);
    return rc;
}
