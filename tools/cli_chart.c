/* tools/cli_chart.c: the picture options of plan and snapshot, the adapters from the
 * library's plan and snapshots to a chart, and where the picture goes. The adapters are the
 * only place that knows both membudget's structs and the chart's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_chart.h"

int cli_chart_option(const char *cmd, int argc, char **argv, int *i, cli_chart *cc)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--chart") == 0) {
        cc->chart = 1;
        return 1;
    }
    if (strcmp(arg, "--ascii") == 0) {
        cc->chart = cc->ascii = 1;
        return 1;
    }
    const char **slot = NULL;
    size_t n = 0;
    if (strncmp(arg, "--svg", 5) == 0 && (arg[5] == '\0' || arg[5] == '='))
        slot = &cc->svg, n = 5;
    else if (strncmp(arg, "--png", 5) == 0 && (arg[5] == '\0' || arg[5] == '='))
        slot = &cc->png, n = 5;
    if (!slot)
        return 0;
    const char *v = arg[n] == '=' ? arg + n + 1 : NULL;
    if (!v) {
        if (*i + 1 >= argc) {
            cli_usage(cmd, "%s needs a file name", arg);
            return -1;
        }
        v = argv[++*i];
    }
    if (!v[0]) {
        cli_usage(cmd, "%.5s needs a file name", arg);
        return -1;
    }
    if (slot == &cc->png && !chart_png_available()) {
        cli_usage(cmd, "--png: this membudget was built without cairo; install it "
                       "(apt-get install libcairo2-dev) and build again, or use --svg");
        return -1;
    }
    *slot = v;
    return 1;
}

int cli_chart_check(const char *cmd, const cli_chart *cc, int json)
{
    if (json && cc->chart)
        return cli_usage(cmd, "--%s draws on the terminal and --json prints JSON only; drop "
                              "one (--svg FILE and --png FILE work with --json)",
                         cc->ascii ? "ascii" : "chart");
    return CLI_OK;
}

static int to_terminal(const cli_chart *cc, int json)
{
    return !json && (cc->chart || isatty(STDOUT_FILENO));
}

int cli_chart_wanted(const cli_chart *cc, int json)
{
    return to_terminal(cc, json) || cc->svg || cc->png;
}

void cli_chart_free(cli_chart *cc)
{
    chart_free(&cc->pic);
}

int cli_chart_emit(cli_chart *cc, int json)
{
    int rc = CLI_OK;
    if (to_terminal(cc, json)) {
        chart_text_options o;
        chart_text_detect(STDOUT_FILENO, cc->ascii, &o);
        if (putchar('\n') == EOF || chart_text_write(&cc->pic, stdout, &o))
            rc = cli_fail("cannot write to standard output");
    }
    if (rc == CLI_OK && cc->svg) {
        FILE *f = fopen(cc->svg, "w");
        if (!f)
            rc = cli_fail("--svg '%s': cannot create it: %s", cc->svg, strerror(errno));
        else {
            int bad = chart_svg_write(&cc->pic, f, 0);
            int e = errno;
            if (fclose(f) || bad)
                rc = cli_fail("--svg '%s': cannot write it: %s", cc->svg,
                              strerror(bad ? e : errno));
        }
    }
    if (rc == CLI_OK && cc->png) {
        char why[256];
        if (chart_png_write(&cc->pic, cc->png, 0, why, sizeof why))
            rc = cli_fail("--png '%s': %s", cc->png, why);
    }
    cli_chart_free(cc);
    return rc;
}

void cli_chart_model_name(const char *path, char *out, size_t size)
{
    char buf[CHART_TEXT_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    char *base = strrchr(buf, '/');
    base = base ? base + 1 : buf;
    if (strcmp(base, "config.json") == 0 && base > buf) {
        base[-1] = '\0';
        char *up = strrchr(buf, '/');
        base = up ? up + 1 : buf;
    } else {
        size_t b = strlen(base);
        if (b > 12 && strcmp(base + b - 12, ".config.json") == 0)
            base[b - 12] = '\0';
        else if (b > 5 && strcmp(base + b - 5, ".json") == 0)
            base[b - 5] = '\0';
    }
    snprintf(out, size, "%s", base);
}

/* A part of the estimate with its range (none when the range is a point). */
static void est_part(chart_bar *bar, chart_kind kind, const mb_estimate_part *e,
                     const char *label)
{
    chart_add_part(bar, kind, e->bytes, label);
    if (e->low != MB_UNKNOWN && e->high != MB_UNKNOWN && e->low < e->high)
        chart_set_range(bar, e->low < e->bytes ? e->low : e->bytes,
                        e->high > e->bytes ? e->high : e->bytes);
}

