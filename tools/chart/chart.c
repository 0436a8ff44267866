/* tools/chart/chart.c: the chart model, the kinds' names and colours, sizes as text, and
 * the UTF-8 reader every renderer uses to keep hostile bytes out of its output. */
#include <stdlib.h>
#include <string.h>

#include "chart.h"

/* Colours: the Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008), which
 * stays distinguishable with the common colour-vision deficiencies, plus greys for what is
 * not the engine's. */
static const struct {
    const char *name, *key;
    uint32_t rgb;
} kinds[CHART_KIND_COUNT] = {
    [CHART_OTHER] = {"other tenants", "other", 0x999999},
    [CHART_WEIGHTS] = {"weights", "weights", 0x0072B2},
    [CHART_ACTIVATION] = {"activation peak", "activation", 0xE69F00},
    [CHART_NON_TORCH] = {"non-torch", "non_torch", 0xD55E00},
    [CHART_NON_KV] = {"non-KV", "non_kv", 0xCC79A7},
    [CHART_CUDAGRAPH] = {"CUDA graphs", "cudagraph", 0x56B4E9},
    [CHART_KV] = {"KV cache", "kv", 0x009E73},
    [CHART_UNUSED] = {"KV remainder", "unused", 0xF0E442},
    [CHART_FREE] = {"free", "free", 0xFFFFFF},
    [CHART_HEADROOM] = {"headroom", "headroom", 0xDDDDDD},
};

const char *chart_kind_name(chart_kind k)
{
    return (unsigned)k < CHART_KIND_COUNT ? kinds[k].name : "?";
}

const char *chart_kind_key(chart_kind k)
{
    return (unsigned)k < CHART_KIND_COUNT ? kinds[k].key : "unknown";
}

uint32_t chart_kind_rgb(chart_kind k)
{
    return (unsigned)k < CHART_KIND_COUNT ? kinds[k].rgb : 0x000000;
}

const char *chart_part_label(const chart_part *p)
{
    return p->label[0] ? p->label : chart_kind_name(p->kind);
}

void chart_init(chart *c)
{
    memset(c, 0, sizeof *c);
}

void chart_free(chart *c)
{
    free(c->bars);
    chart_init(c);
}

static void copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

chart_bar *chart_add_bar(chart *c, const char *name, int64_t total)
{
    if (total <= 0)
        return NULL;
    if (c->nbars == c->cap) {
        int cap = c->cap ? c->cap * 2 : 4;
        chart_bar *b = realloc(c->bars, (size_t)cap * sizeof *b);
        if (!b)
            return NULL;
        c->bars = b;
        c->cap = cap;
    }
    chart_bar *b = &c->bars[c->nbars++];
    memset(b, 0, sizeof *b);
    copy(b->name, sizeof b->name, name);
    b->total = total;
    return b;
}

int chart_add_part(chart_bar *b, chart_kind kind, int64_t bytes, const char *label)
{
    if (b->nparts >= CHART_MAX_PARTS || (unsigned)kind >= CHART_KIND_COUNT)
        return -1;
    chart_part *p = &b->parts[b->nparts++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->bytes = bytes > 0 ? bytes : 0;
    p->low = p->high = CHART_NO_RANGE;
    copy(p->label, sizeof p->label, label);
    return 0;
}

int chart_set_range(chart_bar *b, int64_t low, int64_t high)
{
    if (b->nparts < 1)
        return -1;
    chart_part *p = &b->parts[b->nparts - 1];
    if (low < 0 || low > p->bytes || high < p->bytes)
        return -1;
    p->low = low;
    p->high = high;
    return 0;
}

int64_t chart_bar_sum(const chart_bar *b)
{
    int64_t s = 0;
    for (int i = 0; i < b->nparts; i++)
        s += b->parts[i].bytes;
    return s;
}

#define KiB 1024.0
#define MiB (1024.0 * 1024.0)
#define GiB (1024.0 * 1024.0 * 1024.0)

const char *chart_fmt_size(int64_t bytes, char *buf, size_t size)
{
    double v = (double)bytes;
    if (v >= GiB - 0.005 * GiB)
        snprintf(buf, size, "%.2f GiB", v / GiB);
    else if (v >= MiB - 0.05 * MiB)
        snprintf(buf, size, "%.1f MiB", v / MiB);
    else if (v >= KiB - 0.05 * KiB)
        snprintf(buf, size, "%.1f KiB", v / KiB);
    else
        snprintf(buf, size, "%lld B", (long long)bytes);
    return buf;
}

const char *chart_fmt_range(int64_t low, int64_t high, int ascii, char *buf, size_t size)
{
    const char *dash = ascii ? "-" : "\xe2\x80\x93"; /* U+2013 EN DASH */
    double h = (double)high;
    if (h >= GiB - 0.005 * GiB)
        snprintf(buf, size, "%.2f%s%.2f GiB", (double)low / GiB, dash, h / GiB);
    else if (h >= MiB - 0.05 * MiB)
        snprintf(buf, size, "%.1f%s%.1f MiB", (double)low / MiB, dash, h / MiB);
    else
        snprintf(buf, size, "%lld%s%lld B", (long long)low, dash, (long long)high);
    return buf;
}

size_t chart_utf8_next(const char *str, size_t len, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    uint32_t v;
    size_t n;
    *cp = 0xFFFD;
    if (c < 0x80) {
        if (c >= 0x20 && c != 0x7F)
            *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 1; /* a continuation byte, an overlong lead (C0, C1) or above F4 */
    if (len < n)
        return 1;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* overlong forms, UTF-16 surrogates and code points above U+10FFFF are not UTF-8 */
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 1;
    if (v >= 0x80 && v <= 0x9F) /* C1 controls */
        return n;
    *cp = v;
    return n;
}
