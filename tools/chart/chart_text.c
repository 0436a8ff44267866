/* tools/chart/chart_text.c: the chart in a terminal: one stacked bar per device or rank,
 * whiskers under it for ranges, then the parts with their sizes. Each part's length is
 * its share of the bar rounded at the cumulative boundaries, so it is within one cell of
 * exact; each kind has its own glyph, so the parts read apart without colour. */
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "chart.h"

static const struct {
    const char *u; /* UTF-8, one column */
    char a;        /* ASCII */
} glyphs[CHART_KIND_COUNT] = {
    [CHART_OTHER] = {"\xe2\x96\x9a", 'o'},     /* U+259A QUADRANT UPPER LEFT AND LOWER RIGHT */
    [CHART_WEIGHTS] = {"\xe2\x96\x93", 'W'},   /* U+2593 DARK SHADE */
    [CHART_ACTIVATION] = {"\xe2\x96\x92", 'A'}, /* U+2592 MEDIUM SHADE */
    [CHART_NON_TORCH] = {"\xe2\x96\x91", 'N'}, /* U+2591 LIGHT SHADE */
    [CHART_NON_KV] = {"\xe2\x96\x9e", 'n'},    /* U+259E QUADRANT UPPER RIGHT AND LOWER LEFT */
    [CHART_CUDAGRAPH] = {"\xe2\x96\x84", 'G'}, /* U+2584 LOWER HALF BLOCK */
    [CHART_KV] = {"\xe2\x96\x88", 'K'},        /* U+2588 FULL BLOCK */
    [CHART_UNUSED] = {"\xe2\x96\x81", 'u'},    /* U+2581 LOWER ONE EIGHTH BLOCK */
    [CHART_FREE] = {" ", ' '},
    [CHART_HEADROOM] = {"\xc2\xb7", '.'},      /* U+00B7 MIDDLE DOT */
};

void chart_text_detect(int fd, int ascii, chart_text_options *o)
{
    memset(o, 0, sizeof *o);
    o->width = 80;
    const char *cols = getenv("COLUMNS");
    char *end;
    long n = cols && *cols ? strtol(cols, &end, 10) : 0;
    struct winsize ws;
    if (cols && *cols && !*end && n > 0 && n < 10000)
        o->width = (int)n;
    else if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        o->width = ws.ws_col;
    if (!ascii) {
        /* the environment's LC_CTYPE for the question only: the process keeps its own */
        const char *cur = setlocale(LC_CTYPE, NULL);
        char *saved = cur ? strdup(cur) : NULL;
        if (setlocale(LC_CTYPE, "")) {
            const char *cs = nl_langinfo(CODESET);
            o->unicode = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
        }
        setlocale(LC_CTYPE, saved ? saved : "C");
        free(saved);
    }
    const char *term = getenv("TERM");
    o->colour = isatty(fd) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
}

/* ---- a line buffer that counts columns ------------------------------------------------ */
typedef struct line {
    char buf[4096];
    size_t len;
    int cols;
} line;

static void raw(line *l, const char *s, int cols)
{
    size_t n = strlen(s);
    if (l->len + n < sizeof l->buf) {
        memcpy(l->buf + l->len, s, n);
        l->len += n;
        l->buf[l->len] = '\0';
        l->cols += cols;
    }
}

/* Appends s cleaned (invalid bytes, controls: U+FFFD or '?'), at most max columns; a cut
 * string ends in an ellipsis ('~' in ASCII). */
static void text(line *l, const char *s, int max, int unicode)
{
    int n = 0;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = chart_utf8_next(s + i, len - i, &cp);
        if (n == max - 1 && i + k < len) { /* more follows: the last column is the mark */
            raw(l, unicode ? "\xe2\x80\xa6" : "~", 1);
            return;
        }
        if (n >= max)
            return;
        char u[5];
        if (cp < 0x80) {
            u[0] = (char)cp, u[1] = '\0';
        } else if (!unicode) {
            u[0] = '?', u[1] = '\0';
        } else {
            memcpy(u, s + i, k);
            u[k] = '\0';
            if (cp == 0xFFFD && k == 1)
                memcpy(u, "\xef\xbf\xbd", 4);
        }
        raw(l, u, 1);
        n++;
        i += k;
    }
}

static int text_cols(const char *s)
{
    int n = 0;
    size_t len = strlen(s);
    for (size_t i = 0; i < len; n++) {
        uint32_t cp;
        i += chart_utf8_next(s + i, len - i, &cp);
    }
    return n;
}

static void pad(line *l, int to)
{
    while (l->cols < to)
        raw(l, " ", 1);
}

