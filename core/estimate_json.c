/*
 * core/estimate_json.c: the config.json lookups the estimate's parsers share
 * (estimate_config.c, estimate_quant.c, estimate_towers.c): a key that is absent or null is
 * NULL, a number outside [0, 1e12) is no number.
 */
#include <cjson/cJSON.h>

#include "estimate.h"

const cJSON *mb__est_item(const cJSON *o, const char *key)
{
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* The first of keys that is a non-negative number, as int64 (0 when none). */
int64_t mb__est_num_of(const cJSON *o, const char *const *keys)
{
    for (; *keys; keys++) {
        const cJSON *v = mb__est_item(o, *keys);
        if (v && cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12)
            return (int64_t)v->valuedouble;
    }
    return 0;
}

const char *mb__est_str(const cJSON *o, const char *key)
{
    const cJSON *v = mb__est_item(o, key);
    return v && cJSON_IsString(v) ? v->valuestring : NULL;
}
