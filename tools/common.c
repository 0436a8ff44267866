/* tools/common.c: errors, JSON output and the context for every subcommand. */
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_fail_rc(int rc, const char *what)
{
    const char *d = cli_detail();
    fprintf(stderr, "membudget: %s: %s%s%s\n", what, mb_error_message(rc), d[0] ? ": " : "", d);
    return CLI_FAIL;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("membudget: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "membudget %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'membudget %s --help')\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

int cli_context(mb_context **ctx)
{
    int rc = mb_context_init(ctx, NULL);
    if (rc)
        return cli_fail_rc(rc, "cannot create a context");
    return CLI_OK;
}

int cli_print_json(cJSON *json)
{
    cli_json_clean(json);
    char *text = json ? cJSON_Print(json) : NULL;
    cJSON_Delete(json);
    if (!text)
        return cli_fail("out of memory while writing JSON");
    int ok = puts(text) >= 0 && fflush(stdout) == 0;
    free(text);
    return ok ? CLI_OK : cli_fail("cannot write to standard output");
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 when the bytes there are not one
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    int n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!n)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong, or a UTF-16 surrogate */
    if (n == 4 && ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90)))
        return 0; /* overlong, or above U+10FFFF */
    return n;
}

/* text as valid UTF-8 (each bad byte U+FFFD), in cJSON's heap; NULL when out of memory */
static char *utf8_clean(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text), out = 0;
    char *clean = cJSON_malloc(len * 3 + 1);
    if (!clean)
        return NULL;
    for (size_t i = 0; i < len;) {
        int n = utf8_len(s + i);
        if (n) {
            memcpy(clean + out, s + i, (size_t)n);
            out += (size_t)n;
            i += (size_t)n;
        } else {
            memcpy(clean + out, "\xef\xbf\xbd", 3); /* U+FFFD for one bad byte */
            out += 3;
            i++;
        }
    }
    clean[out] = '\0';
    return clean;
}

static int is_utf8(const char *text)
{
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        int n = utf8_len(s);
        if (!n)
            return 0;
        s += n;
    }
    return 1;
}

void cli_json_text(cJSON *obj, const char *key, const char *text)
{
    char *clean = utf8_clean(text ? text : "");
    cJSON_AddStringToObject(obj, key, clean ? clean : "");
    cJSON_free(clean);
}

void cli_json_clean(cJSON *item)
{
    for (; item; item = item->next) {
        if (item->string && !(item->type & cJSON_StringIsConst) && !is_utf8(item->string)) {
            char *clean = utf8_clean(item->string);
            if (clean) {
                cJSON_free(item->string);
                item->string = clean;
            }
        }
        if (cJSON_IsString(item) && item->valuestring && !is_utf8(item->valuestring)) {
            char *clean = utf8_clean(item->valuestring);
            if (clean) {
                cJSON_free(item->valuestring);
                item->valuestring = clean;
            }
        }
        cli_json_clean(item->child);
    }
}

void cli_json_bytes(cJSON *obj, const char *key, int64_t bytes)
{
    /* the sentinels, one way each everywhere (docs/json.md) */
    if (bytes == MB_UNKNOWN) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    if (bytes == MB_UNLIMITED) {
        cJSON_AddStringToObject(obj, key, "unlimited");
        return;
    }
    /* the exact integer: a double (cJSON's numbers) loses bytes above 2^53 and cJSON
     * prints values from 1e15 up in exponent form */
    char digits[24];
    snprintf(digits, sizeof digits, "%lld", (long long)bytes);
    cJSON_AddRawToObject(obj, key, digits);
}

const char *cli_gib(int64_t bytes, char *buf, size_t size)
{
    if (bytes == MB_UNLIMITED)
        snprintf(buf, size, "unlimited");
    else if (bytes == MB_UNKNOWN)
        snprintf(buf, size, "unknown");
    else
        snprintf(buf, size, "%.2f GiB", (double)bytes / (double)MB_GiB);
    return buf;
}

cJSON *cli_snapshot_json(const mb_snapshot *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cli_json_text(o, "device", s->device);
    cli_json_bytes(o, "total_memory", s->total_memory);
    cli_json_bytes(o, "free_memory", s->free_memory);
    cli_json_bytes(o, "used_memory", s->device_memory);
    cli_json_bytes(o, "torch_peak", s->torch_peak);
    cli_json_bytes(o, "torch_memory", s->torch_memory);
    cli_json_bytes(o, "non_torch_memory", s->non_torch_memory);
    cli_json_text(o, "source", mb_source_name(s->source));
    cli_json_bytes(o, "driver_free_memory", s->driver_free);
    if (s->limit == MB_UNLIMITED)
        cli_json_text(o, "container_limit", "unlimited");
    else
        cli_json_bytes(o, "container_limit", s->limit);
    cJSON_AddBoolToObject(o, "clamped", (s->flags & MB_SNAP_CLAMPED) != 0);
    cJSON_AddBoolToObject(o, "limited_by_container", (s->flags & MB_SNAP_LIMITED) != 0);
    cJSON_AddBoolToObject(o, "host_fallback", (s->flags & MB_SNAP_HOST_FALLBACK) != 0);
    cJSON_AddNumberToObject(o, "timestamp", s->timestamp);
    char text[512];
    mb_snapshot_format(s, text, sizeof text);
    cli_json_text(o, "repr", text);
    return o;
}

int cli_parse_long(const char *cmd, const char *flag, const char *v, long min, long max,
                   long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max)
        return cli_usage(cmd, "%s '%s': give a whole number from %ld to %ld", flag, v, min, max);
    *out = n;
    return CLI_OK;
}