static int emit(FILE *out, line *l)
{
    int rc = fprintf(out, "%s\n", l->buf) < 0 ? -1 : 0;
    l->len = 0, l->cols = 0, l->buf[0] = '\0';
    return rc;
}

static void colour_on(line *l, chart_kind k, const chart_text_options *o)
{
    if (!o->colour)
        return;
    uint32_t rgb = chart_kind_rgb(k);
    int r = (int)((rgb >> 16 & 0xFF) * 5 + 127) / 255, g = (int)((rgb >> 8 & 0xFF) * 5 + 127) / 255,
        b = (int)((rgb & 0xFF) * 5 + 127) / 255;
    char esc[24];
    snprintf(esc, sizeof esc, "\033[38;5;%dm", 16 + 36 * r + 6 * g + b);
    raw(l, esc, 0);
}

static void colour_off(line *l, const chart_text_options *o)
{
    if (o->colour)
        raw(l, "\033[0m", 0);
}

static void glyph(line *l, chart_kind k, const chart_text_options *o)
{
    if (o->unicode)
        raw(l, glyphs[k].u, 1);
    else {
        char a[2] = {glyphs[k].a, '\0'};
        raw(l, a, 1);
    }
}

/* The cell where cumulative bytes cum ends: the rounding that keeps every part within one
 * cell of its exact length. */
static int cell(int64_t cum, int64_t scale, int cells)
{
    double v = (double)cum * cells / (double)scale + 0.5;
    int c = (int)v;
    return c < 0 ? 0 : c > cells ? cells : c;
}

static int visible(const chart_part *p)
{
    return p->bytes > 0 || (p->low != CHART_NO_RANGE && p->high > 0);
}

static int has_range(const chart_part *p)
{
    return p->low != CHART_NO_RANGE;
}

/* One bar line, and its whisker line when a part has a range. */
static int bar_lines(FILE *out, const chart_bar *b, int nw, int cells, int any_limiting,
                     const chart_text_options *o)
{
    line l = {.len = 0};
    int64_t sum = chart_bar_sum(b), scale = sum > b->total ? sum : b->total;
    int over = sum > b->total;
    if (over)
        cells--; /* the frame's end is drawn inside the bar */
    text(&l, b->name, nw, o->unicode);
    pad(&l, nw + 1);
    const char *edge = o->unicode ? "\xe2\x94\x82" : "|"; /* U+2502 */
    raw(&l, o->unicode ? edge : "[", 1);
    int at = 0, frame = over ? cell(b->total, scale, cells) : -1;
    int64_t cum = 0;
    for (int i = 0; i < b->nparts; i++) {
        const chart_part *p = &b->parts[i];
        cum += p->bytes;
        int end = cell(cum, scale, cells);
        if (end <= at)
            continue; /* less than half a cell: drawn in the table only */
        colour_on(&l, p->kind, o);
        for (; at < end; at++) {
            if (at == frame) {
                colour_off(&l, o);
                raw(&l, o->unicode ? edge : "]", 1);
                colour_on(&l, p->kind, o);
            }
            glyph(&l, p->kind, o);
        }
        colour_off(&l, o);
    }
    for (; at < cells; at++)
        raw(&l, " ", 1);
    raw(&l, over ? (o->unicode ? "\xe2\x94\x86" : "!") : (o->unicode ? edge : "]"), 1);
    if (b->limiting)
        raw(&l, " *", 2);
    else if (any_limiting)
        raw(&l, "  ", 2);
    if (emit(out, &l))
        return -1;

    int ranges = 0;
    for (int i = 0; i < b->nparts; i++)
        ranges |= has_range(&b->parts[i]);
    if (!ranges)
        return 0;
    char marks[1024];
    int w = cells < (int)sizeof marks ? cells : (int)sizeof marks - 1;
    memset(marks, ' ', (size_t)w);
    marks[w] = '\0';
    /* 0 space, 1 line, 2 left end, 3 right end, 4 both */
    static const char *uni[] = {" ", "\xe2\x94\x80", "\xe2\x94\x9c", "\xe2\x94\xa4",
                                "\xe2\x94\xbc"}; /* ─ ├ ┤ ┼ */
    static const char asc[] = {' ', '-', '|', '|', '+'};
    char kind[1024];
    memset(kind, 0, sizeof kind);
    cum = 0;
    for (int i = 0; i < b->nparts; i++) {
        const chart_part *p = &b->parts[i];
        if (has_range(p)) {
            int lo = cell(cum + p->low, scale, cells), hi = cell(cum + p->high, scale, cells);
            if (lo >= w)
                lo = w - 1;
            if (hi > w)
                hi = w;
            if (hi - lo <= 1)
                kind[lo] = 4;
            else {
                for (int c = lo + 1; c < hi - 1; c++)
                    kind[c] = 1;
                kind[lo] = 2, kind[hi - 1] = 3;
            }
        }
        cum += p->bytes;
    }
    pad(&l, nw + 2);
    for (int c = 0; c < w; c++) {
        if (o->unicode)
            raw(&l, uni[(int)kind[c]], 1);
        else {
            char a[2] = {asc[(int)kind[c]], '\0'};
            raw(&l, a, 1);
        }
    }
    /* no trailing blanks */
    while (l.len && l.buf[l.len - 1] == ' ')
        l.buf[--l.len] = '\0';
    return emit(out, &l);
}

