/*
 * tools/chart/chart.h: the memory picture of a plan or a snapshot, and its three renderers
 * (the terminal, SVG, PNG). Presentation only: this small library knows nothing of
 * membudget's structs (tools/chart_adapt.c fills a chart from a plan or a snapshot), reads
 * no device, and prints only to the stream or file it is given.
 *
 * A chart is a title, a subtitle, a footer and one or more bars (one per device or rank).
 * A bar is the device's total memory (the frame) and its parts in order; a part has a kind
 * (which fixes its colour and glyph, the same in every picture), a size in bytes and an
 * optional low/high range (an estimate's), drawn as a whisker. One bar may be marked
 * limiting (the rank whose KV cache bounds every rank's).
 *
 * Strings may hold any bytes: every renderer shows invalid UTF-8 and control characters as
 * U+FFFD ('?' in ASCII) and the SVG escapes XML's specials, so a hostile model name cannot
 * break the file or the terminal. Not thread-safe per chart; charts are independent.
 */
#ifndef MB_CHART_H
#define MB_CHART_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The kinds of part, in the order a bar stacks them. */
typedef enum chart_kind {
    CHART_OTHER = 0,  /* memory other processes held before the engine started */
    CHART_WEIGHTS,    /* the model's weights (per rank) */
    CHART_ACTIVATION, /* the allocator's peak increase during profiling */
    CHART_NON_TORCH,  /* memory outside the allocator (NCCL, CUDA context, ...) */
    CHART_NON_KV,     /* weights + activations + non-torch, when only the sum is known */
    CHART_CUDAGRAPH,  /* set aside for CUDA graphs */
    CHART_KV,         /* the KV cache, whole blocks */
    CHART_UNUSED,     /* budgeted for the KV cache but less than a block: not allocated */
    CHART_FREE,       /* free memory (a snapshot) */
    CHART_HEADROOM,   /* left free by the utilization (1 - --gpu-memory-utilization) */
    CHART_KIND_COUNT
} chart_kind;

#define CHART_NO_RANGE INT64_MIN /* low/high of a part without a range */
#define CHART_TEXT_MAX 256       /* bytes kept of a title, subtitle, footer or note */
#define CHART_NAME_MAX 64        /* bytes kept of a bar's name or a part's label */
#define CHART_MAX_PARTS 16       /* parts per bar */

typedef struct chart_part {
    chart_kind kind;
    int64_t bytes;           /* >= 0 */
    int64_t low, high;       /* the range, low <= bytes <= high; CHART_NO_RANGE when none */
    char label[CHART_NAME_MAX]; /* "" for the kind's own name (chart_kind_name) */
} chart_part;

typedef struct chart_bar {
    char name[CHART_NAME_MAX]; /* "cuda:0", "rank 3" */
    int64_t total;             /* the frame: the device's total memory, > 0 */
    int limiting;              /* 1: this bar bounds the others (drawn marked) */
    int nparts;
    chart_part parts[CHART_MAX_PARTS];
} chart_bar;

typedef struct chart {
    char title[CHART_TEXT_MAX];    /* names the model and the device */
    char subtitle[CHART_TEXT_MAX]; /* a line of context ("per rank, 0.92 utilization") */
    char footer[CHART_TEXT_MAX];   /* the command and what the sizes mean */
    char limiting[CHART_TEXT_MAX]; /* why the marked bar is the limiting one ("the least
                                    * free memory"); "" for "its KV cache bounds every
                                    * rank's" */
    int nbars, cap;
    chart_bar *bars;               /* owned; chart_free releases it */
} chart;

/* An empty chart (no allocation). */
void chart_init(chart *c);
/* Releases the bars; c is empty again. */
void chart_free(chart *c);
/* Appends a bar named name (copied, cut at CHART_NAME_MAX - 1 bytes) of total bytes;
 * NULL when out of memory or total <= 0. The pointer is valid until the next add. */
chart_bar *chart_add_bar(chart *c, const char *name, int64_t total);
/* Appends a part (label NULL or "" for the kind's name). Parts of 0 bytes without a range
 * are kept but drawn by no renderer. Negative bytes count as 0. -1 when the bar is full. */
int chart_add_part(chart_bar *b, chart_kind kind, int64_t bytes, const char *label);
/* Sets the last part's range (low <= bytes <= high, both >= 0); -1 when it is not one. */
int chart_set_range(chart_bar *b, int64_t low, int64_t high);

/* The kind's name ("KV cache"), its colour (0xRRGGBB) and its glyphs. */
const char *chart_kind_name(chart_kind k);
const char *chart_kind_key(chart_kind k); /* "kv": the SVG's data-part */
uint32_t chart_kind_rgb(chart_kind k);
const char *chart_part_label(const chart_part *p);
/* The sum of a bar's parts in bytes; the bar's scale is max(total, sum). */
int64_t chart_bar_sum(const chart_bar *b);

/* "14.96 GiB", "512.0 MiB", "12.0 KiB", "17 B": GiB with two decimals from 1 GiB, MiB with
 * one below it, and so on. Returns buf. */
const char *chart_fmt_size(int64_t bytes, char *buf, size_t size);
/* The range in one unit (the high end's): "13.00-16.00 GiB" with ASCII hyphen when
 * ascii, else an en dash. Returns buf. */
const char *chart_fmt_range(int64_t low, int64_t high, int ascii, char *buf, size_t size);

/* The next code point of s (len bytes left, > 0): returns the bytes it takes (>= 1) and
 * sets *cp; an invalid or cut sequence takes one byte and gives 0xFFFD, and so do control
 * characters (C0, DEL, C1), which no picture should carry. */
size_t chart_utf8_next(const char *s, size_t len, uint32_t *cp);

/* ---- the terminal ---------------------------------------------------------------------- */
typedef struct chart_text_options {
    int width;   /* columns, >= 20 (smaller is taken as 20) */
    int unicode; /* 1: block elements and box drawing; 0: ASCII only */
    int colour;  /* 1: ANSI colours (256-colour palette) */
} chart_text_options;

/* The options for a terminal on fd: width from COLUMNS when it is set to a number, else
 * TIOCGWINSZ, else 80; Unicode when ascii is 0 and the locale's codeset (nl_langinfo
 * (CODESET) of the environment's LC_CTYPE, restored after) is UTF-8; colour when fd is a
 * terminal, NO_COLOR is unset and TERM is not "dumb". */
void chart_text_detect(int fd, int ascii, chart_text_options *o);
/* Draws c on out; every line is at most o->width columns. 0, or -1 when out fails. */
int chart_text_write(const chart *c, FILE *out, const chart_text_options *o);

/* ---- files ------------------------------------------------------------------------------ */
#define CHART_DEFAULT_WIDTH 600 /* px; the pictures are laid out to be read at this width */

/* Writes c as SVG 1.1 of width_px (0: the default) to out. 0, or -1 when out fails or out
 * of memory. */
int chart_svg_write(const chart *c, FILE *out, int width_px);
/* 1 when this build can write PNG (cairo was found at build time). */
int chart_png_available(void);
/* Writes c as a PNG of width_px to path. 0, or -1 with a reason in err. */
int chart_png_write(const chart *c, const char *path, int width_px, char *err, size_t errsz);

#endif
