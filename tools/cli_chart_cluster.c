/* tools/cli_chart_cluster.c: the adapter of a cluster document (`plan --mpi`, `snapshot
 * --mpi`, `merge`) to a chart: one bar per rank, the limiting one marked. With plan
 * records a rank's bar is its own device and plan with the KV cache every rank of the group
 * allocates (the agreed blocks); what its own budget holds beyond that is drawn as left
 * unused. With snapshot records it is in use and free, and the rank with the least free
 * memory is the one marked. */
#include <string.h>

#include "cli.h"
#include "cli_chart.h"
#include "membudget/cluster.h"

static void bar_name(const mb_rank_record *r, char *buf, size_t size)
{
    if (r->host[0])
        snprintf(buf, size, "rank %d %s", (int)r->rank, r->host);
    else
        snprintf(buf, size, "rank %d", (int)r->rank);
}

int cli_chart_ranks(cli_chart *cc, int json, const char *command, const char *model_path,
                    const mb_rank_record *all, int n, const mb_agreement *ag)
{
    chart *c = &cc->pic;
    int plans = n > 0;
    for (int i = 0; i < n; i++)
        plans &= (all[i].what & MB_RECORD_PLAN) != 0;
    char model[CHART_TEXT_MAX] = "";
    if (plans && model_path)
        cli_chart_model_name(model_path, model, sizeof model);
    if (model[0])
        snprintf(c->title, sizeof c->title, "%s on %d rank%s", model, n, n == 1 ? "" : "s");
    else
        snprintf(c->title, sizeof c->title, "memory now: %d rank%s on %d host%s", n,
                 n == 1 ? "" : "s", (int)ag->hosts, ag->hosts == 1 ? "" : "s");
    if (plans) {
        snprintf(c->subtitle, sizeof c->subtitle, "every rank of group %d allocates %lld KV "
                 "blocks, the limiting rank's", (int)ag->group, (long long)ag->num_blocks);
        snprintf(c->limiting, sizeof c->limiting, "%s", ag->reason);
        snprintf(c->footer, sizeof c->footer, "membudget %s; each rank's own device and "
                 "plan; GiB = 2^30 bytes", command);
    } else {
        snprintf(c->subtitle, sizeof c->subtitle, "%s free of %s in all",
                 cli_gib(ag->free_memory, (char[32]){0}, 32),
                 cli_gib(ag->total_memory, (char[32]){0}, 32));
        snprintf(c->limiting, sizeof c->limiting, "the least free memory");
        snprintf(c->footer, sizeof c->footer, "membudget %s; in use = total - free, every "
                 "process's; GiB = 2^30 bytes", command);
    }
    for (int i = 0; i < n; i++) {
        const mb_rank_record *r = &all[i];
        const mb_snapshot *s = &r->snapshot;
        char name[CHART_NAME_MAX];
        bar_name(r, name, sizeof name);
        chart_bar *bar = chart_add_bar(c, name, s->total_memory);
        if (!bar) {
            cli_chart_free(cc);
            return cli_fail("out of memory while drawing rank %d", i);
        }
        int64_t used = s->total_memory - s->free_memory;
        if (!plans) {
            bar->limiting = r->rank == ag->min_free_rank;
            chart_add_part(bar, CHART_OTHER, used, "in use");
            chart_add_part(bar, CHART_FREE, s->free_memory, NULL);
            continue;
        }
        /* the agreement is for one group; a rank of another keeps its own blocks */
        int64_t blocks = r->group == ag->group ? ag->num_blocks : r->num_blocks;
        int64_t kv = blocks * r->block_bytes;
        bar->limiting = r->group == ag->group && r->rank == ag->limiting_rank;
        chart_add_part(bar, CHART_OTHER, used, NULL);
        chart_add_part(bar, CHART_NON_KV, r->non_kv_memory, NULL);
        chart_add_part(bar, CHART_CUDAGRAPH, r->cudagraph_memory, NULL);
        chart_add_part(bar, CHART_KV, kv, NULL);
        chart_add_part(bar, CHART_UNUSED, r->available_kv_cache_memory - kv, "KV left unused");
        chart_add_part(bar, CHART_HEADROOM, s->total_memory - chart_bar_sum(bar), NULL);
    }
    return cli_chart_emit(cc, json);
}
