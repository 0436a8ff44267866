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
#include "membudget/operators.h"

int cmd_gather(int argc, char **argv);

typedef struct gather {
    const char *dir;
    int copied;
    int skipped;
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

/* Other processes' files (issue 18) come and go, and another user's numa_maps or fdinfo
 * cannot be read: those are counted, not fatal. */
static int copy_proc(void *user, const char *path)
{
    gather *g = user;
    char dst[8192];
    snprintf(dst, sizeof dst, "%s%s", g->dir, path);
    if (make_parents(dst) != 0 || copy_file(path, dst) != 0) {
        unlink(dst);
        g->skipped++;
        return 0;
    }
    g->copied++;
    return 0;
}

/* The PID namespace this dump's /proc belongs to, as a plain file (the live one is a
 * link): process attribution reads it to tell host PIDs from this namespace's. */
static int write_ns(gather *g)
{
    char link[64], dst[8192];
    ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
    if (n <= 0)
        return 0;
    link[n] = '\n';
    snprintf(dst, sizeof dst, "%s/proc/self/ns/pid", g->dir);
    if (make_parents(dst) != 0)
        return -1;
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, link, (size_t)n + 1) != n + 1) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    g->copied++;
    return close(fd);
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
    gather g = {dir, 0, 0, ""};
    int rc = mb_context_list_files(ctx, copy_one, &g);
    if (rc == 0)
        rc = mb_process_list_files(ctx, copy_proc, &g);
    if (rc == 0 && write_ns(&g) != 0)
        return mb_context_free(ctx),
               cli_fail("gather: cannot write %s/proc/self/ns/pid: %s", dir, strerror(errno));
    mb_context_free(ctx);
    if (rc == -1 && g.failed[0])
        return cli_fail("gather: %s", g.failed);
    if (rc)
        return cli_fail_rc(rc, "gather");
    printf("copied %d files into %s; read them back with MEMBUDGET_SYSROOT=%s membudget "
           "snapshot\n", g.copied, dir, dir);
    if (g.skipped)
        printf("%d files of other processes could not be read (they exited, or belong to "
               "another user: run as root to include them)\n", g.skipped);
    return CLI_OK;
}
