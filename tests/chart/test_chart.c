/* tests/chart: the chart renderers on charts built here: estimates with ranges (whiskers),
 * several bars with the limiting one marked, parts past the frame, hostile names, every
 * width from 20 to 200 columns; the SVG through xmllint and rsvg-convert. What plan and
 * snapshot draw is checked end to end by test_pictures.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chart/chart.h"
#include "testutil.h"

#define GiB (1024LL * 1024 * 1024)

/* An estimated plan on two ranks (rank 1 limiting) and a third bar past its device. */
static void sample(chart *c, const char *name)
{
    chart_init(c);
    snprintf(c->title, sizeof c->title, "%s on cuda:0", name);
    snprintf(c->subtitle, sizeof c->subtitle, "estimate");
    snprintf(c->footer, sizeof c->footer, "test");
    for (int r = 0; r < 2; r++) {
        chart_bar *b = chart_add_bar(c, r ? "rank 1" : "rank 0", 80 * GiB);
        assert_non_null(b);
        b->limiting = r == 1;
        assert_int_equal(chart_add_part(b, CHART_OTHER, (1 + r) * GiB, NULL), 0);
        assert_int_equal(chart_add_part(b, CHART_WEIGHTS, 15 * GiB, NULL), 0);
        assert_int_equal(chart_add_part(b, CHART_ACTIVATION, 2 * GiB, NULL), 0);
        assert_int_equal(chart_set_range(b, GiB, 4 * GiB), 0);
        assert_int_equal(chart_add_part(b, CHART_NON_TORCH, GiB / 2, NULL), 0);
        assert_int_equal(chart_set_range(b, GiB / 4, GiB), 0);
        assert_int_equal(chart_add_part(b, CHART_CUDAGRAPH, GiB / 3, NULL), 0);
        assert_int_equal(chart_add_part(b, CHART_KV, 50 * GiB - r * GiB, NULL), 0);
        assert_int_equal(chart_add_part(b, CHART_HEADROOM, 80 * GiB - chart_bar_sum(b), NULL),
                         0);
    }
}

static void test_model(void **state)
{
    (void)state;
    chart c;
    sample(&c, "m");
    assert_int_equal(c.nbars, 2);
    assert_int_equal(chart_bar_sum(&c.bars[0]), 80 * GiB);
    /* a range must hold the value */
    assert_int_equal(chart_set_range(&c.bars[0], 81 * GiB, 90 * GiB), -1);
    assert_null(chart_add_bar(&c, "empty", 0));
    chart_bar *b = &c.bars[0];
    while (b->nparts < CHART_MAX_PARTS)
        assert_int_equal(chart_add_part(b, CHART_KV, 1, NULL), 0);
    assert_int_equal(chart_add_part(b, CHART_KV, 1, NULL), -1);
    for (int i = 0; i < 40; i++) /* the bars grow on the heap */
        assert_non_null(chart_add_bar(&c, "more", GiB));
    assert_int_equal(c.nbars, 42);
    chart_free(&c);
    assert_int_equal(c.nbars, 0);
}

