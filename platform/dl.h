/* platform/dl.h: layer 4, dynamic loading of vendor libraries (dl.c). */
#ifndef MB_PLATFORM_DL_H
#define MB_PLATFORM_DL_H

#include <stddef.h>

#include "base.h"

/* Opens a library by versioned soname with dlopen(RTLD_NOW|RTLD_LOCAL). Refuses names with
 * a '/' (no relative or explicit paths) and a copy reachable through a relative or empty
 * LD_LIBRARY_PATH entry, before the loader maps it. Returns the handle (never closed by
 * callers: handles live for the process), or NULL with the reason in why and *absent (may
 * be NULL) set to 1 when the soname itself is not installed anywhere the loader looks, 0
 * when it was found but cannot be used (a missing dependency, a bad ELF, a refusal). The
 * test does not depend on the locale of the loader's messages. */
void *mb__dl_open(const char *soname, int *absent, char *why, size_t why_size);
/* dlsym; NULL when missing. */
void *mb__dl_sym(void *handle, const char *symbol);

#endif