/* The parts of one bar, a row each: glyph, label, size, share of the device, range. */
static int legend(FILE *out, const chart_bar *b, int indent, int width,
                  const chart_text_options *o)
{
    int lw = text_cols("device total");
    for (int i = 0; i < b->nparts; i++)
        if (visible(&b->parts[i])) {
            int n = text_cols(chart_part_label(&b->parts[i]));
            lw = n > lw ? n : lw;
        }
    int maxlw = width - indent - 2 - 12;
    if (lw > maxlw)
        lw = maxlw > 4 ? maxlw : 4;
    line l = {.len = 0};
    for (int i = 0; i < b->nparts; i++) {
        const chart_part *p = &b->parts[i];
        if (!visible(p))
            continue;
        char sz[32], share[16], rg[64], rtext[80];
        pad(&l, indent);
        colour_on(&l, p->kind, o);
        glyph(&l, p->kind, o);
        colour_off(&l, o);
        raw(&l, " ", 1);
        text(&l, chart_part_label(p), lw, o->unicode);
        pad(&l, indent + 2 + lw);
        chart_fmt_size(p->bytes, sz, sizeof sz);
        char cellbuf[40];
        snprintf(cellbuf, sizeof cellbuf, " %11s", sz);
        raw(&l, cellbuf, (int)strlen(cellbuf));
        snprintf(share, sizeof share, "  %5.1f%%", 100.0 * (double)p->bytes / (double)b->total);
        if (l.cols + (int)strlen(share) <= width)
            raw(&l, share, (int)strlen(share));
        if (has_range(p)) {
            chart_fmt_range(p->low, p->high, !o->unicode, rg, sizeof rg);
            snprintf(rtext, sizeof rtext, "  range %s", rg);
            int rc = text_cols(rtext);
            if (l.cols + rc > width) {
                if (emit(out, &l))
                    return -1;
                pad(&l, indent + 2); /* its own line, "range" dropped where it is narrow */
                text(&l, indent + 2 + rc - 2 <= width ? rtext + 2 : rg, width - indent - 2,
                     o->unicode);
            } else {
                text(&l, rtext, rc, o->unicode);
            }
        }
        if (emit(out, &l))
            return -1;
    }
    char tot[32], cellbuf[48];
    pad(&l, indent + 2);
    text(&l, "device total", lw, o->unicode);
    pad(&l, indent + 2 + lw);
    snprintf(cellbuf, sizeof cellbuf, " %11s", chart_fmt_size(b->total, tot, sizeof tot));
    raw(&l, cellbuf, (int)strlen(cellbuf));
    int64_t sum = chart_bar_sum(b);
    if (sum > b->total) {
        char over[32], msg[64];
        snprintf(msg, sizeof msg, "  over by %s", chart_fmt_size(sum - b->total, over,
                                                                 sizeof over));
        if (l.cols + (int)strlen(msg) <= width)
            raw(&l, msg, (int)strlen(msg));
    }
    return emit(out, &l);
}

/* Several bars without ranges, when they fit side by side: one row per part, a column of
 * sizes per bar. 1 when drawn, 0 when it does not fit (the caller lists bar by bar). */
