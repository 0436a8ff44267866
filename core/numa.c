/*
 * core/numa.c: the public NUMA, container and CPU KV-space functions.
 *
 * They read the context's platform (its sysroot and its cached topology) and its probed
 * device list, which never change after probing; the rules themselves are policy/'s.
 *
 * Sources of the rules (vLLM, read 2026-11 on GitHub):
 *  - vllm/v1/worker/cpu_worker.py (CPUWorker.__init__, determine_available_memory): the
 *    node of a rank is the node of its first allowed CPU, falling back to the first visible
 *    memory node; requested = ceil(node total x gpu_memory_utilization); the automatic KV
 *    size is requested - psutil RSS; explicit or automatic, a size above the node's
 *    available memory is an error naming the node and its available/total GiB.
 *  - vllm/v1/worker/cpu_worker.py (_get_autobind_cpu_ids): with VLLM_CPU_OMP_THREADS_BIND=
 *    auto "for rank N, only CPU ids on the N-th node in available NUMA node list" are used,
 *    and there must be at least as many visible nodes as local ranks; with a list, the
 *    rank's entry of omp_cpuids.split("|"); "nobind" binds nothing.
 *  - vllm/utils/cpu_resource_utils.py: visible nodes = Mems_allowed_list narrowed (in the
 *    order given) by CPU_VISIBLE_MEMORY_NODES; a node's available memory = MemFree +
 *    Active(file) + Inactive(file) + SReclaimable.
 *  - vllm/envs.py: VLLM_CPU_KVCACHE_SPACE = int(...) GiB, VLLM_CPU_OMP_THREADS_BIND default
 *    "auto"; vllm/platforms/cpu.py applies the variable when set and not empty.
 * One deliberate difference: vLLM counts every node in Mems_allowed_list as visible, CPU-less
 * ones included; membudget never gives a rank a memory-only node (its CPUs would sit on
 * another node and the "node available" figure would describe the wrong memory).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "cpu_kv.h"

/* The topology, after probing (probe failures do not stop a listing of nodes). */
static int get_topology(mb_context *ctx, const mb_topology **t)
{
    *t = NULL;
    if (!ctx)
        return mb__error(MB_EINVAL, "ctx is NULL");
    (void)mb_context_probe(ctx);
    return mb__topology_get(&ctx->plat, t);
}

/* The device index of cpu:<node>, -1 when the CPU backend does not serve that node (the
 * host device, numa_node -1, stands for no node of a machine that has nodes). */
static int device_of_node(const mb_context *ctx, int node)
{
    for (int i = 0; i < ctx->ndevices; i++)
        if (strcmp(ctx->devices[i].info.backend, "cpu") == 0 &&
            ctx->devices[i].info.index == node && ctx->devices[i].info.numa_node == node)
            return i;
    return -1;
}

MB__API(mb_numa_node_count, (mb_context *ctx), (ctx))
{
    const mb_topology *t;
    int rc = get_topology(ctx, &t);
    return rc ? rc : t->nnodes;
}

static void node_zero(mb_numa_node *out)
{
    memset(out, 0, sizeof *out);
    out->node = out->device = out->cpus = out->cpus_allowed = -1;
}

int mb__numa_node_get(mb_context *ctx, int index, mb_numa_node *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_numa_node_get: out is NULL");
    node_zero(out);
    const mb_topology *t;
    int rc = get_topology(ctx, &t);
    if (rc)
        return rc;
    if (index < 0 || index >= t->nnodes)
        return mb__error(MB_EINVAL, "NUMA node index %d is out of range: %d node(s) listed%s",
                         index, t->nnodes,
                         t->nnodes ? "" : " (no /sys/devices/system/node: cpu:0 is the host)");
    const mb_topo_node *n = &t->nodes[index];
    mb_numa_node r = MB_NUMA_NODE_INIT;
    node_zero(&r);
    r.node = n->id;
    r.has_cpus = n->has_cpu;
    r.has_memory = n->has_memory;
    r.allowed = n->allowed;
    r.cpus = n->ncpus;
    r.cpus_allowed = n->ncpus_allowed;
    r.total_memory = n->total;
    r.device = device_of_node(ctx, n->id);
    if (n->has_memory) {
        int64_t total;
        if ((rc = mb__node_meminfo(&ctx->plat, n, &r.free_memory, &total)))
            return rc;
    }
    if (n->has_cpu && n->has_memory)
        snprintf(r.kind, sizeof r.kind, "cpu+memory");
    else if (n->has_memory)
        snprintf(r.kind, sizeof r.kind, "memory-only%s%s%s", n->kind[0] ? " (" : "", n->kind,
                 n->kind[0] ? ")" : "");
    else if (n->has_cpu)
        snprintf(r.kind, sizeof r.kind, "cpus-only");
    else
        snprintf(r.kind, sizeof r.kind, "no cpus or memory");
    if (r.device < 0) {
        if (n->has_memory && !n->has_cpu)
            snprintf(r.why_not, sizeof r.why_not, "no online CPUs: a CPU KV cache needs a node "
                                                  "whose CPUs run the rank");
        else if (!n->has_memory)
            snprintf(r.why_not, sizeof r.why_not, "no memory of its own");
        else if (!n->allowed)
            snprintf(r.why_not, sizeof r.why_not, "left out by the cpuset (%s)", t->mems_from);
        else if (n->ncpus_allowed == 0)
            snprintf(r.why_not, sizeof r.why_not, "none of its %d CPUs is in this process's "
                                                  "affinity (Cpus_allowed_list)", n->ncpus);
        else
            snprintf(r.why_not, sizeof r.why_not, "the cpu backend serves no device here (see "
                                                  "'membudget devices')");
    }
    *out = r;
    return MB_OK;
}

