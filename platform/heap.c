/* platform/heap.c: the library's heap, through one place so tests can fail allocations. */
#include <stdlib.h>

#include "base.h"

void *mb__malloc(size_t n)
{
    if (mb__fault_hit("malloc"))
        return NULL;
    return malloc(n ? n : 1);
}

void *mb__calloc(size_t n, size_t size)
{
    if (mb__fault_hit("calloc"))
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void mb__free(void *p) { free(p); }
