/* platform/dl.c: dynamic loading of vendor libraries by versioned soname only, never a path
 * and never a library found through a relative search directory. Handles are never closed
 * once accepted: a driver library cannot be unloaded safely once initialised. */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "platform.h"

void *mb__dl_open(const char *soname, char *why, size_t why_size)
{
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
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        if (why && why_size) {
            const char *e = dlerror();
            snprintf(why, why_size, "%s", e ? e : "dlopen failed");
        }
        return NULL;
    }
    /* A relative or empty LD_LIBRARY_PATH entry makes the loader search the current
     * directory, and the library found there has a relative name: refuse it. */
    struct link_map *lm = NULL;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_name ||
        lm->l_name[0] != '/') {
        if (why && why_size)
            snprintf(why, why_size,
                     "refusing %s found at the relative path '%s': remove relative and empty "
                     "entries from LD_LIBRARY_PATH", soname, lm && lm->l_name ? lm->l_name : "?");
        dlclose(h); /* nothing from it was called yet */
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
