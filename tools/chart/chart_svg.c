/* tools/chart/chart_svg.c: the scene as SVG 1.1, written by hand rather than through
 * cairo's SVG surface, which turns text into glyph outlines: here every label stays text
 * (searchable, read by screen readers and by the tests) and every figure is also a data-*
 * attribute in bytes. Text is escaped for XML (& < > " ') after chart__clean made it valid
 * UTF-8 without control characters, which XML 1.0 forbids. */
#include <string.h>

#include "chart_scene.h"

static int esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        int rc;
        switch (*s) {
        case '&': rc = fputs("&amp;", out); break;
        case '<': rc = fputs("&lt;", out); break;
        case '>': rc = fputs("&gt;", out); break;
        case '"': rc = fputs("&quot;", out); break;
        case '\'': rc = fputs("&apos;", out); break;
        default: rc = fputc(*s, out); break;
        }
        if (rc == EOF)
            return -1;
    }
    return 0;
}

static void colour(FILE *out, const char *attr, int64_t rgb)
{
    if (rgb == PRIM_NONE)
        fprintf(out, " %s=\"none\"", attr);
    else
        fprintf(out, " %s=\"#%06lx\"", attr, (unsigned long)rgb);
}

static void prim(FILE *out, const chart_prim *p)
{
    static const char *anchors[] = {"start", "middle", "end"};
    switch (p->type) {
    case PRIM_RECT:
        fprintf(out, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"",
                p->cls, p->x, p->y, p->w, p->h);
        colour(out, "fill", p->fill);
        colour(out, "stroke", p->stroke);
        if (p->stroke != PRIM_NONE)
            fprintf(out, " stroke-width=\"%.2f\"", p->stroke_width);
        fputs(p->data, out);
        if (p->tip) {
            fputs("><title>", out);
            esc(out, p->tip);
            fputs("</title></rect>\n", out);
        } else {
            fputs("/>\n", out);
        }
        break;
    case PRIM_LINE:
        fprintf(out, "<line class=\"%s\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"", p->cls,
                p->x, p->y, p->x + p->w, p->y + p->h);
        colour(out, "stroke", p->stroke);
        fprintf(out, " stroke-width=\"%.2f\"%s%s/>\n", p->stroke_width,
                p->dashed ? " stroke-dasharray=\"4 3\"" : "", p->data);
        break;
    case PRIM_TEXT:
        fprintf(out, "<text class=\"%s\" x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\"", p->cls, p->x,
                p->y, p->size);
        if (p->anchor)
            fprintf(out, " text-anchor=\"%s\"", anchors[p->anchor]);
        if (p->bold)
            fputs(" font-weight=\"bold\"", out);
        colour(out, "fill", p->fill);
        fputs(p->data, out);
        fputc('>', out);
        esc(out, p->text ? p->text : "");
        fputs("</text>\n", out);
        break;
    }
}

int chart_svg_write(const chart *c, FILE *out, int width_px)
{
    chart_scene s;
    if (chart__scene_build(c, width_px > 0 ? width_px : CHART_DEFAULT_WIDTH, &s))
        return -1;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
                 "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"%s, Verdana, "
                 "sans-serif\">\n<title>",
            s.width, s.height, s.width, s.height, CHART_FONT);
    esc(out, s.title);
    fprintf(out, "</title>\n<rect class=\"background\" width=\"%.0f\" height=\"%.0f\" "
                 "fill=\"#ffffff\"/>\n", s.width, s.height);
    for (int i = 0; i < s.n; i++)
        prim(out, &s.prims[i]);
    fputs("</svg>\n", out);
    chart__scene_free(&s);
    return ferror(out) || fflush(out) ? -1 : 0;
}
