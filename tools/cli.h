/* tools/cli.h: shared pieces of the membudget command. Exit codes: 0 success, 1 failure
 * (one line on stderr), 2 bad usage. */
#ifndef MB_CLI_H
#define MB_CLI_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
    const char *summary;
    const char *usage;
} cli_command;

extern const cli_command cli_commands[];

/* "membudget: <what>: <library detail>" for a failed library call; returns CLI_FAIL. */
int cli_fail_rc(int rc, const char *what);
/* cli_flags.c: the library's option names in text rewritten into the CLI's flags
 * (docs/errors.md); cli_detail is mb_error_detail so rewritten (a static buffer) */
void cli_flags(char *text, size_t size);
const char *cli_detail(void);
void cli_flags_plan(mb_plan *p);
void cli_flags_estimate(mb_estimate *e);
/* "membudget: <message>"; returns CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "membudget <cmd>: <message>" plus a hint to --help; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A whole number from min to max, no unit, for cmd's flag; a usage error (exit 2) naming
 * the flag, the value and the range otherwise. */
int cli_parse_long(const char *cmd, const char *flag, const char *v, long min, long max,
                   long *out);

/* Opens a context from the environment (MEMBUDGET_SYSROOT, MEMBUDGET_BACKENDS). */
int cli_context(mb_context **ctx);
/* Prints json (and frees it); CLI_FAIL when it cannot be printed. */
int cli_print_json(cJSON *json);
/* Adds text as a JSON string, any byte sequence that is not valid UTF-8 replaced by
 * U+FFFD (a driver's model name, a file's text or an environment value may hold any
 * bytes; cJSON would copy them and the output would not be valid JSON). */
void cli_json_text(cJSON *obj, const char *key, const char *text);
/* Every key and string of the tree made valid UTF-8 (each bad byte U+FFFD): text from
 * config files, the environment and /proc (cJSON escapes the control characters itself).
 * cli_print_json calls it, so every JSON document the CLI writes is valid UTF-8. */
void cli_json_clean(cJSON *item);
/* Adds bytes as a JSON integer (or null for MB_UNKNOWN / "unlimited" handled by caller). */
void cli_json_bytes(cJSON *obj, const char *key, int64_t bytes);
/* A snapshot as a JSON object with the keys every consumer relies on. */
cJSON *cli_snapshot_json(const mb_snapshot *s);
/* "12.5 GiB" style, two decimals. */
const char *cli_gib(int64_t bytes, char *buf, size_t size);

/* tools/cmd_mpi.c: --mpi for snapshot and plan (plan hands itself in, to run per rank). */
int cli_mpi_wanted(int argc, char **argv);
int cli_mpi_snapshot(int argc, char **argv);
int cli_mpi_plan(int argc, char **argv, int (*plan)(int argc, char **argv));

#endif
