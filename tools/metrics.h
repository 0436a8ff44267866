/* tools/metrics.h: the Prometheus text exposition of membudget's figures (issue 18),
 * shared by `membudget metrics` and `membudget serve`. */
#ifndef MB_TOOLS_METRICS_H
#define MB_TOOLS_METRICS_H

#include <stddef.h>

#include "membudget.h"

typedef struct metrics_buf {
    char *data;
    size_t len, cap;
    int oom;
} metrics_buf;

/* Renders every metric into b (grown with realloc; b->oom on failure). with_processes:
 * the per-process series too. Returns 0, or a library error code (the detail says why);
 * a device that cannot be measured is counted in membudget_device_errors instead. */
int metrics_render(mb_context *ctx, int with_processes, metrics_buf *b);
void metrics_buf_free(metrics_buf *b);

#endif
