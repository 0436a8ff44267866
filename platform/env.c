/* platform/env.c: bounded, setuid-safe reads of the environment. */
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define MB_ENV_MAX 4096

const char *mb__getenv(const char *name, int *too_long)
{
    if (too_long)
        *too_long = 0;
    const char *v = secure_getenv(name);
    if (!v)
        return NULL;
    if (strnlen(v, MB_ENV_MAX + 1) > MB_ENV_MAX) {
        if (too_long)
            *too_long = 1;
        return NULL;
    }
    return v;
}
