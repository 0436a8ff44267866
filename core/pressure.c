/*
 * core/pressure.c: mb_pressure_watch (issue 18): PSI triggers on the memory pressure
 * file, a callback per event, the UMA release on request, and the documented polling
 * fallback (docs/operators.md, "Pressure events"):
 *  - psi-trigger: the kernel wakes us only when a trigger fires (at most once per window
 *    per trigger, as the kernel rate-limits them);
 *  - psi-poll: the file exists but triggers cannot be registered (kernels 4.20 .. 5.1,
 *    an unprivileged process on kernels before 6.4, a machine dump): the cumulative stall
 *    totals are read every poll_interval and the same rule (stall within the last window
 *    >= threshold, once per window) decides;
 *  - meminfo-poll: no PSI at all (CONFIG_PSI off, or psi=0 on the kernel command line):
 *    MemAvailable is read every poll_interval and an event ("low") fires when it falls
 *    to (1 - pressure_threshold) of MemTotal (vLLM's rule, mb_pressure_release),
 *    at most once per window.
 * Events can be injected by the fault layer (site "pressure.event") for tests.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "../platform/platform.h"
#include "../platform/proc.h"
#include "membudget/operators.h"

#define MAX_SAMPLES 256

struct mb_pressure_watch {
    mb_context *ctx;
    mb_pressure_watch_options o;
    mb_pressure_options rel;
    int32_t mode;
    char path[PATH_MAX];
    char reason[MB_REASON_MAX];
    int fds[2];
    char kinds[2][8];
    int nfds;
    int group; /* epoll over fds, -1 when polling */
    double next_poll;
    double last_fire[2];
    int ns;
    struct {
        double t;
        int64_t some, full;
    } s[MAX_SAMPLES];
};

const char *mb_pressure_watch_mode_name(int32_t m)
{
    switch (m) {
    case MB_WATCH_TRIGGER:
        return "psi-trigger";
    case MB_WATCH_PSI_POLL:
        return "psi-poll";
    case MB_WATCH_MEMINFO_POLL:
        return "meminfo-poll";
    case MB_WATCH_OFF:
        return "off";
    default:
        return "unknown";
    }
}

/* out is the library's size (core/abi.c) */
int mb__psi_read(mb_context *ctx, const char *path, mb_psi *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_psi_read: out is NULL");
    memset((char *)out + sizeof out->size, 0, sizeof *out - sizeof out->size);
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_psi_read: ctx is NULL");
    if (!path)
        path = "/proc/pressure/memory";
    char buf[1024];
    long n = mb__plat_read(&ctx->plat, path, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    mb_psi_lines l;
    int rc = mb__psi_parse(buf, path, &l);
    if (rc)
        return rc;
    out->some_avg10 = l.some[0], out->some_avg60 = l.some[1], out->some_avg300 = l.some[2];
    out->full_avg10 = l.full[0], out->full_avg60 = l.full[1], out->full_avg300 = l.full[2];
    out->some_total_us = l.some_total;
    out->full_total_us = l.full_total;
    return MB_OK;
}

/* RFC 4648 base64 (systemd's MEMORY_PRESSURE_WRITE); length or -1. */
static long unbase64(const char *in, unsigned char *out, size_t cap)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        const char *q = strchr(al, *p);
        if (!q || !*p)
            return -1;
        acc = (acc << 6) | (unsigned)(q - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= cap)
                return -1;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    return (long)n;
}

static void close_fds(mb_pressure_watch *w)
{
    for (int k = 0; k < w->nfds; k++)
        close(w->fds[k]);
    w->nfds = 0;
    if (w->group >= 0)
        close(w->group);
    w->group = -1;
}

/* Which file: the option, systemd's variable, the cgroup's, the host's. Returns 1 when
 * watching is off ($MEMORY_PRESSURE_WATCH=/dev/null). */
