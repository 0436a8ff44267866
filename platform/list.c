/* platform/list.c: the kernel's list format ("0-3,8,10-11", cpulist_parse/nodelist). */
#include <string.h>

#include "platform.h"

int mb__parse_list(const char *s, unsigned char *bits, int nbits)
{
    memset(bits, 0, (size_t)nbits);
    const char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\n' || *p == '\0')
        return MB_OK; /* an empty list */
    for (;;) {
        const char *a = p;
        while (*p >= '0' && *p <= '9')
            p++;
        uint64_t lo, hi;
        if (mb__parse_u64(a, (size_t)(p - a), &lo) != MB_OK)
            return MB_EPARSE;
        hi = lo;
        if (*p == '-') {
            const char *b = ++p;
            while (*p >= '0' && *p <= '9')
                p++;
            if (mb__parse_u64(b, (size_t)(p - b), &hi) != MB_OK || hi < lo)
                return MB_EPARSE;
        }
        if (hi >= (uint64_t)nbits)
            return MB_ERANGE;
        for (uint64_t i = lo; i <= hi; i++)
            bits[i] = 1;
        if (*p == ',') {
            p++;
            continue;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\n' || *p == '\0')
            return MB_OK;
        return MB_EPARSE;
    }
}