int mb__container_memory_get(mb_context *ctx, mb_container_info *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_container_memory_get: out is NULL");
    memset(out, 0, sizeof *out);
    out->limit = out->available = MB_UNLIMITED;
    out->usage = out->inactive_file = MB_UNKNOWN;
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_container_memory_get: ctx is NULL");
    mb_container_memory cg;
    int rc = mb__container_memory(&ctx->plat, &cg);
    if (rc)
        return rc;
    out->version = cg.version;
    snprintf(out->path, sizeof out->path, "%s", cg.path);
    out->limit = cg.limit;
    out->usage = cg.usage;
    out->inactive_file = cg.inactive_file;
    out->available = cg.available;
    snprintf(out->bound_by, sizeof out->bound_by, "%s", cg.bound_by);
    return MB_OK;
}

/* ---- rank binding ------------------------------------------------------------------ */

static void rank_zero(mb_cpu_rank *out, int local_rank)
{
    memset(out, 0, sizeof *out);
    out->local_rank = local_rank;
    out->node = out->device = -1;
}

/* Why node id cannot be a visible node, for messages. */
static const char *not_a_device(const mb_topology *t, int id)
{
    const mb_topo_node *n = mb__topology_node(t, id);
    if (!n)
        return "no such online node";
    if (n->has_memory && !n->has_cpu)
        return "memory-only";
    if (!n->has_memory)
        return "no memory";
    if (!n->allowed)
        return "not in this process's cpuset";
    if (n->ncpus_allowed == 0)
        return "none of its CPUs in this process's affinity";
    return "not served";
}