static int choose_path(mb_pressure_watch *w, unsigned char *write, long *wlen)
{
    *wlen = -1;
    const mb_platform *plat = &w->ctx->plat;
    if (w->o.path) {
        snprintf(w->path, sizeof w->path, "%s", w->o.path);
        snprintf(w->reason, sizeof w->reason, "the path given");
        return 0;
    }
    int too_long = 0;
    const char *env = mb__plat_env(plat, "MEMORY_PRESSURE_WATCH", &too_long);
    if (env && *env) {
        if (strcmp(env, "/dev/null") == 0) {
            snprintf(w->reason, sizeof w->reason, "MEMORY_PRESSURE_WATCH=/dev/null: the "
                     "service manager turned memory pressure watching off");
            return 1;
        }
        snprintf(w->path, sizeof w->path, "%s", env);
        const char *wr = mb__plat_env(plat, "MEMORY_PRESSURE_WRITE", NULL);
        if (wr && *wr) {
            *wlen = unbase64(wr, write, 256);
            if (*wlen < 0)
                return mb__error(MB_EENV, "MEMORY_PRESSURE_WRITE='%.60s' is not base64 of a "
                                          "PSI trigger (256 bytes at most)", wr);
        }
        snprintf(w->reason, sizeof w->reason, "MEMORY_PRESSURE_WATCH%s",
                 *wlen >= 0 ? " with MEMORY_PRESSURE_WRITE's trigger" : "");
        return 0;
    }
    mb_cg_where cg;
    if (mb__cgroup_locate(plat, "memory", &cg) == 1 && cg.version == 2) {
        snprintf(w->path, sizeof w->path, "%s/memory.pressure", cg.dir);
        if (mb__plat_exists(plat, w->path)) {
            snprintf(w->reason, sizeof w->reason, "this process's cgroup v2 %s", cg.path);
            return 0;
        }
    }
    snprintf(w->path, sizeof w->path, "/proc/pressure/memory");
    snprintf(w->reason, sizeof w->reason, "the host's (no cgroup v2 memory.pressure)");
    return 0;
}

int mb__pressure_watch_init(mb_pressure_watch **out, mb_context *ctx,
                            const mb_pressure_watch_options *opts)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_pressure_watch_init: out is NULL");
    *out = NULL;
    if (!ctx)
        return mb__error(MB_EINVAL, "mb_pressure_watch_init: ctx is NULL");
    mb_pressure_watch_options o = MB_PRESSURE_WATCH_OPTIONS_INIT;
    if (opts) /* core/abi.c made it the library's size */
        o = *opts;
    if (o.some_us < 0 || o.full_us < 0 || (o.some_us == 0 && o.full_us == 0) ||
        o.window_us < 500000 || o.window_us > 10000000 || o.some_us > o.window_us ||
        o.full_us > o.window_us || !(o.poll_interval > 0))
        return mb__error(MB_EINVAL, "pressure watch options: some %lld us, full %lld us, "
                         "window %lld us, poll %g s: the window must lie in 500 ms .. 10 s "
                         "(the kernel's bounds), the thresholds in 0 .. window (not both 0), "
                         "the interval above 0", (long long)o.some_us, (long long)o.full_us,
                         (long long)o.window_us, o.poll_interval);
    mb_pressure_watch *w = mb__calloc(1, sizeof *w);
    if (!w)
        return mb__error(MB_ENOMEM, "no memory for a pressure watch");
    w->ctx = ctx;
    w->o = o;
    w->o.path = NULL;
    w->group = -1;
    mb_pressure_options rel = MB_PRESSURE_OPTIONS_INIT;
    w->rel = rel;
    if (o.release_opts) {
        /* the caller's struct may be another release's: only its size, over defaults */
        uint32_t n = o.release_opts->size;
        if (n < sizeof(uint32_t) || n > 65536) {
            mb__free(w);
            return mb__error(MB_EINVAL, "pressure watch options: release_opts->size is %u: "
                             "initialise it with MB_PRESSURE_OPTIONS_INIT", n);
        }
        memcpy((char *)&w->rel + sizeof(uint32_t), (const char *)o.release_opts + sizeof(uint32_t),
               (n < sizeof w->rel ? n : sizeof w->rel) - sizeof(uint32_t));
    }
    unsigned char write[257];
    long wlen;
    int rc = choose_path(w, write, &wlen);
    if (rc < 0) {
        mb__free(w);
        return rc;
    }
    if (rc == 1) {
        w->mode = MB_WATCH_OFF;
        *out = w;
        return MB_OK;
    }
    const mb_platform *plat = &ctx->plat;
    int have_psi = mb__plat_exists(plat, w->path);
    char why[MB_REASON_MAX] = "";
    if (have_psi && !o.force_poll && !plat->foreign) {
        char trig[2][64];
        size_t len[2];
        int nt = 0;
        if (wlen >= 0) { /* systemd's trigger, verbatim */
            memcpy(trig[0], write, (size_t)(wlen < 63 ? wlen : 63));
            len[0] = (size_t)(wlen < 63 ? wlen : 63);
            snprintf(w->kinds[0], sizeof w->kinds[0], "%s",
                     len[0] >= 4 && memcmp(write, "full", 4) == 0 ? "full" : "some");
            nt = 1;
        } else {
            if (o.some_us > 0) {
                len[nt] = (size_t)snprintf(trig[nt], 64, "some %lld %lld", (long long)o.some_us,
                                           (long long)o.window_us) + 1;
                snprintf(w->kinds[nt++], 8, "some");
            }
            if (o.full_us > 0) {
                len[nt] = (size_t)snprintf(trig[nt], 64, "full %lld %lld", (long long)o.full_us,
                                           (long long)o.window_us) + 1;
                snprintf(w->kinds[nt++], 8, "full");
            }
        }
        rc = MB_OK;
        for (int k = 0; k < nt && rc == MB_OK; k++) {
            int fd = mb__psi_trigger(plat, w->path, trig[k], len[k]);
            if (fd < 0)
                rc = fd;
            else
                w->fds[w->nfds++] = fd;
        }
        if (rc == MB_OK) {
            w->group = mb__psi_group(w->fds, w->nfds);
            if (w->group < 0)
                rc = w->group;
        }
        if (rc == MB_OK) {
            w->mode = MB_WATCH_TRIGGER;
            size_t l = strlen(w->reason);
            snprintf(w->reason + l, sizeof w->reason - l, "; %d trigger%s registered", w->nfds,
                     w->nfds > 1 ? "s" : "");
            *out = w;
            return MB_OK;
        }
        if (rc == MB_ENOMEM) {
            close_fds(w);
            mb__free(w);
            return rc;
        }
        snprintf(why, sizeof why, "; polling: %s", mb_error_detail());
        close_fds(w);
    } else if (have_psi) {
        snprintf(why, sizeof why, "; polling: %s",
                 o.force_poll ? "asked to" : "a machine dump has no kernel to register "
                                             "triggers with");
    }
    if (have_psi) {
        w->mode = MB_WATCH_PSI_POLL;
    } else {
        w->mode = MB_WATCH_MEMINFO_POLL;
        snprintf(why, sizeof why, "; %s does not exist (a kernel without PSI): polling "
                 "MemAvailable", w->path);
    }
    size_t l = strlen(w->reason);
    snprintf(w->reason + l, sizeof w->reason - l, "%s (every %g s)", why, o.poll_interval);
    *out = w;
    return MB_OK;
}

