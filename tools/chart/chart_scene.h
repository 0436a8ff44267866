/* tools/chart/chart_scene.h: the picture as a list of shapes, laid out once and drawn by
 * both file renderers (SVG by hand, PNG through cairo), so the two are the same picture.
 * Internal to tools/chart/. */
#ifndef MB_CHART_SCENE_H
#define MB_CHART_SCENE_H

#include "chart.h"

typedef enum { PRIM_RECT, PRIM_LINE, PRIM_TEXT } prim_type;

#define PRIM_NONE (-1) /* no fill or no stroke */

typedef struct chart_prim {
    prim_type type;
    const char *cls;     /* the SVG class (static text) */
    double x, y, w, h;   /* rect; a line from (x, y) to (x + w, y + h); text: its baseline */
    int64_t fill;        /* 0xRRGGBB or PRIM_NONE */
    int64_t stroke;      /* 0xRRGGBB or PRIM_NONE */
    double stroke_width;
    int dashed;
    double size;         /* text: font size in px */
    int bold;
    int anchor;          /* text: 0 start, 1 middle, 2 end */
    char *text;          /* text: clean UTF-8 (owned) */
    char *tip;           /* rect: a tooltip, clean UTF-8 (owned), or NULL */
    char data[200];      /* extra SVG attributes: ASCII keys and numbers only */
} chart_prim;

typedef struct chart_scene {
    double width, height;
    char *title; /* the document's title, clean UTF-8 (owned) */
    chart_prim *prims;
    int n, cap;
    int oom;     /* 1: an allocation failed; the scene is incomplete */
} chart_scene;

/* The font every picture names; the layout's widths assume its proportions. */
#define CHART_FONT "DejaVu Sans"

/* Lays c out at width px (clamped to 320..4000). 0, or -1 when out of memory (s is then
 * freed). */
int chart__scene_build(const chart *c, int width, chart_scene *s);
void chart__scene_free(chart_scene *s);
/* s as valid UTF-8 without control characters (U+FFFD for each bad byte), cut to at most
 * max code points (the last one an ellipsis when cut). malloc'd; NULL when out of memory. */
char *chart__clean(const char *s, int max);

#endif