static int table(FILE *out, const chart *c, const chart_text_options *o, int *failed)
{
    int COL = 12; /* a size, or the longest bar name, and a space */
    for (int b = 0; b < c->nbars; b++) {
        int n = text_cols(c->bars[b].name) + 1;
        COL = n > COL ? n : COL;
    }
    int lw = text_cols("device total");
    for (int b = 0; b < c->nbars; b++)
        for (int i = 0; i < c->bars[b].nparts; i++) {
            const chart_part *p = &c->bars[b].parts[i];
            if (has_range(p))
                return 0;
            int n = text_cols(chart_part_label(p));
            lw = n > lw ? n : lw;
        }
    if (lw > 24)
        lw = 24;
    if (4 + lw + c->nbars * COL > o->width)
        return 0;
    line l = {.len = 0};
    pad(&l, 4 + lw);
    for (int b = 0; b < c->nbars; b++) {
        int n = text_cols(c->bars[b].name);
        pad(&l, l.cols + COL - n);
        text(&l, c->bars[b].name, COL - 1, o->unicode);
    }
    *failed |= emit(out, &l);
    /* rows in the order the bars first have them, matched by kind and label */
    for (int b = 0; b < c->nbars; b++)
        for (int i = 0; i < c->bars[b].nparts; i++) {
            const chart_part *p = &c->bars[b].parts[i];
            int seen = 0;
            for (int e = 0; e < b && !seen; e++)
                for (int k = 0; k < c->bars[e].nparts && !seen; k++)
                    seen = c->bars[e].parts[k].kind == p->kind &&
                           visible(&c->bars[e].parts[k]) &&
                           strcmp(chart_part_label(&c->bars[e].parts[k]),
                                  chart_part_label(p)) == 0;
            if (seen || !visible(p))
                continue;
            pad(&l, 2);
            colour_on(&l, p->kind, o);
            glyph(&l, p->kind, o);
            colour_off(&l, o);
            raw(&l, " ", 1);
            text(&l, chart_part_label(p), lw, o->unicode);
            pad(&l, 4 + lw);
            for (int e = 0; e < c->nbars; e++) {
                const chart_part *q = NULL;
                for (int k = 0; k < c->bars[e].nparts && !q; k++)
                    if (c->bars[e].parts[k].kind == p->kind &&
                        strcmp(chart_part_label(&c->bars[e].parts[k]), chart_part_label(p)) == 0)
                        q = &c->bars[e].parts[k];
                char sz[32], cellbuf[40];
                snprintf(cellbuf, sizeof cellbuf, "%*s", COL,
                         q ? chart_fmt_size(q->bytes, sz, sizeof sz) : "-");
                raw(&l, cellbuf, COL);
            }
            *failed |= emit(out, &l);
        }
    pad(&l, 4);
    text(&l, "device total", lw, o->unicode);
    pad(&l, 4 + lw);
    for (int e = 0; e < c->nbars; e++) {
        char sz[32], cellbuf[40];
        snprintf(cellbuf, sizeof cellbuf, "%*s", COL,
                 chart_fmt_size(c->bars[e].total, sz, sizeof sz));
        raw(&l, cellbuf, COL);
    }
    *failed |= emit(out, &l);
    return 1;
}

int chart_text_write(const chart *c, FILE *out, const chart_text_options *opt)
{
    chart_text_options o = *opt;
    if (o.width < 20)
        o.width = 20;
    if (o.width > 1000)
        o.width = 1000;
    line l = {.len = 0};
    if (c->title[0]) {
        text(&l, c->title, o.width, o.unicode);
        if (emit(out, &l))
            return -1;
    }
    if (c->subtitle[0]) {
        text(&l, c->subtitle, o.width, o.unicode);
        if (emit(out, &l))
            return -1;
    }
    int nw = 0, any_limiting = 0;
    for (int i = 0; i < c->nbars; i++) {
        int n = text_cols(c->bars[i].name);
        nw = n > nw ? n : nw;
        any_limiting |= c->bars[i].limiting;
    }
    if (nw > o.width / 4)
        nw = o.width / 4;
    int cells = o.width - nw - 1 - 2 - (any_limiting ? 2 : 0);
    for (int i = 0; i < c->nbars; i++)
        if (bar_lines(out, &c->bars[i], nw, cells, any_limiting, &o))
            return -1;
    if (any_limiting) {
        raw(&l, "* ", 2);
        char note[CHART_TEXT_MAX + 16];
        snprintf(note, sizeof note, "limiting: %s",
                 c->limiting[0] ? c->limiting : "its KV cache bounds every rank's");
        text(&l, note, o.width - 2, o.unicode);
        if (emit(out, &l))
            return -1;
    }
    int failed = 0;
    if (c->nbars == 1 || !table(out, c, &o, &failed))
        for (int i = 0; i < c->nbars && !failed; i++) { /* bar by bar */
            if (c->nbars > 1) {
                text(&l, c->bars[i].name, o.width - 1, o.unicode);
                raw(&l, ":", 1);
                failed |= emit(out, &l);
            }
            failed |= legend(out, &c->bars[i], 2, o.width, &o);
        }
    if (failed)
        return -1;
    if (c->footer[0]) {
        text(&l, c->footer, o.width, o.unicode);
        if (emit(out, &l))
            return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}