/* Fills ev from the files now and runs the release when asked. */
static void fill_event(mb_pressure_watch *w, const char *kind, int injected, mb_pressure_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->size = sizeof *ev;
    ev->timestamp = mb__clock_wall();
    snprintf(ev->kind, sizeof ev->kind, "%s", kind);
    ev->injected = injected;
    ev->some_avg10 = ev->full_avg10 = -1;
    ev->some_total_us = ev->full_total_us = MB_UNKNOWN;
    ev->host_available = ev->host_total = MB_UNKNOWN;
    mb_psi p = MB_PSI_INIT;
    if (w->mode != MB_WATCH_MEMINFO_POLL && mb__psi_read(w->ctx, w->path, &p) == MB_OK) {
        ev->some_avg10 = p.some_avg10;
        ev->full_avg10 = p.full_avg10;
        ev->some_total_us = p.some_total_us;
        ev->full_total_us = p.full_total_us;
    }
    mb_host_memory h;
    if (mb__plat_host_memory(&w->ctx->plat, &h) == MB_OK) {
        ev->host_available = h.available;
        ev->host_total = h.total;
    }
    if (w->o.release_device >= 0 && w->o.release_alloc) {
        mb_pressure_result r = MB_PRESSURE_RESULT_INIT;
        ev->release_tried = 1;
        ev->release_rc = mb__pressure_release(w->ctx, w->o.release_device, w->o.release_alloc,
                                              &w->rel, &r);
        ev->released = r.released;
        ev->releasable = r.releasable;
        snprintf(ev->release_reason, sizeof ev->release_reason, "%s",
                 ev->release_rc ? mb_error_detail() : r.reason);
    }
}

