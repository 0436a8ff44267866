/*
 * tools/metrics.c: Prometheus' text exposition format, version 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats/): one "# HELP" and "# TYPE" per
 * family, then "name{label="value",...} number". Label values escape \, " and newline.
 * Figures nobody knows (MB_UNKNOWN) are left out, never written as 0. Names and their
 * DCGM counterparts: docs/operators.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "membudget/numa.h"
#include "membudget/operators.h"
#include "metrics.h"

static void put(metrics_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(metrics_buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->data && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
}

/* A label value with \ " and newline escaped, into out. */
static const char *esc(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 3 < size; p++) {
        if (*p == '\\' || *p == '"') {
            out[o++] = '\\';
            out[o++] = *p;
        } else if (*p == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return out;
}

static void family(metrics_buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

typedef struct dev_row {
    char labels[768];
    mb_snapshot s;
    int ok;
} dev_row;

int metrics_render(mb_context *ctx, int with_processes, metrics_buf *b)
{
    int n = mb_device_count(ctx);
    if (n < 0)
        return n;
    dev_row *rows = calloc((size_t)(n ? n : 1), sizeof *rows);
    if (!rows) {
        b->oom = 1;
        return MB_ENOMEM;
    }
    int errors = 0;
    for (int i = 0; i < n; i++) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        if (mb_device_get(ctx, i, &d) != MB_OK) {
            errors++;
            continue;
        }
        char e1[160], e2[160], e3[160], e4[64];
        snprintf(rows[i].labels, sizeof rows[i].labels,
                 "device=\"%s\",backend=\"%s\",model=\"%s\",uuid=\"%s\",pci_bus_id=\"%s\"",
                 esc(d.name, e4, sizeof e4), d.backend, esc(d.model, e1, sizeof e1),
                 esc(d.uuid, e2, sizeof e2), esc(d.pci_bus_id, e3, sizeof e3));
        rows[i].ok = mb_snapshot_measure(ctx, i, NULL, &rows[i].s) == MB_OK;
        errors += !rows[i].ok;
    }
    static const struct {
        const char *name, *help;
        int which;
    } fams[] = {
        {"membudget_device_total_bytes", "Device memory in bytes (DCGM_FI_DEV_FB_TOTAL).", 0},
        {"membudget_device_free_bytes", "Device memory an engine can still get, in bytes "
                                        "(DCGM_FI_DEV_FB_FREE; bounded by the container).", 1},
        {"membudget_device_used_bytes", "Device memory in use (total - free), in bytes "
                                        "(DCGM_FI_DEV_FB_USED).", 2},
        {"membudget_device_limit_bytes", "The container limit that bounded free, in bytes "
                                         "(absent when none).", 3},
    };
    for (size_t f = 0; f < sizeof fams / sizeof *fams; f++) {
        family(b, fams[f].name, "gauge", fams[f].help);
        for (int i = 0; i < n; i++) {
            if (!rows[i].ok)
                continue;
            const mb_snapshot *s = &rows[i].s;
            int64_t v = fams[f].which == 0   ? s->total_memory
                        : fams[f].which == 1 ? s->free_memory
                        : fams[f].which == 2 ? s->device_memory
                                             : s->limit;
            if (v == MB_UNKNOWN || (fams[f].which == 3 && v == MB_UNLIMITED))
                continue;
            put(b, "%s{%s,source=\"%s\"} %lld\n", fams[f].name, rows[i].labels,
                mb_source_name(s->source), (long long)v);
        }
    }
    family(b, "membudget_device_errors", "gauge", "Devices that could not be measured now.");
    put(b, "membudget_device_errors %d\n", errors);

    mb_host_memory h;
    if (mb_host_memory_get(ctx, &h) == MB_OK) {
        family(b, "membudget_host_memory_total_bytes", "gauge", "/proc/meminfo MemTotal.");
        put(b, "membudget_host_memory_total_bytes %lld\n", (long long)h.total);
        family(b, "membudget_host_memory_available_bytes", "gauge",
               "/proc/meminfo MemAvailable.");
        put(b, "membudget_host_memory_available_bytes %lld\n", (long long)h.available);
    }
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    if (mb_container_memory_get(ctx, &c) == MB_OK && c.version) {
        char ep[300];
        esc(c.path, ep, sizeof ep);
        if (c.limit != MB_UNLIMITED && c.limit != MB_UNKNOWN) {
            family(b, "membudget_container_limit_bytes", "gauge",
                   "Smallest memory limit of this process's cgroup and its ancestors.");
            put(b, "membudget_container_limit_bytes{cgroup=\"%s\"} %lld\n", ep,
                (long long)c.limit);
        }
        if (c.usage != MB_UNKNOWN) {
            family(b, "membudget_container_usage_bytes", "gauge",
                   "memory.current (v2) or memory.usage_in_bytes (v1) of the cgroup.");
            put(b, "membudget_container_usage_bytes{cgroup=\"%s\"} %lld\n", ep,
                (long long)c.usage);
        }
    }
    mb_psi p = MB_PSI_INIT;
    if (mb_psi_read(ctx, NULL, &p) == MB_OK) {
        family(b, "membudget_memory_pressure_ratio", "gauge",
               "PSI memory pressure: share of time stalled over the window (0..1).");
        const char *win[3] = {"10s", "60s", "300s"};
        double some[3] = {p.some_avg10, p.some_avg60, p.some_avg300};
        double full[3] = {p.full_avg10, p.full_avg60, p.full_avg300};
        for (int k = 0; k < 3; k++)
            put(b, "membudget_memory_pressure_ratio{kind=\"some\",window=\"%s\"} %.4f\n",
                win[k], some[k] / 100);
        for (int k = 0; k < 3 && full[k] >= 0; k++)
            put(b, "membudget_memory_pressure_ratio{kind=\"full\",window=\"%s\"} %.4f\n",
                win[k], full[k] / 100);
        family(b, "membudget_memory_pressure_stalled_seconds_total", "counter",
               "PSI memory stall time since boot.");
        put(b, "membudget_memory_pressure_stalled_seconds_total{kind=\"some\"} %.6f\n",
            (double)p.some_total_us / 1e6);
        if (p.full_total_us != MB_UNKNOWN)
            put(b, "membudget_memory_pressure_stalled_seconds_total{kind=\"full\"} %.6f\n",
                (double)p.full_total_us / 1e6);
    }
    if (with_processes) {
        mb_process_list *l;
        if (mb_process_list_init(&l, ctx, -1) == MB_OK) {
            family(b, "membudget_process_device_bytes", "gauge",
                   "Device memory a process holds, by source (DCGM has no per-process "
                   "field; nvidia-smi's process table).");
            int unknown = 0;
            for (int k = 0; k < mb_process_list_count(l); k++) {
                const mb_process *q = mb_process_list_get_entry(l, k);
                if (q->bytes == MB_UNKNOWN) {
                    unknown++;
                    continue;
                }
                char en[160];
                put(b, "membudget_process_device_bytes{device=\"%s\",pid=\"%lld\","
                       "host_pid=\"%lld\",name=\"%s\",source=\"%s\"} %lld\n",
                    q->device, (long long)q->pid, (long long)q->source_pid,
                    esc(q->name, en, sizeof en), mb_process_source_name(q->source),
                    (long long)q->bytes);
            }
            family(b, "membudget_process_unknown", "gauge",
                   "Processes listed whose bytes could not be read or were not available.");
            put(b, "membudget_process_unknown %d\n", unknown);
            mb_process_list_free(l);
        }
    }
    free(rows);
    return b->oom ? MB_ENOMEM : MB_OK;
}

void metrics_buf_free(metrics_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