static void test_formats(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(chart_fmt_size(80 * GiB, b, sizeof b), "80.00 GiB");
    assert_string_equal(chart_fmt_size(GiB / 2, b, sizeof b), "512.0 MiB");
    assert_string_equal(chart_fmt_size(12 * 1024, b, sizeof b), "12.0 KiB");
    assert_string_equal(chart_fmt_size(17, b, sizeof b), "17 B");
    assert_string_equal(chart_fmt_size(GiB - 1, b, sizeof b), "1.00 GiB");
    assert_string_equal(chart_fmt_range(GiB, 4 * GiB, 1, b, sizeof b), "1.00-4.00 GiB");
    assert_string_equal(chart_fmt_range(GiB / 4, GiB / 2, 0, b, sizeof b),
                        "256.0\xe2\x80\x93" "512.0 MiB");
    uint32_t cp;
    assert_int_equal(chart_utf8_next("a", 1, &cp), 1), assert_int_equal(cp, 'a');
    assert_int_equal(chart_utf8_next("\xc3\xa9", 2, &cp), 2), assert_int_equal(cp, 0xE9);
    assert_int_equal(chart_utf8_next("\xe2\x96\x88", 3, &cp), 3), assert_int_equal(cp, 0x2588);
    assert_int_equal(chart_utf8_next("\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    /* bad: a lone continuation, overlong forms, a surrogate, past U+10FFFF, cut short,
     * controls (C0, DEL, C1) */
    static const char *bad[] = {"\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                                "\xf4\x90\x80\x80", "\xe2\x96", "\x1b", "\x7f", "\xc2\x9b",
                                "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = chart_utf8_next(bad[i], strlen(bad[i]), &cp);
        assert_true(n >= 1);
        assert_int_equal(cp, 0xFFFD);
    }
}

/* Counts code points of s (valid UTF-8 assumed, as the renderer must write). */
static int columns(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Occurrences of the glyph g (UTF-8) in s. */
static int count(const char *s, size_t n, const char *g)
{
    int k = 0;
    size_t gl = strlen(g);
    for (size_t i = 0; i + gl <= n; i++)
        if (memcmp(s + i, g, gl) == 0)
            k++, i += gl - 1;
    return k;
}

static char *render(const chart *c, int width, int unicode, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    chart_text_options o = {width, unicode, 0};
    assert_int_equal(chart_text_write(c, f, &o), 0);
    fclose(f);
    return buf;
}

static void test_text_proportional(void **state)
{
    (void)state;
    static const char *uni[] = {"\xe2\x96\x9a", "\xe2\x96\x93", "\xe2\x96\x92", "\xe2\x96\x91",
                                "\xe2\x96\x84", "\xe2\x96\x88", "\xc2\xb7"};
    static const char *asc[] = {"o", "W", "A", "N", "G", "K", "."};
    chart c;
    sample(&c, "m");
    for (int unicode = 0; unicode <= 1; unicode++)
        for (int width = 20; width <= 200; width++) {
            size_t len;
            char *out = render(&c, width, unicode, &len);
            int bars = 0, whiskers = 0, after_bar = 0;
            for (char *l = out; l < out + len;) {
                char *nl = memchr(l, '\n', (size_t)(out + len - l));
                assert_non_null(nl);
                size_t n = (size_t)(nl - l);
                assert_true(columns(l, n) <= width);
                for (size_t i = 0; i < n; i++) /* no control characters, no colour */
                    assert_true((unsigned char)l[i] >= 0x20);
                const char *edge = unicode ? "\xe2\x94\x82" : "[";
                char *a = memmem(l, n, edge, strlen(edge)); /* only bars have the frame */
                if (a) {
                    assert_true(bars < 2);
                    const chart_bar *b = &c.bars[bars];
                    a += strlen(edge);
                    char *z = l + n - (b->limiting || c.bars[1].limiting ? 2 : 0) -
                              (unicode ? 3 : 1);
                    int cells = columns(a, (size_t)(z - a));
                    assert_int_equal(columns(l, n), width);
                    for (int k = 0; k < b->nparts; k++) {
                        double exact = (double)b->parts[k].bytes * cells / (double)b->total;
                        int got = count(a, (size_t)(z - a), unicode ? uni[k] : asc[k]);
                        if (!(got - exact < 1.0 && exact - got < 1.0))
                            fail_msg("width %d %s part %d: %d cells for %.3f", width,
                                     unicode ? "unicode" : "ascii", k, got, exact);
                    }
                    assert_int_equal(b->limiting, memcmp(l + n - 2, " *", 2) == 0);
                    bars++;
                    after_bar = 1;
                } else if (after_bar) { /* the whisker line: marks only, at least one */
                    int marks = 0;
                    for (size_t i = 0; i < n;) {
                        static const char *m[] = {"\xe2\x94\x80", "\xe2\x94\x9c",
                                                  "\xe2\x94\xa4", "\xe2\x94\xbc", "-",
                                                  "|", "+"};
                        size_t k = 0;
                        for (int j = unicode ? 0 : 4; j < (unicode ? 4 : 7) && !k; j++)
                            if (i + strlen(m[j]) <= n && !memcmp(l + i, m[j], strlen(m[j])))
                                k = strlen(m[j]);
                        if (!k && l[i] != ' ')
                            fail_msg("width %d: not a whisker line: %.*s", width, (int)n, l);
                        marks += k > 0;
                        i += k ? k : 1;
                    }
                    assert_true(marks > 0);
                    whiskers++;
                    after_bar = 0;
                }
                l = nl + 1;
            }
            assert_int_equal(bars, 2);
            assert_int_equal(whiskers, 2);
            /* the ranges are written out */
            assert_non_null(strstr(out, unicode ? "1.00\xe2\x80\x93" "4.00 GiB" : "1.00-4.00 GiB"));
            assert_non_null(strstr(out, width >= 46 ? "* limiting: its KV cache bounds every "
                                                      "rank's\n" : "* limiting"));
            free(out);
        }
    chart_free(&c);
}

/* The whisker covers [start + low, start + high] of its part, within a cell. */
static void test_whisker_position(void **state)
{
    (void)state;
    chart c;
    chart_init(&c);
    chart_bar *b = chart_add_bar(&c, "x", 100);
    chart_add_part(b, CHART_WEIGHTS, 40, NULL);
    chart_add_part(b, CHART_ACTIVATION, 20, NULL);
    chart_set_range(b, 10, 30);
    chart_add_part(b, CHART_HEADROOM, 40, NULL);
    size_t len;
    char *out = render(&c, 2 + 2 + 100, 0, &len); /* "x " + "[" + 100 cells + "]" */
    char *w = strstr(out, "|-");
    assert_non_null(w);
    char *line = w;
    while (line > out && line[-1] != '\n')
        line--;
    int lo = (int)(w - line) - 3, hi = (int)(strchr(w + 1, '|') - line) - 3 + 1;
    assert_true(lo >= 49 && lo <= 51);
    assert_true(hi >= 69 && hi <= 71);
    free(out);
    chart_free(&c);
}

static void test_over_the_frame(void **state)
{
    (void)state;
    chart c;
    chart_init(&c);
    chart_bar *b = chart_add_bar(&c, "x", 100);
    chart_add_part(b, CHART_OTHER, 30, NULL);
    chart_add_part(b, CHART_KV, 90, NULL);
    size_t len;
    char *out = render(&c, 60, 0, &len);
    assert_non_null(strstr(out, "over by 20 B"));
    /* the frame's end sits inside the bar, and the bar ends in '!' */
    char *bar = strstr(out, "x [");
    assert_non_null(bar);
    assert_non_null(memchr(bar + 3, ']', 60));
    assert_non_null(strstr(bar, "!\n"));
    free(out);
    chart_free(&c);
}

static void test_hostile_text(void **state)
{
    (void)state;
    chart c;
    sample(&c, "\x1b]0;owned\x07<x>&\xff\xfe");
    snprintf(c.bars[0].name, sizeof c.bars[0].name, "\x1b[2J\"'<&>");
    for (int unicode = 0; unicode <= 1; unicode++) {
        size_t len;
        char *out = render(&c, 80, unicode, &len);
        for (size_t i = 0; i < len; i++) {
            unsigned char ch = (unsigned char)out[i];
            assert_true(ch >= 0x20 || ch == '\n');
            if (!unicode)
                assert_true(ch < 0x80);
        }
        assert_non_null(strstr(out, unicode ? "\xef\xbf\xbd]0;owned\xef\xbf\xbd<x>&"
                                            : "?]0;owned?<x>&??"));
        free(out);
    }
    /* the SVG: well-formed, escaped, and renders */
    char dir[512], path[600], png[640], cmd[2048];
    tu_fresh_dir("chart-hostile", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/h.svg", dir);
    snprintf(png, sizeof png, "%s/h.png", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(chart_svg_write(&c, f, 480), 0);
    fclose(f);
    char *svg = tu_slurp(path);
    assert_null(strstr(svg, "<x>"));
    assert_null(strchr(svg, '\x1b'));
    assert_non_null(strstr(svg, "&lt;x&gt;&amp;\xef\xbf\xbd\xef\xbf\xbd"));
    assert_non_null(strstr(svg, "&quot;&apos;&lt;&amp;&gt;"));
    assert_non_null(strstr(svg, "width=\"480\""));
    /* the ranges as whiskers with their figures, the limiting bar marked */
    assert_non_null(strstr(svg, "class=\"whisker\""));
    char want[128];
    snprintf(want, sizeof want, "data-low=\"%lld\" data-high=\"%lld\"", GiB, 4 * GiB);
    assert_non_null(strstr(svg, want));
    assert_non_null(strstr(svg, "class=\"limiting\" "));
    free(svg);
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s' && rsvg-convert -o '%s' '%s'", path, png,
             path);
    assert_int_equal(system(cmd), 0);
    char *p = tu_slurp(png);
    assert_non_null(p);
    assert_int_equal((unsigned char)p[16] << 24 | (unsigned char)p[17] << 16 |
                         (unsigned char)p[18] << 8 | (unsigned char)p[19], 480);
    free(p);
    char err[256];
#if MB_HAVE_CAIRO_TEST
    assert_int_equal(chart_png_available(), 1);
    assert_int_equal(chart_png_write(&c, png, 480, err, sizeof err), 0);
    p = tu_slurp(png);
    assert_int_equal((unsigned char)p[18] << 8 | (unsigned char)p[19], 480);
    free(p);
    assert_int_equal(chart_png_write(&c, "/no/such/dir/x.png", 0, err, sizeof err), -1);
    assert_true(err[0]);
#else
    assert_int_equal(chart_png_available(), 0);
    assert_int_equal(chart_png_write(&c, png, 480, err, sizeof err), -1);
    assert_non_null(strstr(err, "libcairo2-dev"));
#endif
    chart_free(&c);
}

/* Many bars: the sizes go into the bars and tooltips; the SVG stays valid. */
static void test_many_bars_svg(void **state)
{
    (void)state;
    chart c;
    chart_init(&c);
    snprintf(c.title, sizeof c.title, "eight ranks");
    snprintf(c.limiting, sizeof c.limiting, "the least free memory");
    for (int r = 0; r < 8; r++) {
        char name[16];
        snprintf(name, sizeof name, "rank %d", r);
        chart_bar *b = chart_add_bar(&c, name, 80 * GiB);
        b->limiting = r == 5;
        chart_add_part(b, CHART_WEIGHTS, 15 * GiB, NULL);
        chart_add_part(b, CHART_KV, (50 + r) * GiB, NULL);
        chart_add_part(b, CHART_HEADROOM, 80 * GiB - chart_bar_sum(b), NULL);
    }
    char dir[512], path[600], cmd[1400];
    tu_fresh_dir("chart-many", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/m.svg", dir);
    FILE *f = fopen(path, "w");
    assert_int_equal(chart_svg_write(&c, f, 0), 0);
    fclose(f);
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s' && rsvg-convert -o '%s.png' '%s'", path,
             path, path);
    assert_int_equal(system(cmd), 0);
    char *svg = tu_slurp(path);
    int parts = 0;
    for (char *s = svg; (s = strstr(s, "class=\"part\"")); s++)
        parts++;
    assert_int_equal(parts, 24);
    assert_non_null(strstr(svg, "<title>KV cache: 55.00 GiB</title>"));
    assert_non_null(strstr(svg, ">limiting (outlined): the least free memory</text>"));
    free(svg);
    /* a long reason: three lines at most, broken at spaces, the last cut with an ellipsis */
    c.limiting[0] = '\0';
    while (strlen(c.limiting) + 12 < sizeof c.limiting)
        strcat(c.limiting, "word word ");
    f = fopen(path, "w");
    assert_int_equal(chart_svg_write(&c, f, 320), 0); /* narrow: more than three lines' worth */
    fclose(f);
    svg = tu_slurp(path);
    int notes = 0;
    for (char *p = svg; (p = strstr(p, "class=\"limiting-note\"")); p++) {
        char *open = strchr(p, '>'), *close = strstr(p, "</text>");
        assert_true(open[1] == 'l' || open[1] == 'w'); /* a whole word begins each line */
        assert_true(close[-1] == 'd' || !memcmp(close - 3, "\xe2\x80\xa6", 3));
        notes++;
    }
    assert_int_equal(notes, 3);
    assert_non_null(strstr(svg, "\xe2\x80\xa6</text>"));
    free(svg);
    chart_free(&c);
}

/* Several bars without ranges: a column of sizes per bar when they fit, else bar by bar. */
static void test_text_table(void **state)
{
    (void)state;
    chart c;
    chart_init(&c);
    for (int r = 0; r < 3; r++) {
        char name[16];
        snprintf(name, sizeof name, "cuda:%d", r);
        chart_bar *b = chart_add_bar(&c, name, 80 * GiB);
        chart_add_part(b, CHART_OTHER, (r + 1) * GiB, "in use");
        chart_add_part(b, CHART_FREE, 80 * GiB - (r + 1) * GiB, NULL);
    }
    size_t len;
    char *out = render(&c, 80, 0, &len);
    assert_non_null(strstr(out, "      cuda:0      cuda:1      cuda:2\n"));
    assert_non_null(strstr(out, "  o in use          1.00 GiB    2.00 GiB    3.00 GiB\n"));
    assert_non_null(strstr(out, "    device total   80.00 GiB   80.00 GiB   80.00 GiB\n"));
    assert_null(strstr(out, "cuda:1:"));
    free(out);
    out = render(&c, 40, 0, &len); /* 3 columns of 12 do not fit beside the labels */
    assert_non_null(strstr(out, "cuda:1:\n"));
    assert_non_null(strstr(out, "  o in use"));
    free(out);
    chart_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_text_proportional),
        cmocka_unit_test(test_whisker_position),
        cmocka_unit_test(test_over_the_frame),
        cmocka_unit_test(test_hostile_text),
        cmocka_unit_test(test_many_bars_svg),
        cmocka_unit_test(test_text_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