/* One poll: 1 bit per kind that fires now. */
static unsigned poll_once(mb_pressure_watch *w, double now, char kinds[2][8])
{
    unsigned fired = 0;
    double win = (double)w->o.window_us / 1e6;
    if (w->mode == MB_WATCH_MEMINFO_POLL) {
        snprintf(kinds[0], 8, "low");
        mb_host_memory h;
        if (mb__plat_host_memory(&w->ctx->plat, &h) == MB_OK &&
            (double)h.available <= (1.0 - w->rel.pressure_threshold) * (double)h.total &&
            now - w->last_fire[0] >= win) {
            w->last_fire[0] = now;
            fired = 1;
        }
        return fired;
    }
    mb_psi p = MB_PSI_INIT;
    if (mb__psi_read(w->ctx, w->path, &p) != MB_OK)
        return 0;
    if (w->ns == MAX_SAMPLES) {
        memmove(&w->s[0], &w->s[1], sizeof w->s[0] * (MAX_SAMPLES - 1));
        w->ns--;
    }
    w->s[w->ns].t = now;
    w->s[w->ns].some = p.some_total_us;
    w->s[w->ns].full = p.full_total_us;
    w->ns++;
    int base = 0; /* the oldest sample within the window */
    while (base < w->ns - 1 && now - w->s[base].t > win)
        base++;
    if (base > 0) { /* keep one sample at the window's edge */
        memmove(&w->s[0], &w->s[base - 1], sizeof w->s[0] * (size_t)(w->ns - base + 1));
        w->ns -= base - 1;
        base = 1;
    }
    const int64_t thr[2] = {w->o.some_us, w->o.full_us};
    snprintf(kinds[0], 8, "some");
    snprintf(kinds[1], 8, "full");
    for (int k = 0; k < 2; k++) {
        int64_t a = k ? w->s[0].full : w->s[0].some;
        int64_t b = k ? p.full_total_us : p.some_total_us;
        if (thr[k] > 0 && a != MB_UNKNOWN && b != MB_UNKNOWN && w->ns > 1 &&
            b - a >= thr[k] && now - w->last_fire[k] >= win) {
            w->last_fire[k] = now;
            fired |= 1u << k;
        }
    }
    return fired;
}

MB__API(mb_pressure_watch_wait, (mb_pressure_watch *w, double timeout, mb_pressure_cb cb,
                                 void *user),
        (w, timeout, cb, user))
{
    if (!w || !cb)
        return mb__error(MB_EINVAL, "mb_pressure_watch_wait: watch or callback is NULL");
    mb_pressure_event ev;
    if (mb__fault_hit("pressure.event")) { /* tests: an event as if a trigger fired */
        fill_event(w, w->nfds ? w->kinds[0] : "some", 1, &ev);
        (void)cb(user, &ev);
        return 1;
    }
    if (w->mode == MB_WATCH_OFF) {
        if (timeout != 0)
            mb__sleep(timeout < 0 ? 3600 : timeout);
        return 0;
    }
    if (w->mode == MB_WATCH_TRIGGER) {
        unsigned fired;
        int n = mb__psi_wait(w->group, timeout, &fired);
        if (n <= 0)
            return n;
        int delivered = 0;
        for (int k = 0; k < w->nfds; k++)
            if (fired & (1u << k)) {
                fill_event(w, w->kinds[k], 0, &ev);
                delivered++;
                if (cb(user, &ev))
                    break;
            }
        return delivered;
    }
    double start = mb__clock_mono();
    for (;;) {
        double now = mb__clock_mono();
        if (w->next_poll <= now) {
            char kinds[2][8];
            unsigned fired = poll_once(w, now, kinds);
            w->next_poll = now + w->o.poll_interval;
            int delivered = 0;
            for (int k = 0; k < 2; k++)
                if (fired & (1u << k)) {
                    fill_event(w, kinds[k], 0, &ev);
                    delivered++;
                    if (cb(user, &ev))
                        break;
                }
            if (delivered)
                return delivered;
        }
        double left = timeout < 0 ? w->next_poll - now : start + timeout - now;
        if (left <= 0)
            return 0;
        double nap = w->next_poll - now < left ? w->next_poll - now : left;
        double before = mb__clock_mono();
        mb__sleep(nap);
        if (mb__clock_mono() - before < nap * 0.999)
            return 0; /* a signal: let the caller look at its flag */
    }
}

int32_t mb_pressure_watch_get_mode(const mb_pressure_watch *w) { return w ? w->mode : 0; }
const char *mb_pressure_watch_get_path(const mb_pressure_watch *w) { return w ? w->path : ""; }
const char *mb_pressure_watch_get_reason(const mb_pressure_watch *w) { return w ? w->reason : ""; }
int mb_pressure_watch_get_fd(const mb_pressure_watch *w) { return w ? w->group : -1; }

void mb_pressure_watch_free(mb_pressure_watch *w)
{
    if (!w)
        return;
    close_fds(w);
    mb__free(w);
}
