/* tools/chart/chart_scene.c: the layout of the file pictures. From the top: the title
 * (model and device), the subtitle, one bar per device or rank (the frame is the device's
 * total, the parts stacked in order, a whisker for each range, the limiting bar marked),
 * then a table of the parts with their sizes, shares and ranges, then the footer. Sizes are
 * in px and chosen to be read at 600 px wide. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "chart_scene.h"

#define M 16.0          /* margin */
#define BAR_H 26.0
#define ROW_H 18.0
#define CHAR_W 0.56     /* DejaVu Sans: an average glyph is about 0.55 em wide */
#define DIGIT_W 0.64    /* and a digit 0.636 em (its hmtx advance, 1303 of 2048 units) */
#define INK 0x222222
#define GREY 0x666666
#define LIMIT_RED 0xC00000
#define MAX_COLUMNS 4   /* bars beyond this many: sizes in the bars and tooltips only */

char *chart__clean(const char *s, int max)
{
    size_t len = s ? strlen(s) : 0;
    char *out = malloc(len * 3 + 4); /* one bad byte becomes three (U+FFFD) */
    if (!out)
        return NULL;
    size_t o = 0;
    int n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = chart_utf8_next(s + i, len - i, &cp);
        if (n == max - 1 && i + k < len) {
            memcpy(out + o, "\xe2\x80\xa6", 3); /* U+2026 */
            o += 3;
            break;
        }
        if (n >= max)
            break;
        if (cp == 0xFFFD && !(k == 3 && memcmp(s + i, "\xef\xbf\xbd", 3) == 0)) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
        n++;
    }
    out[o] = '\0';
    return out;
}

static chart_prim *add(chart_scene *s, prim_type t, const char *cls)
{
    if (s->oom)
        return NULL;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 64;
        chart_prim *p = realloc(s->prims, (size_t)cap * sizeof *p);
        if (!p) {
            s->oom = 1;
            return NULL;
        }
        s->prims = p;
        s->cap = cap;
    }
    chart_prim *p = &s->prims[s->n++];
    memset(p, 0, sizeof *p);
    p->type = t;
    p->cls = cls;
    p->fill = p->stroke = PRIM_NONE;
    return p;
}

static chart_prim *rect(chart_scene *s, const char *cls, double x, double y, double w, double h,
                        int64_t fill, int64_t stroke, double sw)
{
    chart_prim *p = add(s, PRIM_RECT, cls);
    if (p) {
        p->x = x, p->y = y, p->w = w, p->h = h;
        p->fill = fill, p->stroke = stroke, p->stroke_width = sw;
    }
    return p;
}

static chart_prim *line(chart_scene *s, const char *cls, double x1, double y1, double x2,
                        double y2, int64_t stroke, double sw)
{
    chart_prim *p = add(s, PRIM_LINE, cls);
    if (p) {
        p->x = x1, p->y = y1, p->w = x2 - x1, p->h = y2 - y1;
        p->stroke = stroke, p->stroke_width = sw;
    }
    return p;
}

/* Text of at most max code points (cut with an ellipsis). */
static chart_prim *text(chart_scene *s, const char *cls, double x, double y, double size,
                        int anchor, int64_t fill, const char *str, int max)
{
    chart_prim *p = add(s, PRIM_TEXT, cls);
    if (!p)
        return NULL;
    p->x = x, p->y = y, p->size = size, p->anchor = anchor, p->fill = fill;
    if (!(p->text = chart__clean(str, max)))
        s->oom = 1;
    return p;
}

static void data(chart_prim *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void data(chart_prim *p, const char *fmt, ...)
{
    if (!p)
        return;
    size_t n = strlen(p->data);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->data + n, sizeof p->data - n, fmt, ap);
    va_end(ap);
}

static int chars_for(double px, double size)
{
    int n = (int)(px / (size * CHAR_W));
    return n < 1 ? 1 : n;
}

static int visible(const chart_part *p)
{
    return p->bytes > 0 || (p->low != CHART_NO_RANGE && p->high > 0);
}

/* Black or white, whichever reads better on rgb (relative luminance, sRGB weights). */
static int64_t ink_on(uint32_t rgb)
{
    double l = 0.2126 * (rgb >> 16 & 0xFF) + 0.7152 * (rgb >> 8 & 0xFF) + 0.0722 * (rgb & 0xFF);
    return l > 140 ? 0x000000 : 0xFFFFFF;
}

