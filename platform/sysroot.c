/*
 * platform/sysroot.c: layer 3, the sysroot file layer and the platform's cache slots
 * (sysroot.h). Every /proc, /sys and /etc read goes through here, relative to the sysroot. Under a foreign root, paths resolve as if the root were "/" (openat2 with
 * RESOLVE_IN_ROOT, so neither ".." nor an absolute symlink in a machine dump escapes it);
 * on kernels without openat2 the resolved path is checked to stay under the root.
 */
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sysroot.h"

int mb__sysroot_open(mb_platform *plat, const char *real, const char *from, const char *given)
{
    snprintf(plat->root, sizeof plat->root, "%s", real);
    plat->rootfd = -1;
    plat->foreign = strcmp(real, "/") != 0;
    if (plat->foreign) {
        plat->rootfd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (plat->rootfd < 0)
            return mb__error(MB_EINVAL, "%s='%s' cannot be opened: %s", from, given,
                             strerror(errno));
    }
    return MB_OK;
}

void mb__sysroot_close(mb_platform *plat)
{
    if (plat->rootfd >= 0) {
        close(plat->rootfd);
        plat->rootfd = -1;
    }
}

void *mb__plat_cache_get(const mb_platform *plat, int slot)
{
    return atomic_load(&plat->cache[slot].value);
}

void *mb__plat_cache_put(const mb_platform *plat, int slot, void *value,
                         void (*release)(void *value))
{
    mb_plat_cache *c = &((mb_platform *)plat)->cache[slot];
    atomic_store(&c->release, release); /* every writer stores the same function */
    void *expected = NULL;
    if (atomic_compare_exchange_strong(&c->value, &expected, value))
        return value;
    return expected;
}

void mb__plat_cache_release_all(mb_platform *plat)
{
    for (int i = 0; i < MB_CACHE_SLOTS; i++) {
        void *v = atomic_exchange(&plat->cache[i].value, NULL);
        void (*release)(void *) = atomic_load(&plat->cache[i].release);
        if (v && release)
            release(v);
    }
}

const char *mb__plat_root(const mb_platform *plat) { return plat->root; }
int mb__plat_foreign(const mb_platform *plat) { return plat->foreign; }

/* Checks that descriptor fd resolves under the root (the fallback without openat2). */
static int beneath_root(const mb_platform *plat, int fd)
{
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return 0;
    target[n] = '\0';
    size_t rl = strlen(plat->root);
    return strncmp(target, plat->root, rl) == 0 && (target[rl] == '/' || target[rl] == '\0');
}

/* Opens rel under the root with flags (O_RDONLY, or O_PATH to test existence): symlinks
 * and ".." resolve inside the root (openat2 RESOLVE_IN_ROOT), or the result is checked to
 * lie beneath it where the kernel lacks openat2. */
static int open_foreign(const mb_platform *plat, const char *rel, int flags)
{
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd = (int)syscall(SYS_openat2, plat->rootfd, rel, &how, sizeof how);
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
        return fd;
#endif
    int fd2 = openat(plat->rootfd, rel, flags | O_CLOEXEC);
    if (fd2 >= 0 && !beneath_root(plat, fd2)) {
        close(fd2);
        errno = EXDEV;
        return -1;
    }
    return fd2;
}

/* The open behind mb__plat_open and mb__plat_open_if: absent_ok makes ENOENT and ENOTDIR
 * return MB__ABSENT with no detail. */
