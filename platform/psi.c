/*
 * platform/psi.c: pressure stall information (Linux 4.20+, triggers since 5.2;
 * Documentation/accounting/psi.rst): parsing a pressure file and registering a trigger.
 * A trigger is "<some|full> <stall us> <window us>" written to the file opened O_RDWR;
 * the descriptor then polls POLLPRI when the stall within a window crosses the threshold.
 * Unprivileged processes may register triggers whose window is a multiple of 2 s (Linux
 * 6.4+, "psi: allow unprivileged users with CAP_SYS_RESOURCE limits", the same document).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* One line "some avg10=0.00 avg60=0.00 avg300=0.00 total=0". */
static int psi_line(const char *l, double avg[3], int64_t *total)
{
    char *end;
    const char *keys[3] = {"avg10=", "avg60=", "avg300="};
    for (int i = 0; i < 3; i++) {
        const char *p = strstr(l, keys[i]);
        if (!p)
            return MB_EPARSE;
        p += strlen(keys[i]);
        avg[i] = strtod(p, &end);
        if (end == p || avg[i] < 0 || avg[i] > 100)
            return MB_EPARSE;
    }
    const char *p = strstr(l, "total=");
    if (!p)
        return MB_EPARSE;
    p += 6;
    size_t n = strspn(p, "0123456789");
    uint64_t v;
    if (mb__parse_u64(p, n, &v) != MB_OK || v > INT64_MAX)
        return MB_EPARSE;
    *total = (int64_t)v;
    return MB_OK;
}

int mb__psi_parse(const char *text, const char *path, mb_psi_lines *out)
{
    memset(out, 0, sizeof *out);
    out->full[0] = out->full[1] = out->full[2] = -1;
    out->full_total = MB_UNKNOWN;
    int some = 0;
    for (const char *l = text; l && *l;) {
        const char *eol = strchr(l, '\n');
        char line[256];
        size_t len = eol ? (size_t)(eol - l) : strlen(l);
        snprintf(line, sizeof line, "%.*s", (int)(len < 255 ? len : 255), l);
        if (strncmp(line, "some ", 5) == 0) {
            if (psi_line(line, out->some, &out->some_total))
                return mb__error(MB_EPARSE, "%s: '%s' is not a PSI line (some avg10=.. "
                                            "avg60=.. avg300=.. total=..)", path, line);
            some = 1;
        } else if (strncmp(line, "full ", 5) == 0) {
            if (psi_line(line, out->full, &out->full_total))
                return mb__error(MB_EPARSE, "%s: '%s' is not a PSI line (full avg10=.. "
                                            "avg60=.. avg300=.. total=..)", path, line);
        }
        l = eol ? eol + 1 : NULL;
    }
    if (!some)
        return mb__error(MB_EPARSE, "%s has no 'some' line: not a PSI pressure file", path);
    return MB_OK;
}

int mb__psi_trigger(const mb_platform *plat, const char *path, const char *trigger,
                    size_t len)
{
    if (plat->foreign || !trigger)
        return mb__plat_open(plat, path);
    if (mb__fault_hit("open"))
        return mb__error(MB_EIO, "cannot open %s: injected fault", path);
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return mb__error(MB_EIO, "cannot open %s for a PSI trigger: %s", path,
                         strerror(errno));
    ssize_t w;
    do
        w = write(fd, trigger, len);
    while (w < 0 && errno == EINTR);
    if (w < 0 || (size_t)w != len) {
        int e = w < 0 ? errno : EIO;
        close(fd);
        return mb__error(e == EINVAL ? MB_ENOTSUP : MB_EIO,
                         "the kernel refused the PSI trigger '%.*s' on %s: %s%s", (int)len,
                         trigger, path, strerror(e),
                         e == EINVAL ? " (a kernel without PSI triggers, or a window it "
                                       "does not accept)"
                         : e == EPERM || e == EACCES
                             ? " (unprivileged triggers need Linux 6.4 and a window that "
                               "is a multiple of 2 s)"
                             : "");
    }
    return fd;
}

int mb__psi_group(const int *fds, int n)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return mb__error(MB_EIO, "epoll_create1 failed: %s", strerror(errno));
    for (int k = 0; k < n; k++) {
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLPRI;
        ev.data.u32 = (uint32_t)k;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[k], &ev) != 0) {
            int e = errno;
            close(ep);
            return mb__error(MB_EIO, "epoll_ctl on a PSI trigger failed: %s", strerror(e));
        }
    }
    return ep;
}

int mb__psi_wait(int group, double timeout, unsigned *fired)
{
    *fired = 0;
    int ms = timeout < 0 ? -1 : timeout > 2e6 ? 2000000000 : (int)(timeout * 1000 + 0.5);
    struct epoll_event ev[4];
    int n = epoll_wait(group, ev, 4, ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        return mb__error(MB_EIO, "epoll_wait on PSI triggers failed: %s", strerror(errno));
    }
    for (int k = 0; k < n; k++) {
        if (ev[k].events & (EPOLLERR | EPOLLHUP))
            return mb__error(MB_EIO, "a PSI trigger's file went away (its cgroup was "
                                     "removed?); watch again");
        if (ev[k].events & EPOLLPRI)
            *fired |= 1u << ev[k].data.u32;
    }
    return n;
}

void mb__sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL); /* a signal ends it early: the caller looks at its flag */
}