MB__API(mb_cpu_rank_get, (mb_context *ctx, int local_rank, mb_cpu_rank *out),
        (ctx, local_rank, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_cpu_rank_get: out is NULL");
    rank_zero(out, local_rank);
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_cpu_rank_get: ctx is NULL");
    if (local_rank < 0)
        return mb__error(MB_EINVAL, "local rank %d is negative; ranks count from 0", local_rank);
    int rc = mb_context_probe(ctx);
    if (rc)
        return rc;
    const mb_topology *t;
    if ((rc = mb__topology_get(&ctx->plat, &t)))
        return rc;
    /* the CPU devices, in node order; on a machine with nodes, the host device (no node
     * of the machine was usable) is not one a rank can be placed on */
    int devs[MB_MAX_NODES], ndev = 0;
    for (int i = 0; i < ctx->ndevices && ndev < MB_MAX_NODES; i++)
        if (strcmp(ctx->devices[i].info.backend, "cpu") == 0 &&
            (t->nnodes == 0 || ctx->devices[i].info.numa_node >= 0))
            devs[ndev++] = i;
    if (ndev == 0) {
        const char *why = "";
        for (int i = 0; i < ctx->nbackends; i++)
            if (strcmp(ctx->backends[i].name, "cpu") == 0)
                why = ctx->backends[i].status.reason;
        return mb__error(MB_ENOTSUP, "no CPU device is a NUMA node a rank can run on, so no "
                                     "rank has a CPU node: %s", why);
    }
    int vis[MB_MAX_NODES], nvis = 0; /* device indices, in visible order */
    char vis_from[160] = "the CPU devices";
    char dropped[160] = "";
    int too_long = 0;
    const char *v = mb__plat_env(&ctx->plat, "CPU_VISIBLE_MEMORY_NODES", &too_long);
    if (too_long)
        return mb__error(MB_EENV, "CPU_VISIBLE_MEMORY_NODES is longer than 4096 bytes; give "
                                  "node ids separated by commas, such as 0,2");
    if (v && *v) {
        int ids[MB_MAX_NODES], nids;
        if ((rc = mb__parse_visible_nodes(v, ids, MB_MAX_NODES, &nids)))
            return rc;
        for (int k = 0; k < nids; k++) {
            int d = device_of_node(ctx, ids[k]);
            if (d >= 0)
                vis[nvis++] = d;
            else {
                size_t l = strlen(dropped);
                snprintf(dropped + l, sizeof dropped - l, "%snode %d (%s)", l ? ", " : "",
                         ids[k], not_a_device(t, ids[k]));
            }
        }
        snprintf(vis_from, sizeof vis_from, "CPU_VISIBLE_MEMORY_NODES='%.100s'", v);
        if (nvis == 0) {
            char have[96] = "";
            for (int k = 0; k < ndev; k++) {
                size_t l = strlen(have);
                snprintf(have + l, sizeof have - l, "%s%d", k ? "," : "",
                         ctx->devices[devs[k]].info.index);
            }
            return mb__error(MB_EENV, "CPU_VISIBLE_MEMORY_NODES='%s' leaves no node for a CPU "
                                      "KV cache: %s; give some of the nodes with CPUs and "
                                      "memory that this process may use (%s), or unset the "
                                      "variable", v, dropped, have);
        }
    } else {
        for (int k = 0; k < ndev; k++)
            vis[nvis++] = devs[k];
    }
    char vis_list[96] = "";
    for (int k = 0; k < nvis; k++) {
        size_t l = strlen(vis_list);
        snprintf(vis_list + l, sizeof vis_list - l, "%s%d", k ? "," : "",
                 ctx->devices[vis[k]].info.index);
    }
    const char *bind = mb__plat_env(&ctx->plat, "VLLM_CPU_OMP_THREADS_BIND", &too_long);
    if (too_long)
        return mb__error(MB_EENV, "VLLM_CPU_OMP_THREADS_BIND is longer than 4096 bytes; give "
                                  "auto, nobind, or per-rank CPU lists such as 0-31|32-63");
    mb_cpu_rank r;
    rank_zero(&r, local_rank);
    char note[200] = "";
    if (dropped[0])
        snprintf(note, sizeof note, "; %s ignored", dropped);
    if (!bind || !*bind || strcmp(bind, "auto") == 0) {
        r.bind = MB_CPU_BIND_AUTO;
        if (local_rank >= nvis)
            return mb__error(MB_ENODEV, "local rank %d has no NUMA node: with "
                                        "VLLM_CPU_OMP_THREADS_BIND=auto rank i takes the i-th "
                                        "visible node, and only %d node%s visible (%s, from "
                                        "%s)%s; run at most %d local rank%s, or give per-rank "
                                        "CPU lists such as 0-31|32-63 in "
                                        "VLLM_CPU_OMP_THREADS_BIND",
                             local_rank, nvis, nvis == 1 ? " is" : "s are", vis_list, vis_from,
                             note, nvis, nvis == 1 ? "" : "s");
        r.device = vis[local_rank];
        r.node = ctx->devices[r.device].info.index;
        snprintf(r.reason, sizeof r.reason, "VLLM_CPU_OMP_THREADS_BIND=%s: local rank %d takes "
                                             "visible node #%d of %s (%s)%s",
                 bind && *bind ? "auto" : "auto (unset)", local_rank, local_rank, vis_from,
                 vis_list, note);
    } else if (strcmp(bind, "nobind") == 0 || strcmp(bind, "all") == 0) {
        r.bind = MB_CPU_BIND_NOBIND;
        int first = -1;
        for (int c = 0; c < MB_MAX_CPUS; c++)
            if (t->cpu_allowed[c] && t->cpu_node[c] != 0xffff) {
                first = c;
                break;
            }
        int d = first >= 0 ? device_of_node(ctx, t->cpu_node[first]) : -1;
        int in_vis = 0;
        for (int k = 0; k < nvis; k++)
            in_vis |= vis[k] == d;
        if (d >= 0 && in_vis) {
            r.device = d;
            snprintf(r.reason, sizeof r.reason, "VLLM_CPU_OMP_THREADS_BIND=%s: no binding; the "
                                                 "node of this process's first allowed CPU "
                                                 "(%d) holds the KV cache of every rank%s",
                     bind, first, note);
        } else {
            r.device = vis[0];
            snprintf(r.reason, sizeof r.reason, "VLLM_CPU_OMP_THREADS_BIND=%s: no binding; %s, "
                                                 "so the first visible node of %s (%s) holds "
                                                 "the KV cache, as vLLM falls back to it%s",
                     bind, first < 0 ? "the node of no allowed CPU is known"
                                     : "the first allowed CPU's node is not visible",
                     vis_from, vis_list, note);
        }
        r.node = ctx->devices[r.device].info.index;
    } else {
        r.bind = MB_CPU_BIND_LIST;
        /* check every per-rank list, then take this rank's */
        int nparts = 0, first = -1;
        const char *mine = NULL;
        size_t mine_len = 0;
        unsigned char *bits = mb__malloc(MB_MAX_CPUS);
        if (!bits)
            return mb__error(MB_ENOMEM, "out of memory reading VLLM_CPU_OMP_THREADS_BIND");
        for (const char *p = bind;; nparts++) {
            const char *e = strchr(p, '|');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            char part[256];
            snprintf(part, sizeof part, "%.*s", (int)(len < 255 ? len : 255), p);
            int prc = len == 0 || len > 255 ? MB_EPARSE : mb__parse_list(part, bits, MB_MAX_CPUS);
            int empty = 1;
            for (int c = 0; prc == MB_OK && c < MB_MAX_CPUS && empty; c++)
                empty = !bits[c];
            if (prc != MB_OK || empty || strchr(part, ' ')) {
                mb__free(bits);
                return mb__error(MB_EENV, "VLLM_CPU_OMP_THREADS_BIND='%s': the list of rank %d "
                                          "('%.*s') is not a CPU list%s; give auto, nobind, or "
                                          "one CPU list per local rank separated by '|', such "
                                          "as 0-31|32-63 (CPU ids below %d)",
                                 bind, nparts, (int)len, p,
                                 prc == MB_ERANGE ? " (a CPU id is too large)" : "",
                                 MB_MAX_CPUS);
            }
            if (nparts == local_rank) {
                mine = p;
                mine_len = len;
                for (int c = 0; c < MB_MAX_CPUS && first < 0; c++)
                    if (bits[c])
                        first = c;
            }
            if (!e)
                break;
            p = e + 1;
        }
        nparts++;
        if (!mine) {
            mb__free(bits);
            return mb__error(MB_EENV, "VLLM_CPU_OMP_THREADS_BIND='%s' has %d per-rank CPU "
                                      "list%s; local rank %d has none: give one list per local "
                                      "rank, separated by '|'",
                             bind, nparts, nparts == 1 ? "" : "s", local_rank);
        }
        mb__free(bits);
        snprintf(r.cpus, sizeof r.cpus, "%.*s", (int)mine_len, mine);
        int node = t->cpu_node[first] != 0xffff ? t->cpu_node[first] : -1;
        if (node < 0 && !t->cpus_known && nvis == 1)
            node = ctx->devices[vis[0]].info.index; /* no cpulist files: one node anyway */
        if (node < 0)
            return mb__error(MB_ENODEV, "VLLM_CPU_OMP_THREADS_BIND='%s': CPU %d, the first of "
                                        "local rank %d's list, is %s; list online CPUs "
                                        "(/sys/devices/system/cpu/online)",
                             bind, first, local_rank,
                             t->cpus_known ? "not online or on no node"
                                           : "on an unknown node (no node cpulist files)");
        int d = device_of_node(ctx, node);
        int in_vis = 0;
        for (int k = 0; k < nvis; k++)
            in_vis |= vis[k] == d;
        if (d >= 0 && in_vis) {
            r.device = d;
            snprintf(r.reason, sizeof r.reason, "VLLM_CPU_OMP_THREADS_BIND: local rank %d runs "
                                                 "on CPUs %s; its first CPU %d is on node %d%s",
                     local_rank, r.cpus, first, node, note);
        } else {
            r.device = vis[0];
            snprintf(r.reason, sizeof r.reason, "VLLM_CPU_OMP_THREADS_BIND: local rank %d runs "
                                                 "on CPUs %s, whose first CPU %d is on node %d "
                                                 "(%s); like vLLM, the KV cache goes to the "
                                                 "first visible node of %s (%s)%s",
                     local_rank, r.cpus, first, node, not_a_device(t, node), vis_from,
                     vis_list, note);
        }
        r.node = ctx->devices[r.device].info.index;
    }
    *out = r;
    return MB_OK;
}

/* ---- KV space ---------------------------------------------------------------------- */


static void kv_zero(mb_cpu_kv_space *out, int rank)
{
    memset(out, 0, sizeof *out);
    rank_zero(&out->rank, rank);
    out->container_limit = MB_UNLIMITED;
}

int mb__cpu_kv_space_get(mb_context *ctx, const mb_cpu_kv_options *opts, mb_cpu_kv_space *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_cpu_kv_space_get: out is NULL");
    mb_cpu_kv_options o = MB_CPU_KV_OPTIONS_INIT;
    if (opts)
        o = *opts;
    kv_zero(out, o.local_rank);
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_cpu_kv_space_get: ctx is NULL");
    if (!(o.utilization > 0 && o.utilization <= 1))
        return mb__error(MB_EINVAL, "utilization %g is outside (0, 1]; it is the fraction of "
                                    "the node's memory the worker may use "
                                    "(mb_cpu_kv_options.utilization, default %.2f)",
                         o.utilization, MB_CPU_UTILIZATION_DEFAULT);
    if (o.kv_cache_memory_bytes < 0 || o.kv_cache_memory_bytes > MB_SIZE_MAX)
        return mb__error(MB_EINVAL, "kv_cache_memory_bytes %lld: give the KV cache size in "
                                    "bytes (more than 0), or leave it out",
                         (long long)o.kv_cache_memory_bytes);
    int too_long = 0;
    const char *space = mb__plat_env(&ctx->plat, "VLLM_CPU_KVCACHE_SPACE", &too_long);
    if (too_long)
        return mb__error(MB_EENV, "VLLM_CPU_KVCACHE_SPACE is longer than 4096 bytes; give a "
                                  "whole number of GiB such as 4, or leave it unset");
    int64_t explicit_bytes = 0;
    int rc;
    if (space && *space && (rc = mb__kv_parse_space(space, &explicit_bytes)))
        return rc;
    mb_cpu_kv_space r = MB_CPU_KV_SPACE_INIT;
    kv_zero(&r, o.local_rank);
    if ((rc = mb_cpu_rank_get(ctx, o.local_rank, &r.rank)))
        return rc;
    mb_snapshot s;
    if ((rc = mb_snapshot_measure(ctx, r.rank.device, NULL, &s)))
        return rc;
    r.node_total = s.total_memory;
    r.node_available = s.free_memory;
    r.container_limit = s.limit;
    char bound[160] = "";
    if (s.flags & MB_SNAP_LIMITED) {
        char lim[32];
        mb_size_format_gib(s.limit, lim, sizeof lim);
        snprintf(bound, sizeof bound, ", bounded by the container's %s GiB limit", lim);
    } else if (s.flags & MB_SNAP_HOST_FALLBACK) {
        snprintf(bound, sizeof bound, ", the host's figures: node files do not cover it");
    }
    /* vLLM's order: VLLM_CPU_KVCACHE_SPACE overrides kv_cache_memory_bytes
     * (CpuPlatform.check_and_update_config) */
    char from[96];
    mb__cpu_kv_in in = {
        .node = r.rank.node,
        .total = s.total_memory,
        .available = s.free_memory,
        .cg_limit = s.limit,
        .utilization = o.utilization,
        .bound = bound,
    };
    if (space && *space) {
        snprintf(from, sizeof from, "VLLM_CPU_KVCACHE_SPACE=%s", space);
        in.explicit_bytes = explicit_bytes;
        in.explicit_from = from;
        in.explicit_name = "VLLM_CPU_KVCACHE_SPACE";
    } else if (o.kv_cache_memory_bytes > 0) {
        snprintf(from, sizeof from, "kv_cache_memory_bytes %lld",
                 (long long)o.kv_cache_memory_bytes);
        in.explicit_bytes = o.kv_cache_memory_bytes;
        in.explicit_from = from;
        in.explicit_name = "kv_cache_memory_bytes";
    } else if ((rc = mb__self_rss(&ctx->plat, &in.rss))) {
        return rc;
    }
    if ((rc = mb__cpu_kv_size(&in, &r)))
        return rc;
    *out = r;
    return MB_OK;
}

/* ---- the files a dump needs -------------------------------------------------------- */

MB__API(mb_context_list_files, (mb_context *ctx, int (*each)(void *user, const char *path),
                                void *user),
        (ctx, each, user))
{
    if (!ctx || !each)
        return mb__error(MB_EINVAL, "mb_context_list_files: ctx or each is NULL");
    (void)mb_context_probe(ctx); /* probe failures do not stop a listing */
    /* every backend built in, selected or not, present or not: a dump must replay each */
    for (int i = 0; i < ctx->nbackends; i++) {
        int rc = mb__vt_files(ctx->backends[i].ops, &ctx->plat, each, user);
        if (rc)
            return rc;
    }
    return MB_OK;
}