#define MB__ABSENT (-1000)
static int plat_open(const mb_platform *plat, const char *path, int absent_ok)
{
    if (!path || path[0] != '/')
        return mb__error(MB_EINVAL, "internal: path '%s' is not absolute", path ? path : "");
    if (mb__fault_hit("open"))
        return mb__error(MB_EIO, "cannot open %s%s: injected fault",
                         plat->foreign ? plat->root : "", path);
    int fd;
    if (plat->foreign) {
        const char *rel = path;
        while (*rel == '/')
            rel++;
        fd = open_foreign(plat, *rel ? rel : ".", O_RDONLY | O_NONBLOCK);
    } else {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    }
    if (fd < 0) {
        int e = errno;
        if (absent_ok && (e == ENOENT || e == ENOTDIR))
            return MB__ABSENT;
        if (e == EXDEV)
            return mb__error(MB_EIO, "%s%s resolves outside the sysroot %s; refusing to read "
                                     "it", plat->root, path, plat->root);
        return mb__error(MB_EIO, "cannot open %s%s: %s", plat->foreign ? plat->root : "", path,
                         strerror(e));
    }
    /* O_NONBLOCK above: opening a FIFO must not wait for a writer. procfs and sysfs files
     * are regular; a folder is opened to list it. Anything else (a FIFO, a socket, a
     * device node in a dump or on the machine) is refused before anything reads it. */
    struct stat st;
    int srs = fstat(fd, &st);
    int e = errno;
    if (srs != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
        close(fd);
        if (srs != 0)
            return mb__error(MB_EIO, "cannot stat %s%s: %s", plat->foreign ? plat->root : "",
                             path, strerror(e));
        return mb__error(MB_EIO, "%s%s is a %s, not a regular file; the library reads only "
                                 "regular files (replace it with the file from the machine)",
                         plat->foreign ? plat->root : "", path,
                         S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket"
                         : S_ISCHR(st.st_mode) ? "character device"
                         : S_ISBLK(st.st_mode) ? "block device" : "special file");
    }
    return fd;
}

int mb__plat_open(const mb_platform *plat, const char *path)
{
    return plat_open(plat, path, 0);
}

int mb__plat_open_if(const mb_platform *plat, const char *path, int *fd)
{
    *fd = -1;
    int rc = plat_open(plat, path, 1);
    if (rc == MB__ABSENT)
        return 0;
    if (rc < 0)
        return rc;
    *fd = rc;
    return 1;
}

long mb__plat_read_if(const mb_platform *plat, const char *path, char *buf, size_t size,
                      int *present)
{
    *present = 0;
    if (size)
        buf[0] = '\0';
    int fd;
    int rc = mb__plat_open_if(plat, path, &fd);
    if (rc <= 0)
        return rc;
    *present = 1;
    long n = mb__plat_pread(fd, path, buf, size);
    close(fd);
    return n;
}

long mb__plat_pread(int fd, const char *path, char *buf, size_t size)
{
    if (size < 2)
        return mb__error(MB_ENOSPACE, "internal: buffer for %s too small", path);
    if (mb__fault_hit("read"))
        return mb__error(MB_EIO, "cannot read %s: injected fault", path);
    size_t got = 0;
    for (;;) {
        ssize_t n = pread(fd, buf + got, size - 1 - got, (off_t)got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return mb__error(MB_EIO, "cannot read %s: %s", path, strerror(errno));
        }
        if (n == 0)
            break;
        got += (size_t)n;
        /* A short read is not the end: seq_file hands out about a page per read for
         * record-per-line files (/proc/self/mountinfo on a busy node runs to hundreds of
         * KiB), and sysfs cpulists are paged on large machines. Read until 0. */
        if (got == size - 1) {
            char extra;
            ssize_t more = pread(fd, &extra, 1, (off_t)got);
            if (more > 0)
                return mb__error(MB_ENOSPACE, "%s is larger than the %zu bytes expected of it",
                                 path, size - 1);
            break;
        }
    }
    buf[got] = '\0';
    return (long)got;
}

long mb__plat_read(const mb_platform *plat, const char *path, char *buf, size_t size)
{
    int fd = mb__plat_open(plat, path);
    if (fd < 0)
        return fd;
    long n = mb__plat_pread(fd, path, buf, size);
    close(fd);
    return n;
}

int mb__plat_exists(const mb_platform *plat, const char *path)
{
    if (!plat->foreign)
        return access(path, F_OK) == 0;
    const char *rel = path;
    while (*rel == '/')
        rel++;
    /* resolved as an open would be, so a symlink or ".." cannot point the test outside */
    int fd = open_foreign(plat, *rel ? rel : ".", O_PATH);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

int mb__plat_list(const mb_platform *plat, const char *path,
                  int (*each)(void *user, const char *name), void *user)
{
    int fd, present = mb__plat_open_if(plat, path, &fd); /* one open: ENOENT is absent */
    if (present <= 0)
        return present;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return mb__error(MB_EIO, "cannot list %s%s: %s", plat->foreign ? plat->root : "",
                         path, strerror(e));
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = each(user, e->d_name);
    closedir(d);
    return rc;
}
