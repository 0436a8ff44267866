/* tools/cmd_gather.c: `membudget gather DIR`: copies every /proc and /sys file the library
 * reads on this machine into DIR (following symbolic links, so /proc/self/status becomes a
 * plain file), so that `MEMBUDGET_SYSROOT=DIR membudget snapshot` reproduces this machine's
 * figures elsewhere. The list of files comes from the library (mb_context_list_files): it is the
 * same walk the library does, so a dump never lacks a file the library would read. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cmd_gather(int argc, char **argv);

typedef struct gather {
    const char *dir;
    int copied;
    char failed[1024];
} gather;

/* mkdir -p of the folder that holds path. */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            int ok = mkdir(path, 0755) == 0 || errno == EEXIST;
            *p = '/';
            if (!ok)
                return -1;
        }
    return 0;
}

/* Reads src to its end (a /proc file reports size 0, so stat cannot size it) and writes
 * the bytes to dst. */
static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    int e = errno;
    close(in);
    if (close(out) != 0 && rc == 0)
        rc = -1, e = errno;
    errno = e;
    return rc;
}

static int copy_one(void *user, const char *path)
{
    gather *g = user;
    char dst[8192];
    snprintf(dst, sizeof dst, "%s%s", g->dir, path);
    if (make_parents(dst) != 0 || copy_file(path, dst) != 0) {
        snprintf(g->failed, sizeof g->failed, "cannot copy %s to %s: %s", path, dst,
                 strerror(errno));
        return -1;
    }
    g->copied++;
    return 0;
}

int cmd_gather(int argc, char **argv)
{
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            return cli_usage("gather", "unknown option '%s'", argv[i]);
        if (dir)
            return cli_usage("gather", "one folder only ('%s' and '%s' given)", dir, argv[i]);
        dir = argv[i];
    }
    if (!dir)
        return cli_usage("gather", "give the folder to write the dump into");
    const char *root = getenv("MEMBUDGET_SYSROOT");
    if (root && *root && strcmp(root, "/") != 0)
        return cli_fail("gather copies this machine's files; unset MEMBUDGET_SYSROOT (it "
                        "points at %s)", root);
    char abs[4096];
    if (dir[0] != '/') {
        if (!getcwd(abs, sizeof abs))
            return cli_fail("cannot find the current folder: %s", strerror(errno));
        size_t l = strlen(abs);
        snprintf(abs + l, sizeof abs - l, "/%s", dir);
        dir = abs;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return cli_fail("cannot create %s: %s", dir, strerror(errno));
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    gather g = {dir, 0, ""};
    int rc = mb_context_list_files(ctx, copy_one, &g);
    mb_context_free(ctx);
    if (rc == -1 && g.failed[0])
        return cli_fail("gather: %s", g.failed);
    if (rc)
        return cli_fail_rc(rc, "gather");
    printf("copied %d files into %s; read them back with MEMBUDGET_SYSROOT=%s membudget "
           "snapshot\n", g.copied, dir, dir);
    return CLI_OK;
}