int cli_chart_plan(cli_chart *cc, int json, const char *model_path, const mb_snapshot *s,
                   const mb_plan *p, const cli_chart_estimate *est)
{
    const mb_estimate *e = est ? est->e : NULL;
    const mb_budget *b = &p->budget;
    chart *c = &cc->pic;
    char name[CHART_TEXT_MAX], g1[32];
    cli_chart_model_name(model_path, name, sizeof name);
    int what_if = s->source == MB_SOURCE_VALUES;
    if (e && est->device)
        snprintf(c->title, sizeof c->title, "%s on %s", name, est->device);
    else if (what_if)
        snprintf(c->title, sizeof c->title, "%s on a device of %s", name,
                 chart_fmt_size(s->total_memory, g1, sizeof g1));
    else
        snprintf(c->title, sizeof c->title, "%s on %s", name, s->device);
    int explicit_kv = (b->flags & MB_BUDGET_EXPLICIT) != 0;
    char tp[48] = "per device";
    if (p->spec.tensor_parallel_size > 1)
        snprintf(tp, sizeof tp, "per rank of %d (tensor parallel)",
                 p->spec.tensor_parallel_size);
    snprintf(c->subtitle, sizeof c->subtitle, "%lld blocks of %d tokens: %.2f requests of "
             "%lld tokens at once (%s)", (long long)p->num_blocks, p->spec.block_size,
             p->max_concurrency, (long long)p->max_model_len, tp);
    snprintf(c->footer, sizeof c->footer, "membudget plan%s; GiB = 2^30 bytes%s",
             explicit_kv ? ", KV size from --kv-cache-memory-bytes" : "",
             p->non_kv_source == MB_NON_KV_FROM_WEIGHTS
                 ? "; non-KV is the weights alone (an upper bound on the KV cache)"
                 : "");
    chart_bar *bar = chart_add_bar(c, what_if ? "what-if" : s->device, s->total_memory);
    if (!bar)
        return cli_fail("out of memory while drawing the plan");
    /* the order the device fills: others first, then the engine's parts, then what the
     * utilization leaves */
    /* an estimate's what-if device is free but for the runtime's own context */
    int context = e && what_if && s->total_memory - s->free_memory == e->context_memory;
    chart_add_part(bar, CHART_OTHER, s->total_memory - s->free_memory,
                   context ? "runtime context" : NULL);
    if (e && est->non_kv && p->non_kv_source == MB_NON_KV_FROM_OPTION) {
        est_part(bar, CHART_WEIGHTS, &e->weights, NULL);
        est_part(bar, CHART_ACTIVATION, &e->activation, NULL);
        est_part(bar, CHART_NON_TORCH, &e->non_torch, NULL);
    } else switch (p->non_kv_source) {
    case MB_NON_KV_FROM_WEIGHTS:
        chart_add_part(bar, CHART_WEIGHTS, b->non_kv_cache_memory, NULL);
        break;
    case MB_NON_KV_FROM_OPTION:
        chart_add_part(bar, CHART_NON_KV, b->non_kv_cache_memory,
                       "non-KV (--non-kv-memory)");
        break;
    case MB_NON_KV_FROM_NOTHING:
    case MB_NON_KV_NOT_USED:
        break;
    }
    if (e && est->cudagraph && e->cudagraph_charged &&
        b->cudagraph_memory == e->cudagraph.bytes)
        est_part(bar, CHART_CUDAGRAPH, &e->cudagraph, NULL);
    else
        chart_add_part(bar, CHART_CUDAGRAPH, b->cudagraph_memory,
                       p->cudagraph_source == MB_CUDAGRAPH_FLOOR ? "CUDA graphs (floor)"
                                                                 : NULL);
    /* vLLM's KV-cache groups share one pool of blocks: counted in the label, not split */
    char kv[CHART_NAME_MAX] = "";
    if (p->num_groups > 1) {
        size_t n = (size_t)snprintf(kv, sizeof kv, "KV cache (");
        int ng = p->num_groups < MB_PLAN_MAX_GROUPS ? p->num_groups : MB_PLAN_MAX_GROUPS;
        for (int g = 0; g < ng && n < sizeof kv; g++) {
            int seen = 0, count = 0;
            for (int h = 0; h < ng; h++) {
                int same = strcmp(p->groups[h].kind, p->groups[g].kind) == 0;
                seen |= same && h < g;
                count += same;
            }
            if (seen)
                continue;
            char kind[24]; /* "sliding_window" -> "sliding", "full_attention" -> "full" */
            snprintf(kind, sizeof kind, "%.*s", (int)strcspn(p->groups[g].kind, "_"),
                     p->groups[g].kind);
            n += (size_t)snprintf(kv + n, sizeof kv - n, "%s%d %s", n > 10 ? ", " : "",
                                  count, kind);
        }
        if (n < sizeof kv)
            snprintf(kv + n, sizeof kv - n, ")");
    }
    chart_add_part(bar, CHART_KV, p->kv_cache_bytes, kv);
    if (e && p->kv_cache_tokens > 0 && e->kv_cache_tokens_low != MB_UNKNOWN &&
        e->kv_cache_tokens_high != MB_UNKNOWN) {
        /* the estimate's token range at the plan's bytes per token */
        int64_t per = p->kv_cache_bytes / p->kv_cache_tokens;
        int64_t lo = e->kv_cache_tokens_low * per, hi = e->kv_cache_tokens_high * per;
        if (lo < hi)
            chart_set_range(bar, lo < p->kv_cache_bytes ? (lo > 0 ? lo : 0) : p->kv_cache_bytes,
                            hi > p->kv_cache_bytes ? hi : p->kv_cache_bytes);
    }
    chart_add_part(bar, CHART_UNUSED, b->available_kv_cache_memory - p->kv_cache_bytes, NULL);
    char head[CHART_NAME_MAX];
    snprintf(head, sizeof head, "headroom (utilization %g)", b->gpu_memory_utilization);
    chart_add_part(bar, explicit_kv ? CHART_FREE : CHART_HEADROOM,
                   s->total_memory - chart_bar_sum(bar), explicit_kv ? "free" : head);
    return cli_chart_emit(cc, json);
}

