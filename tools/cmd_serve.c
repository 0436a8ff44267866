/* tools/cmd_serve.c: `membudget serve [--listen ADDR:PORT] [--allow-remote]`: serves
 * /metrics (the exposition `membudget metrics` prints) over HTTP through libmicrohttpd.
 *
 * Bounded request handling: one internal polling thread, at most 32 connections (8 per
 * client address), 16 KiB of memory per connection (headers beyond it are refused with
 * 431 by the library), a 5 s idle timeout (a client that trickles bytes is dropped), no
 * request bodies (only GET and HEAD), and a response built per scrape. The address must
 * be a loopback one (127.0.0.0/8, ::1) unless --allow-remote: the figures name processes
 * and cgroups. Ends on SIGINT or SIGTERM with exit 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "metrics.h"

int cmd_serve(int argc, char **argv);

#ifndef MEMBUDGET_HAVE_MHD
int cmd_serve(int argc, char **argv)
{
    (void)argc, (void)argv;
    return cli_fail("serve: this membudget was built without libmicrohttpd (apt-get install "
                    "libmicrohttpd-dev, then rebuild); 'membudget metrics --textfile DIR' "
                    "feeds node_exporter instead");
}
#else
#include <microhttpd.h>

typedef struct serve_state {
    mb_context *ctx;
    int with_procs;
    unsigned long scrapes;
} serve_state;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len, int copy)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload;
    serve_state *s = cls;
    static const char text[] = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        static const char m[] = "only GET and HEAD are served\n";
        *upload_size = 0; /* a body is never read */
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, m, sizeof m - 1, 0);
    }
    if (*upload_size) { /* GET with a body: refuse it */
        static const char m[] = "a GET request carries no body\n";
        *upload_size = 0;
        *con_cls = (void *)1;
        return reply(c, MHD_HTTP_BAD_REQUEST, text, m, sizeof m - 1, 0);
    }
    if (*con_cls)
        return MHD_YES;
    if (strcmp(url, "/metrics") == 0) {
        metrics_buf b = {0};
        int rc = metrics_render(s->ctx, s->with_procs, &b);
        s->scrapes++;
        if (rc) {
            char m[600];
            int n = snprintf(m, sizeof m, "membudget: %s: %s\n", mb_error_message(rc),
                             cli_detail());
            metrics_buf_free(&b);
            return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, m, (size_t)n, 1);
        }
        enum MHD_Result ok = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                                   b.data, b.len, 1);
        metrics_buf_free(&b);
        return ok;
    }
    if (strcmp(url, "/") == 0) {
        static const char m[] = "membudget: the metrics are at /metrics\n";
        return reply(c, MHD_HTTP_OK, text, m, sizeof m - 1, 0);
    }
    static const char m[] = "not found: the metrics are at /metrics\n";
    return reply(c, MHD_HTTP_NOT_FOUND, text, m, sizeof m - 1, 0);
}

/* "127.0.0.1:9464", "[::1]:9464", ":9464" (loopback) into sa. 0 or -1. */
static int parse_listen(const char *in, struct sockaddr_storage *sa, socklen_t *len,
                        int *loopback)
{
    char host[128];
    const char *colon = strrchr(in, ':');
    if (!colon || colon == in + strlen(in) - 1)
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return -1;
    size_t hl = (size_t)(colon - in);
    if (hl >= sizeof host)
        return -1;
    memcpy(host, in, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    if (!host[0])
        snprintf(host, sizeof host, "127.0.0.1");
    memset(sa, 0, sizeof *sa);
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return 0;
    }
    return -1;
}

int cmd_serve(int argc, char **argv)
{
    const char *listen = "127.0.0.1:9464";
    int remote = 0, procs = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--allow-remote") == 0)
            remote = 1;
        else if (strcmp(argv[i], "--no-processes") == 0)
            procs = 0;
        else
            return cli_usage("serve", "unknown or incomplete option '%s'", argv[i]);
    }
    struct sockaddr_storage sa;
    socklen_t salen;
    int loop;
    if (parse_listen(listen, &sa, &salen, &loop) != 0)
        return cli_usage("serve", "--listen '%s': give ADDRESS:PORT with a numeric address, "
                         "e.g. 127.0.0.1:9464 or [::1]:9464", listen);
    if (!loop && !remote)
        return cli_usage("serve", "--listen '%s' is not a loopback address: the metrics name "
                         "processes and cgroups; add --allow-remote to serve them beyond this "
                         "machine", listen);
    /* Signals go to sigwait below; the daemon's thread inherits the blocked mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int rc = mb_device_count(ctx);
    if (rc < 0) {
        mb_context_free(ctx);
        return cli_fail_rc(rc, "serve");
    }
    serve_state s = {ctx, procs, 0};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u,
        MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
        MHD_OPTION_END); /* SO_REUSEADDR only (MHD's default): a port in use is refused */
    if (!d) {
        int e = errno;
        mb_context_free(ctx);
        return cli_fail("serve: cannot listen on %s: %s (is the port taken?)", listen,
                        e ? strerror(e) : "libmicrohttpd refused to start");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char host[64];
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
    else
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof host);
    printf("serving http://%s%s%s:%u/metrics\n", sa.ss_family == AF_INET6 ? "[" : "", host,
           sa.ss_family == AF_INET6 ? "]" : "", port);
    fflush(stdout);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    MHD_stop_daemon(d);
    fprintf(stderr, "membudget serve: stopped by signal %d after %lu scrapes\n", sig,
            s.scrapes);
    mb_context_free(ctx);
    return CLI_OK;
}
#endif