static void range_attrs(chart_prim *p, const chart_part *part)
{
    if (part->low != CHART_NO_RANGE)
        data(p, " data-low=\"%lld\" data-high=\"%lld\"", (long long)part->low,
             (long long)part->high);
}

static void one_bar(chart_scene *s, const chart_bar *b, int bi, double x0, double x1,
                    double y, double nw)
{
    int64_t sum = chart_bar_sum(b), scale = sum > b->total ? sum : b->total;
    double k = (x1 - x0) / (double)scale;
    chart_prim *t = text(s, "bar-name", M, y + BAR_H / 2 + 4, 12, 0, INK, b->name,
                         chars_for(nw - 6, 12));
    if (t) {
        t->bold = b->limiting;
        data(t, " data-bar=\"%d\"", bi);
    }
    if (b->limiting) {
        t = text(s, "limiting", M, y + BAR_H + 10, 10, 0, LIMIT_RED, "limiting",
                 chars_for(nw, 10));
        data(t, " data-bar=\"%d\"", bi);
    }
    double at = x0;
    int64_t cum = 0;
    for (int i = 0; i < b->nparts; i++) {
        const chart_part *p = &b->parts[i];
        double w = (double)p->bytes * k;
        if (p->bytes > 0) {
            uint32_t rgb = chart_kind_rgb(p->kind);
            chart_prim *r = rect(s, "part", at, y, w, BAR_H, rgb, PRIM_NONE, 0);
            char sz[32], rg[64], tip[CHART_NAME_MAX + 128];
            chart_fmt_size(p->bytes, sz, sizeof sz);
            if (p->low != CHART_NO_RANGE)
                snprintf(tip, sizeof tip, "%s: %s (range %s)", chart_part_label(p), sz,
                         chart_fmt_range(p->low, p->high, 0, rg, sizeof rg));
            else
                snprintf(tip, sizeof tip, "%s: %s", chart_part_label(p), sz);
            if (r) {
                data(r, " data-bar=\"%d\" data-part=\"%s\" data-bytes=\"%lld\"", bi,
                     chart_kind_key(p->kind), (long long)p->bytes);
                range_attrs(r, p);
                if (!(r->tip = chart__clean(tip, 200)))
                    s->oom = 1;
            }
            /* the size inside the part when it fits */
            double tw = (double)strlen(sz) * 11 * DIGIT_W + 8;
            if (w >= tw) {
                chart_prim *l = text(s, "in-bar", at + w / 2, y + BAR_H / 2 + 4, 11, 1,
                                     ink_on(rgb), sz, 32);
                data(l, " data-bar=\"%d\" data-part=\"%s\"", bi, chart_kind_key(p->kind));
            }
        }
        if (p->low != CHART_NO_RANGE) { /* the whisker, at the part's end */
            double lo = x0 + (double)(cum + p->low) * k, hi = x0 + (double)(cum + p->high) * k;
            double cy = y + BAR_H / 2;
            chart_prim *h = line(s, "whisker", lo, cy, hi, cy, INK, 1.5);
            data(h, " data-bar=\"%d\" data-part=\"%s\"", bi, chart_kind_key(p->kind));
            range_attrs(h, p);
            line(s, "whisker-cap", lo, cy - 6, lo, cy + 6, INK, 1.5);
            line(s, "whisker-cap", hi, cy - 6, hi, cy + 6, INK, 1.5);
        }
        at += w;
        cum += p->bytes;
    }
    /* the frame: the device's total */
    chart_prim *f = rect(s, "frame", x0, y, (double)b->total * k, BAR_H, PRIM_NONE,
                         b->limiting ? LIMIT_RED : INK, b->limiting ? 2.5 : 1.2);
    data(f, " data-bar=\"%d\" data-bytes=\"%lld\"", bi, (long long)b->total);
    if (sum > b->total) {
        chart_prim *o = line(s, "over", x0 + (double)b->total * k, y - 4,
                             x0 + (double)b->total * k, y + BAR_H + 4, LIMIT_RED, 2);
        if (o)
            o->dashed = 1;
    }
}

