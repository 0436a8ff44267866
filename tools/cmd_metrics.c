/* tools/cmd_metrics.c: `membudget metrics [--textfile DIR] [--no-processes]`: every figure
 * in Prometheus' text exposition format on stdout, or written atomically (a temporary
 * file in DIR, fsync, rename) as DIR/membudget.prom for node_exporter's textfile
 * collector, which reads *.prom files only and so never sees the temporary one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "metrics.h"

int cmd_metrics(int argc, char **argv);

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int textfile(const char *dir, const metrics_buf *b)
{
    char tmp[4096], dst[4096];
    snprintf(dst, sizeof dst, "%s/membudget.prom", dir);
    snprintf(tmp, sizeof tmp, "%s/.membudget.prom.%ld.tmp", dir, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return cli_fail("cannot create %s: %s (give a folder node_exporter's "
                        "--collector.textfile.directory reads, writable by this user)", tmp,
                        strerror(errno));
    if (write_all(fd, b->data, b->len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return cli_fail("cannot write %s: %s", tmp, strerror(e));
    }
    if (close(fd) != 0 || rename(tmp, dst) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_fail("cannot move %s to %s: %s", tmp, dst, strerror(e));
    }
    return CLI_OK;
}

int cmd_metrics(int argc, char **argv)
{
    const char *dir = NULL;
    int procs = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--textfile") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--no-processes") == 0)
            procs = 0;
        else
            return cli_usage("metrics", "unknown or incomplete option '%s'", argv[i]);
    }
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    metrics_buf b = {0};
    int rc = metrics_render(ctx, procs, &b);
    mb_context_free(ctx);
    if (rc) {
        metrics_buf_free(&b);
        return cli_fail_rc(rc, "metrics");
    }
    int out;
    if (dir)
        out = textfile(dir, &b);
    else
        out = fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0
                  ? CLI_OK
                  : cli_fail("cannot write the metrics to stdout: %s", strerror(errno));
    metrics_buf_free(&b);
    return out;
}
