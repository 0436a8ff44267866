/* tests/common/testutil.h: small helpers shared by the tests (not part of the library). */
#ifndef MB_TESTUTIL_H
#define MB_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* mkdir -p of the folder that holds path, then writes text to path. Aborts on failure. */
void tu_write(const char *path, const char *text);
/* mkdir -p path. */
void tu_mkdirs(const char *path);
/* A fresh empty folder under MB_TEST_WORK named after name (removed first). */
const char *tu_fresh_dir(const char *name, char *buf, size_t size);
/* Copies file src to dst (creating dst's folder). */
void tu_copy(const char *src, const char *dst);
/* Runs the CLI with args (a shell-quoted string) and extra environment assignments
 * ("A=1 B=2", may be NULL or ""); returns its exit status and its stdout (malloc'd, in
 * *out) and stderr (malloc'd, in *err). */
int tu_run_cli(const char *env, const char *args, char **out, char **err);
/* Reads a whole file (malloc'd); NULL when missing. */
char *tu_slurp(const char *path);
/* The value of key in /proc/meminfo-style text, in bytes; -1 when missing. */
int64_t tu_meminfo(const char *text, const char *key);

/* The number / string under key in object o; fails the running cmocka test when it is
 * missing or of another type. */
struct cJSON;
double tu_json_num(const struct cJSON *o, const char *key);
const char *tu_json_str(const struct cJSON *o, const char *key);

#endif
