/* tools/cluster_doc.c: the cluster document (docs/cluster.md, "The document"). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_doc.h"

static int num(const cJSON *o, const char *key, int64_t *out, int null_is, char *why,
               size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNull(v) && null_is) {
        *out = MB_UNKNOWN;
        return 0;
    }
    if (!cJSON_IsNumber(v)) {
        snprintf(why, size, "\"%s\" is missing or not a number", key);
        return -1;
    }
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int flag(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int cli_snapshot_from_json(const cJSON *o, mb_snapshot *s, char *why, size_t size)
{
    memset(s, 0, sizeof *s);
    if (!cJSON_IsObject(o)) {
        snprintf(why, size, "a snapshot is not a JSON object");
        return -1;
    }
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(o, "device");
    if (!cJSON_IsString(dev) || strlen(dev->valuestring) >= sizeof s->device) {
        snprintf(why, size, "\"device\" is missing, not a string or too long");
        return -1;
    }
    strcpy(s->device, dev->valuestring);
    if (num(o, "total_memory", &s->total_memory, 1, why, size) ||
        num(o, "free_memory", &s->free_memory, 1, why, size) ||
        num(o, "used_memory", &s->device_memory, 1, why, size) ||
        num(o, "torch_peak", &s->torch_peak, 1, why, size) ||
        num(o, "torch_memory", &s->torch_memory, 1, why, size) ||
        num(o, "non_torch_memory", &s->non_torch_memory, 1, why, size) ||
        num(o, "driver_free_memory", &s->driver_free, 1, why, size))
        return -1;
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(o, "container_limit");
    if (cJSON_IsString(lim) && strcmp(lim->valuestring, "unlimited") == 0)
        s->limit = MB_UNLIMITED;
    else if (num(o, "container_limit", &s->limit, 1, why, size))
        return -1;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source");
    s->source = MB_SOURCE_NONE;
    for (int i = 0; cJSON_IsString(src) && i <= MB_SOURCE_VALUES; i++)
        if (strcmp(mb_source_name((mb_source)i), src->valuestring) == 0)
            s->source = (mb_source)i;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "timestamp");
    s->timestamp = cJSON_IsNumber(ts) ? ts->valuedouble : 0;
    s->flags = (flag(o, "clamped") ? MB_SNAP_CLAMPED : 0u) |
               (flag(o, "limited_by_container") ? MB_SNAP_LIMITED : 0u) |
               (flag(o, "host_fallback") ? MB_SNAP_HOST_FALLBACK : 0u);
    /* the platform is the device name's backend in vLLM's words */
    snprintf(s->platform, sizeof s->platform, "%s",
             strncmp(s->device, "hip:", 4) == 0    ? "rocm"
             : strncmp(s->device, "cuda:", 5) == 0 ? "cuda"
                                                   : "cpu");
    return 0;
}

static int read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return buf[0] ? 0 : -1;
}

