/* platform/dl.c: dynamic loading of vendor libraries by versioned soname only, never a path
 * and never a library found through a relative search directory. Handles are never closed
 * once accepted: a driver library cannot be unloaded safely once initialised.
 *
 * Relative directories: an empty or relative LD_LIBRARY_PATH entry (":" at either end,
 * "::", ".", "lib") is searched from the current directory, which a setuid-less process
 * may not control. dlopen runs a library's constructors before it returns, so checking
 * the path of what it loaded comes too late. So before dlopen every such entry is looked
 * at for the soname, in the entry itself and in the loader's hardware-capability
 * subfolders below it (glibc-hwcaps/x86-64-v3, tls, haswell/x86_64, ...); if found, the
 * load is refused, naming the entry. A relative entry that does not hold the soname is
 * let be (a stray trailing ':' is common and harmless when the folder has no copy). The path dlinfo gives after loading is checked
 * too, as a second line. The LD_LIBRARY_PATH checked is the one the loader read when the
 * process started (the last LD_LIBRARY_PATH= of the initial environment, which
 * /proc/self/environ holds; glibc's rtld.c process_envvars), not the current environment:
 * setenv after start-up changes no search path. In a secure (setuid) process the loader
 * ignores it and so does this check. Entries starting with '$' are not scanned:
 * $ORIGIN expands to an absolute folder, but an entry that is $LIB or $PLATFORM alone
 * expands to a relative name (lib64, x86_64) that this scan does not expand; such an entry
 * is caught only by the path check after loading.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dl.h"
#include "parse.h"

/* The subfolders the loader tries below each search folder: glibc-hwcaps/<level> (glibc
 * 2.33 on), and the legacy hardware-capability and platform folders of older glibc
 * (2.36, Debian 12's, still has them: tls, haswell, x86_64, ...; ld.so --help lists the
 * ones a machine uses). Any folder below one of these is tried too. */