int cli_chart_add_snapshot(cli_chart *cc, const mb_snapshot *s, const char *model)
{
    chart_bar *bar = chart_add_bar(&cc->pic, s->device, s->total_memory);
    if (!bar)
        return cli_fail("out of memory while drawing the snapshot");
    chart_add_part(bar, CHART_OTHER, s->total_memory - s->free_memory, "in use");
    chart_add_part(bar, CHART_FREE, s->free_memory, NULL);
    /* the subtitle names the devices' models, as far as it goes */
    char *sub = cc->pic.subtitle;
    size_t n = strlen(sub);
    if (model && model[0] && n + 4 < sizeof cc->pic.subtitle)
        snprintf(sub + n, sizeof cc->pic.subtitle - n, "%s%s: %s", n ? "; " : "", s->device,
                 model);
    return CLI_OK;
}

int cli_chart_snapshots(cli_chart *cc, int json)
{
    chart *c = &cc->pic;
    /* the devices by name (not the host's: the snapshot may be of a machine dump) */
    size_t n = (size_t)snprintf(c->title, sizeof c->title, "memory now:");
    for (int i = 0; i < c->nbars && n + 2 < sizeof c->title; i++)
        n += (size_t)snprintf(c->title + n, sizeof c->title - n, "%s %s", i ? "," : "",
                              c->bars[i].name);
    snprintf(c->footer, sizeof c->footer,
             "membudget snapshot; in use = total - free, every process's; GiB = 2^30 bytes");
    return cli_chart_emit(cc, json);
}