/* One row of the table per (kind, label) in the order the bars first have it. */
typedef struct row {
    chart_kind kind;
    const char *label;
} row;

static int find_part(const chart_bar *b, const row *r)
{
    for (int i = 0; i < b->nparts; i++)
        if (b->parts[i].kind == r->kind && strcmp(chart_part_label(&b->parts[i]), r->label) == 0)
            return i;
    return -1;
}

static double table(chart_scene *s, const chart *c, double y)
{
    double W = s->width;
    int nr = 0, cols = c->nbars <= MAX_COLUMNS ? c->nbars : 0;
    row *rows = malloc(sizeof *rows * (size_t)(c->nbars * CHART_MAX_PARTS + 1));
    if (!rows) {
        s->oom = 1;
        return y;
    }
    for (int b = 0; b < c->nbars; b++)
        for (int i = 0; i < c->bars[b].nparts; i++) {
            const chart_part *p = &c->bars[b].parts[i];
            row r = {p->kind, chart_part_label(p)};
            int seen = 0;
            for (int j = 0; j < nr && !seen; j++)
                seen = rows[j].kind == r.kind && strcmp(rows[j].label, r.label) == 0;
            if (!seen && visible(p))
                rows[nr++] = r;
        }
    double lx = M + 18, single = cols == 1;
    double col0 = single ? W * 0.55 : W * 0.42, cw = cols ? (W - M - col0) / cols : 0;
    int label_chars = chars_for((single ? col0 - 80 : col0 - 10) - lx, 12);
    if (cols > 1) { /* the bars' names over the columns */
        for (int b = 0; b < cols; b++) {
            chart_prim *t = text(s, "column", col0 + cw * (b + 1), y + 12, 11, 2, GREY,
                                 c->bars[b].name, chars_for(cw - 4, 11));
            if (t)
                t->bold = c->bars[b].limiting;
            data(t, " data-bar=\"%d\"", b);
        }
        y += ROW_H;
    }
    for (int j = 0; j < nr; j++) {
        const row *r = &rows[j];
        int ranged = 0;
        uint32_t rgb = chart_kind_rgb(r->kind);
        rect(s, "swatch", M, y + 2, 12, 12, rgb, 0x555555, 0.8);
        chart_prim *t = text(s, "label", lx, y + 12, 12, 0, INK, r->label, label_chars);
        data(t, " data-part=\"%s\"", chart_kind_key(r->kind));
        for (int b = 0; b < cols; b++) {
            int i = find_part(&c->bars[b], r);
            if (i < 0)
                continue;
            const chart_part *p = &c->bars[b].parts[i];
            char sz[32], rg[64], pc[16];
            double right = single ? col0 : col0 + cw * (b + 1);
            t = text(s, "size", right, y + 12, 12, 2, INK, chart_fmt_size(p->bytes, sz,
                                                                           sizeof sz), 32);
            data(t, " data-bar=\"%d\" data-part=\"%s\" data-bytes=\"%lld\"", b,
                 chart_kind_key(p->kind), (long long)p->bytes);
            if (single) {
                snprintf(pc, sizeof pc, "%.1f%%", 100.0 * (double)p->bytes /
                                                      (double)c->bars[b].total);
                t = text(s, "share", col0 + 56, y + 12, 12, 2, GREY, pc, 16);
                data(t, " data-bar=\"%d\" data-part=\"%s\"", b, chart_kind_key(p->kind));
            }
            if (p->low != CHART_NO_RANGE) {
                chart_fmt_range(p->low, p->high, 0, rg, sizeof rg);
                t = single ? text(s, "range", col0 + 68, y + 12, 12, 0, GREY, rg, 40)
                           : text(s, "range", right, y + 12 + 12, 10, 2, GREY, rg,
                                  chars_for(cw, 10));
                data(t, " data-bar=\"%d\" data-part=\"%s\"", b, chart_kind_key(p->kind));
                range_attrs(t, p);
                ranged = 1;
            }
        }
        y += ROW_H + (ranged && !single ? 12 : 0);
    }
    free(rows);
    if (cols) { /* the totals, and how far a bar is over its device */
        line(s, "rule", M, y + 2, W - M, y + 2, 0xBBBBBB, 1);
        text(s, "label", lx, y + 16, 12, 0, INK, "device total", label_chars);
        int over = 0;
        for (int b = 0; b < cols; b++) {
            char sz[32];
            double right = single ? col0 : col0 + cw * (b + 1);
            chart_prim *t = text(s, "total", right, y + 16, 12, 2, INK,
                                 chart_fmt_size(c->bars[b].total, sz, sizeof sz), 32);
            if (t)
                t->bold = 1;
            data(t, " data-bar=\"%d\" data-bytes=\"%lld\"", b, (long long)c->bars[b].total);
            over |= chart_bar_sum(&c->bars[b]) > c->bars[b].total;
        }
        y += ROW_H + 4;
        if (over) {
            text(s, "over", lx, y + 12, 11, 0, LIMIT_RED,
                 "parts past the dashed line do not fit: the device is too small", 200);
            y += ROW_H;
        }
    }
    return y;
}

