/* platform/dl.c: dynamic loading of vendor libraries by versioned soname only. Handles are
 * never closed: a driver library cannot be unloaded safely once initialised. */
#include <dlfcn.h>
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
    if (!h && why && why_size) {
        const char *e = dlerror();
        snprintf(why, why_size, "%s", e ? e : "dlopen failed");
    }
    return h;
}

void *mb__dl_sym(void *handle, const char *symbol)
{
    if (!handle || mb__fault_hit("dlsym"))
        return NULL;
    return dlsym(handle, symbol);
}
