/* tools/cli_chart.h: the picture options of `plan` and `snapshot` (--chart, --ascii,
 * --svg FILE, --png FILE) and the adapters that fill a chart from a plan or snapshots.
 * The terminal picture is drawn after the text when standard output is a terminal or with
 * --chart / --ascii, never with --json (files may be written with --json). */
#ifndef MB_CLI_CHART_H
#define MB_CLI_CHART_H

#include "chart/chart.h"
#include "membudget.h"
#include "membudget/cluster.h"

/* The options' lines in --help (docs/pictures.md has the pictures). */
#define CLI_CHART_HELP                                                                      \
    "  --chart                  draw the memory picture even when stdout is no terminal\n"  \
    "                           (drawn on a terminal anyway; never with --json)\n"          \
    "  --ascii                  draw it in ASCII (default: Unicode if the locale has it)\n"   \
    "  --svg FILE, --png FILE   write the picture to FILE as SVG or PNG (600 px wide)\n"

typedef struct cli_chart {
    int chart;       /* --chart (or --ascii): draw even when stdout is not a terminal */
    int ascii;       /* --ascii */
    const char *svg; /* --svg FILE */
    const char *png; /* --png FILE */
    chart pic;       /* the picture being filled (zeroed = empty) */
} cli_chart;

/* When argv[*i] is a picture option: consumes it (and its value: *i moves past it) and
 * returns 1; 0 when it is not one; -1 after printing a usage error (CLI_USAGE is due). */
int cli_chart_option(const char *cmd, int argc, char **argv, int *i, cli_chart *cc);
/* CLI_OK, or CLI_USAGE after a message: --chart/--ascii with --json. */
int cli_chart_check(const char *cmd, const cli_chart *cc, int json);
/* 1 when anything is to be drawn or written. */
int cli_chart_wanted(const cli_chart *cc, int json);

/* What an estimate (issue 15) adds to the plan's picture: the parts behind the plan's
 * non-KV figure and its CUDA graphs, each with its range, and the device's name. */
typedef struct cli_chart_estimate {
    const mb_estimate *e; /* NULL: the plan alone */
    int non_kv;           /* 1: the plan's non-KV is e's weights + activation + non-torch */
    int cudagraph;        /* 1: the plan's CUDA graphs are e's */
    const char *device;   /* a named device ("NVIDIA H100 80GB HBM3"), or NULL */
} cli_chart_estimate;

/* The adapter of a plan: one bar of a rank's device (the plan's figures are per rank).
 * est may be NULL. Draws and writes what was asked, frees the picture; CLI_OK or CLI_FAIL
 * (message out). */
int cli_chart_plan(cli_chart *cc, int json, const char *model_path, const mb_snapshot *s,
                   const mb_plan *p, const cli_chart_estimate *est);

/* The adapter of a snapshot: appends one bar (in use, free). model may be NULL or "".
 * CLI_OK or CLI_FAIL (out of memory, message out). */
int cli_chart_add_snapshot(cli_chart *cc, const mb_snapshot *s, const char *model);
/* Titles the snapshot picture, draws and writes it, frees it; CLI_OK or CLI_FAIL. */
int cli_chart_snapshots(cli_chart *cc, int json);
/* The adapter of a cluster document (plan --mpi, snapshot --mpi, merge): one bar per
 * record, the limiting rank marked (a plan's limiting_rank; with snapshots, the least
 * free). command names it in the footer ("plan --mpi"); model_path may be NULL. Draws and
 * writes what was asked, frees the picture; CLI_OK or CLI_FAIL. */
int cli_chart_ranks(cli_chart *cc, int json, const char *command, const char *model_path,
                    const mb_rank_record *all, int n, const mb_agreement *ag);

/* Draws on stdout (after a blank line) and writes the files of a filled picture, then
 * frees it; CLI_OK or CLI_FAIL (message out). */
int cli_chart_emit(cli_chart *cc, int json);
/* The model's name from its path: "llama-3.1-8b.config.json" -> "llama-3.1-8b",
 * "models/Qwen2.5-7B/config.json" and "models/Qwen2.5-7B/" -> "Qwen2.5-7B". */
void cli_chart_model_name(const char *path, char *out, size_t size);
/* Frees the picture (on an error path). */
void cli_chart_free(cli_chart *cc);

#endif