int chart__scene_build(const chart *c, int width, chart_scene *s)
{
    memset(s, 0, sizeof *s);
    s->width = width < 320 ? 320 : width > 4000 ? 4000 : width;
    double W = s->width, y = M;
    if (!(s->title = chart__clean(c->title, 400)))
        return -1;
    chart_prim *t = text(s, "title", M, y + 14, 16, 0, INK, c->title, chars_for(W - 2 * M, 16));
    if (t)
        t->bold = 1;
    y += 22;
    if (c->subtitle[0]) {
        text(s, "subtitle", M, y + 12, 12, 0, GREY, c->subtitle, chars_for(W - 2 * M, 12));
        y += 18;
    }
    y += 8;
    double nw = 0;
    for (int b = 0; b < c->nbars; b++) {
        double w = (double)strlen(c->bars[b].name) * 12 * 0.62 + 12; /* bold when limiting */
        nw = w > nw ? w : nw;
    }
    if (nw > W * 0.25)
        nw = W * 0.25;
    for (int b = 0; b < c->nbars; b++) {
        one_bar(s, &c->bars[b], b, M + nw, W - M, y, nw);
        y += BAR_H + (c->bars[b].limiting ? 16 : 10);
    }
    int any_limiting = 0;
    for (int b = 0; b < c->nbars; b++)
        any_limiting |= c->bars[b].limiting;
    if (any_limiting) {
        char note[CHART_TEXT_MAX + 32];
        snprintf(note, sizeof note, "limiting (outlined): %s",
                 c->limiting[0] ? c->limiting : "its KV cache bounds every rank's");
        /* up to three lines, broken at spaces (ASCII: a space never ends a UTF-8 run) */
        int per = chars_for(W - 2 * M, 11);
        char *at = note;
        for (int ln = 0; ln < 3 && *at; ln++) {
            size_t len = strlen(at), cut = len;
            int cps = 0;
            for (size_t i = 0; i < len; i++)
                if (((unsigned char)at[i] & 0xC0) != 0x80 && ++cps > per) {
                    cut = i;
                    break;
                }
            if (ln == 2) /* the last line: text() cuts it with an ellipsis */
                cut = len;
            else if (cut < len)
                for (size_t i = cut; i > 0; i--)
                    if (at[i] == ' ') {
                        cut = i;
                        break;
                    }
            char save = at[cut];
            at[cut] = '\0';
            text(s, "limiting-note", M, y + 12, 11, 0, LIMIT_RED, at, per);
            at[cut] = save;
            at += cut;
            while (*at == ' ')
                at++;
            y += 14;
        }
        y += ROW_H - 14;
    }
    if (c->nbars > MAX_COLUMNS) {
        text(s, "note", M, y + 12, 11, 0, GREY,
             "sizes inside the bars; hover a part for its figures", 200);
        y += ROW_H;
    }
    y = table(s, c, y + 10);
    if (c->footer[0]) {
        text(s, "footer", M, y + 12, 10, 0, GREY, c->footer, chars_for(W - 2 * M, 10));
        y += 16;
    }
    s->height = y + M / 2;
    if (s->oom) {
        chart__scene_free(s);
        return -1;
    }
    return 0;
}

void chart__scene_free(chart_scene *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->prims[i].text);
        free(s->prims[i].tip);
    }
    free(s->prims);
    free(s->title);
    memset(s, 0, sizeof *s);
}