static int hwcaps_folder(const char *name)
{
    static const char *const names[] = {"glibc-hwcaps", "tls", "haswell", "xeon_phi",
                                        "x86_64", "i686", "i586", "avx512_1", "aarch64",
                                        "power8", "power9", "power10", "z13", "z14", "z15",
                                        "z16"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* 1 when folder (relative to at) holds name, directly or (depth > 0) in a subfolder the
 * loader tries: the hardware-capability folders, nested as glibc nests them
 * (tls/haswell/x86_64), and any folder below glibc-hwcaps (x86-64-v3, power10). */
static int holds(int at, const char *folder, const char *name, int depth, int any_child)
{
    int fd = openat(at, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (faccessat(fd, name, F_OK, 0) == 0) {
        close(fd);
        return 1;
    }
    if (depth == 0) {
        close(fd);
        return 0;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", ".." and hidden folders: never searched */
        if (e->d_type != DT_DIR && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
            continue;
        if (!any_child && !hwcaps_folder(e->d_name))
            continue;
        found = holds(dirfd(d), e->d_name, name, depth - 1,
                      strcmp(e->d_name, "glibc-hwcaps") == 0);
    }
    closedir(d);
    return found;
}

/* The LD_LIBRARY_PATH the loader read at start-up into buf: 1 found, 0 none (or a secure
 * process, whose loader ignores it). Where /proc/self/environ cannot be read, the current
 * environment stands in for it. */
static int loader_library_path(char *buf, size_t size)
{
    buf[0] = '\0';
    if (getauxval(AT_SECURE))
        return 0;
    int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const char *lp = mb__getenv_raw("LD_LIBRARY_PATH");
        if (!lp)
            return 0;
        snprintf(buf, size, "%s", lp);
        return 1;
    }
    /* the initial environment is at most a few MiB (the kernel's ARG_MAX share) */
    size_t cap = 1 << 16, len = 0;
    char *block = mb__malloc(cap);
    int found = 0;
    while (block) {
        ssize_t n = read(fd, block + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == cap) {
            char *bigger = cap < ((size_t)64 << 20) ? mb__malloc(cap * 2) : NULL;
            if (!bigger)
                break; /* what was read is checked */
            memcpy(bigger, block, len);
            mb__free(block);
            block = bigger;
            cap *= 2;
        }
    }
    close(fd);
    if (!block) { /* out of memory: the current environment is the best left */
        const char *lp = mb__getenv_raw("LD_LIBRARY_PATH");
        if (lp)
            snprintf(buf, size, "%s", lp);
        return lp != NULL;
    }
    found = mb__environ_last(block, len, "LD_LIBRARY_PATH", buf, size);
    mb__free(block);
    return found;
}

/* The first empty or relative entry of the loader's LD_LIBRARY_PATH that holds soname,
 * copied to entry ("" for an empty one); 0 when none does. */
static int relative_entry_holding(const char *soname, char *entry, size_t entry_size)
{
    char lp_store[8192]; /* a longer value is checked up to here */
    if (!loader_library_path(lp_store, sizeof lp_store))
        return 0;
    const char *lp = lp_store;
    for (const char *p = lp;;) {
        size_t len = strcspn(p, ":;"); /* glibc splits on both */
        if (len == 0 || (p[0] != '/' && p[0] != '$')) {
            char folder[4096];
            if (len < sizeof folder) {
                memcpy(folder, p, len);
                folder[len] = '\0';
                if (holds(AT_FDCWD, len ? folder : ".", soname, 3, 0)) {
                    snprintf(entry, entry_size, "%s", folder);
                    return 1;
                }
            }
        }
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

/* Whether dlopen's message says that soname itself was not found: glibc writes
 * "<name>: cannot open shared object file: <strerror(ENOENT)>" with the name of the file it
 * could not find (a missing dependency names the dependency). strerror is asked in the
 * same locale the loader used, so a translated message still matches. */
static int not_found(const char *soname, const char *msg)
{
    size_t l = strlen(soname);
    if (strncmp(msg, soname, l) != 0 || msg[l] != ':')
        return 0;
    char buf[128];
    const char *enoent = strerror_r(ENOENT, buf, sizeof buf); /* the GNU form */
    return enoent && strstr(msg + l, enoent) != NULL;
}

void *mb__dl_open(const char *soname, int *absent, char *why, size_t why_size)
{
    if (absent)
        *absent = 0;
    if (why && why_size)
        why[0] = '\0';
    if (!soname || !*soname || strchr(soname, '/')) {
        if (why && why_size)
            snprintf(why, why_size, "refusing to load '%s': only a bare soname is allowed",
                     soname ? soname : "(null)");
        return NULL;
    }
    if (mb__fault_hit("dlopen")) {
        if (why && why_size)
            snprintf(why, why_size, "%s: injected fault", soname);
        return NULL;
    }
    char entry[256];
    if (relative_entry_holding(soname, entry, sizeof entry)) {
        if (why && why_size)
            snprintf(why, why_size,
                     "refusing to load %s: the LD_LIBRARY_PATH entry '%s'%s is relative to the "
                     "current directory and holds a copy the loader could pick; remove "
                     "relative and empty entries from LD_LIBRARY_PATH (a stray ':' at either "
                     "end makes one)", soname, entry, entry[0] ? "" : " (empty)");
        return NULL;
    }
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        if (absent && e && not_found(soname, e))
            *absent = 1;
        if (why && why_size)
            snprintf(why, why_size, "%s", e ? e : "dlopen failed");
        return NULL;
    }
    /* The second line: a library found through a relative folder has a relative name. Its
     * constructors have run by now; the check above keeps that from happening. */
    struct link_map *lm = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_name ||
        lm->l_name[0] != '/') {
        if (why && why_size)
            snprintf(why, why_size,
                     "refusing %s found at the relative path '%s': remove relative and empty "
                     "entries from LD_LIBRARY_PATH", soname, lm && lm->l_name ? lm->l_name : "?");
        dlclose(h); /* membudget called nothing in it */
        return NULL;
    }
    return h;
}

void *mb__dl_sym(void *handle, const char *symbol)
{
    if (!handle || mb__fault_hit("dlsym"))
        return NULL;
    return dlsym(handle, symbol);
}
