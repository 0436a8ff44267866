/* Fuzz target: a config.json through the estimate (issue 15): parsed, counted and planned
 * on a what-if H100 at TP 1 and 2. Invariants: a failed parse says why; a part is either
 * known with low <= bytes <= high or unknown with a reason; the KV range is ordered; the
 * verdict is one of the three. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"
#include "membudget/vllm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_part(const mb_estimate_part *p)
{
    if (p->source == MB_EST_UNKNOWN) {
        if (p->bytes != MB_UNKNOWN || !p->reason[0])
            abort(); /* never a silent zero */
    } else if (!(p->low <= p->bytes && p->bytes <= p->high) || p->bytes < 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mb_arch *a = NULL;
    int rc = mb_arch_parse((const char *)data, size, "fuzz/config.json", &a);
    if (rc != MB_OK) {
        if (mb_error_detail()[0] == '\0' || a)
            abort();
        return 0;
    }
    mb_estimate_device d;
    if (mb_estimate_device_find("H100", &d))
        abort();
    for (int tp = 1; tp <= 2; tp++) {
        mb_estimate_options o = MB_ESTIMATE_OPTIONS_INIT;
        o.tensor_parallel_size = tp;
        o.max_model_len = 4096;
        mb_estimate e = MB_ESTIMATE_INIT;
        rc = mb_estimate_compute(a, &d, &o, &e);
        if (rc != MB_OK) {
            if (mb_error_detail()[0] == '\0')
                abort();
            continue;
        }
        check_part(&e.weights);
        check_part(&e.activation);
        check_part(&e.non_torch);
        check_part(&e.cudagraph);
        if (e.available_kv_cache_memory != MB_UNKNOWN &&
            !(e.available_kv_cache_memory_low <= e.available_kv_cache_memory &&
              e.available_kv_cache_memory <= e.available_kv_cache_memory_high))
            abort();
        if (e.verdict != MB_EST_FITS && e.verdict != MB_EST_MAY_NOT_FIT &&
            e.verdict != MB_EST_DOES_NOT_FIT)
            abort();
        if (strlen(e.verdict_text) == 0)
            abort();
    }
    mb_arch_free(a);
    return 0;
}