void cli_host_name(char *buf, size_t size)
{
    char self[256] = "";
    if (gethostname(self, sizeof self - 1) != 0)
        snprintf(self, sizeof self, "unknown");
    const char *root = getenv("MEMBUDGET_SYSROOT");
    if (!root || !root[0] || strcmp(root, "/") == 0) {
        snprintf(buf, size, "%s", self);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/etc/hostname", root);
    if (read_line(path, buf, size) == 0)
        return;
    snprintf(path, sizeof path, "%s/proc/sys/kernel/hostname", root);
    if (read_line(path, buf, size) == 0)
        return;
    size_t len = strlen(root);
    while (len > 1 && root[len - 1] == '/')
        len--;
    const char *base = root + len;
    while (base > root && base[-1] != '/')
        base--;
    snprintf(buf, size, "%s:%.*s", self, (int)(root + len - base), base);
}

static cJSON *rank_json(const mb_rank_record *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "rank", r->rank);
    cJSON_AddStringToObject(o, "host", r->host);
    cJSON_AddNumberToObject(o, "group", r->group);
    cJSON_AddNumberToObject(o, "stage", r->stage);
    if (r->what & MB_RECORD_SNAPSHOT) {
        cJSON *s = cli_snapshot_json(&r->snapshot);
        cJSON *it = s ? s->child : NULL;
        while (it) { /* the snapshot's fields, flat in the rank's object */
            cJSON *next = it->next;
            cJSON_AddItemToObject(o, it->string, cJSON_DetachItemViaPointer(s, it));
            it = next;
        }
        cJSON_Delete(s);
    }
    if (r->what & MB_RECORD_PLAN) {
        cJSON *p = cJSON_AddObjectToObject(o, "plan");
        cli_json_bytes(p, "requested_memory", r->requested_memory);
        cli_json_bytes(p, "non_kv_memory", r->non_kv_memory);
        cli_json_bytes(p, "cudagraph_memory", r->cudagraph_memory);
        cli_json_bytes(p, "available_kv_cache_memory", r->available_kv_cache_memory);
        cli_json_bytes(p, "block_bytes", r->block_bytes);
        cJSON_AddNumberToObject(p, "num_blocks", (double)r->num_blocks);
        cJSON_AddBoolToObject(p, "startup_ok", r->startup_ok);
        cJSON_AddBoolToObject(p, "fits", r->fits);
    }
    return o;
}

cJSON *cli_cluster_doc(const mb_rank_record *all, int n, const mb_agreement *a)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddNumberToObject(root, "world_size", n);
    if (a->num_blocks != MB_UNKNOWN) {
        cJSON_AddNumberToObject(root, "group", a->group);
        cJSON_AddNumberToObject(root, "num_blocks", (double)a->num_blocks);
        cJSON_AddNumberToObject(root, "limiting_rank", a->limiting_rank);
        cJSON_AddStringToObject(root, "limiting_host", a->limiting_host);
        cJSON_AddStringToObject(root, "limiting_device", a->limiting_device);
        cJSON_AddStringToObject(root, "limit_reason", mb_limit_reason_name(a->why));
        cJSON_AddStringToObject(root, "reason", a->reason);
        cJSON_AddNumberToObject(root, "max_num_blocks", (double)a->max_num_blocks);
        cJSON_AddBoolToObject(root, "all_startup_ok", a->all_startup_ok);
    }
    cJSON *ranks = cJSON_AddArrayToObject(root, "ranks");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(ranks, rank_json(&all[i]));
    cJSON *t = cJSON_AddObjectToObject(root, "totals");
    cJSON_AddNumberToObject(t, "ranks", n);
    cJSON_AddNumberToObject(t, "hosts", a->hosts);
    cJSON_AddNumberToObject(t, "devices", a->devices);
    cli_json_bytes(t, "total_memory", a->total_memory);
    cli_json_bytes(t, "free_memory", a->free_memory);
    cli_json_bytes(t, "min_free_memory", a->min_free_memory);
    cJSON_AddNumberToObject(t, "min_free_rank", a->min_free_rank);
    return root;
}

void cli_cluster_text(const mb_rank_record *all, int n, const mb_agreement *a)
{
    char t[32], f[32];
    for (int i = 0; i < n; i++) {
        const mb_rank_record *r = &all[i];
        printf("rank %-4d %-24s %-8s total %s, free %s", r->rank, r->host, r->snapshot.device,
               cli_gib(r->snapshot.total_memory, t, sizeof t),
               cli_gib(r->snapshot.free_memory, f, sizeof f));
        if (r->what & MB_RECORD_PLAN)
            printf(", %lld blocks%s", (long long)r->num_blocks,
                   r->startup_ok ? "" : " (fails the start-up check)");
        printf("\n");
    }
    printf("totals    %d ranks, %d hosts, %d devices: total %s, free %s\n", n, a->hosts,
           a->devices, cli_gib(a->total_memory, t, sizeof t),
           cli_gib(a->free_memory, f, sizeof f));
    if (a->num_blocks != MB_UNKNOWN)
        printf("agreed    %lld blocks: %s\n", (long long)a->num_blocks, a->reason);
}
