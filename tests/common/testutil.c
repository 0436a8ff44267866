/* tests/common/testutil.c: helpers shared by the tests. */
#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

static void die(const char *what, const char *path)
{
    fprintf(stderr, "test setup: %s %s: %s\n", what, path, strerror(errno));
    abort();
}

void tu_mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                die("mkdir", tmp);
            *p = '/';
        }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        die("mkdir", tmp);
}

void tu_write(const char *path, const char *text)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        tu_mkdirs(dir);
    }
    FILE *f = fopen(path, "w");
    if (!f)
        die("fopen", path);
    fputs(text, f);
    if (fclose(f) != 0)
        die("fclose", path);
}

const char *tu_fresh_dir(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", MB_TEST_WORK, name);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", buf);
    if (system(cmd) != 0)
        die("rm -rf", buf);
    tu_mkdirs(buf);
    return buf;
}

char *tu_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t n;
    while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            s = realloc(s, cap);
        }
    }
    s[len] = '\0';
    fclose(f);
    return s;
}

void tu_copy(const char *src, const char *dst)
{
    char *s = tu_slurp(src);
    if (!s)
        die("read", src);
    tu_write(dst, s);
    free(s);
}

int tu_run_cli(const char *env, const char *args, char **out, char **err)
{
    char o[4096], e[4096], cmd[8192];
    snprintf(o, sizeof o, "%s/cli.%d.out", MB_TEST_WORK, (int)getpid());
    snprintf(e, sizeof e, "%s/cli.%d.err", MB_TEST_WORK, (int)getpid());
    snprintf(cmd, sizeof cmd, "env %s '%s' %s >'%s' 2>'%s' </dev/null", env ? env : "",
             MB_CLI, args, o, e);
    int st = system(cmd);
    *out = tu_slurp(o);
    *err = tu_slurp(e);
    remove(o);
    remove(e);
    if (!*out)
        *out = strdup("");
    if (!*err)
        *err = strdup("");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int64_t tu_meminfo(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        const char *q = p;
        if (strncmp(q, "Node ", 5) == 0) {
            q += 5;
            while (*q >= '0' && *q <= '9')
                q++;
            while (*q == ' ')
                q++;
        }
        if (strncmp(q, key, kl) == 0 && q[kl] == ':') {
            long long v = strtoll(q + kl + 1, NULL, 10);
            return strstr(q, " kB") && strstr(q, " kB") < strchr(q, '\n') ? v * 1024 : v;
        }
    }
    return -1;
}

double tu_json_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        fail_msg("\"%s\" is not a number", key);
    return v->valuedouble;
}

const char *tu_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        fail_msg("\"%s\" is not a string", key);
    return v->valuestring;
}
