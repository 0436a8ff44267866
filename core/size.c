/*
 * core/size.c: size strings as vLLM's command line reads them.
 *
 * The rule is vLLM's human_readable_int (vllm/engine/arg_utils.py): the regular expression
 * (\d+(?:\.\d+)?)([kKmMgGtT]) with lowercase suffixes decimal (10^3 .. 10^12, fractions
 * allowed) and uppercase binary (2^10 .. 2^40, whole numbers only: "Do not allow decimals
 * with binary multipliers"), anything else a plain integer. membudget adds the explicit
 * IEC units (KiB .. TiB) and refuses "GB"-style units, whose meaning people disagree on.
 * The arithmetic is exact (integers, no float), so "25.6k" is 25600.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int size_error(int code, const char *text, const char *why)
{
    return mb__error(code, "'%s' is not a size: %s; write bytes (85899345920), a binary "
                           "unit (80GiB or 80G), or a decimal one (80g = 80 x 10^9)",
                     text, why);
}

/* mult x (whole + frac / 10^nfrac), floored, with overflow checks. */
static int scale(uint64_t whole, uint64_t frac, int nfrac, uint64_t mult, uint64_t *out)
{
    if (whole != 0 && mult > UINT64_MAX / whole)
        return MB_ERANGE;
    uint64_t v = whole * mult;
    if (nfrac > 0) {
        uint64_t den = 1;
        for (int i = 0; i < nfrac; i++)
            den *= 10;
        /* frac < den <= 10^18 and mult <= 2^40: the product needs 128 bits */
        unsigned __int128 part = (unsigned __int128)frac * mult / den;
        if (part > UINT64_MAX - v)
            return MB_ERANGE;
        v += (uint64_t)part;
    }
    *out = v;
    return MB_OK;
}

MB__API(mb_size_parse, (const char *text, int64_t *out), (text, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_size_parse: out is NULL");
    *out = 0;
    if (!text)
        return mb__error(MB_EINVAL, "mb_size_parse: text is NULL");
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n'))
        n--;
    if (n == 0)
        return size_error(MB_EPARSE, text, "it is empty");
    if (p[0] == '-')
        return size_error(MB_EPARSE, text, "it is negative");

    /* the number: digits, optionally . and digits */
    size_t i = 0;
    uint64_t whole = 0, frac = 0;
    int nwhole = 0, nfrac = 0, point = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, nwhole++) {
        if (whole > (UINT64_MAX - 9) / 10)
            return size_error(MB_ERANGE, text, "it is too large");
        whole = whole * 10 + (uint64_t)(p[i] - '0');
    }
    if (i < n && p[i] == '.') {
        point = 1;
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            if (nfrac < 18) { /* digits beyond 10^-18 cannot matter for a byte count */
                frac = frac * 10 + (uint64_t)(p[i] - '0');
                nfrac++;
            }
        }
        if (nfrac == 0)
            return size_error(MB_EPARSE, text, "a '.' must be followed by digits");
    }
    if (nwhole == 0)
        return size_error(MB_EPARSE, text, "it does not start with a number");

    /* the unit */
    const char *u = p + i;
    size_t ul = n - i;
    uint64_t mult = 1;
    int binary_whole_only = 0;
    if (ul == 0 || (ul == 1 && u[0] == 'B')) {
        if (point)
            return size_error(MB_EPARSE, text, "a number of bytes must be whole");
    } else if (ul == 1 && strchr("kmgt", u[0])) {
        static const uint64_t dec[] = {1000ULL, 1000000ULL, 1000000000ULL, 1000000000000ULL};
        mult = dec[strchr("kmgt", u[0]) - "kmgt"];
    } else if (ul == 1 && strchr("KMGT", u[0])) {
        mult = (uint64_t)1 << (10 * (1 + (strchr("KMGT", u[0]) - "KMGT")));
        binary_whole_only = 1;
    } else if (ul == 3 && strchr("KMGT", u[0]) && u[1] == 'i' && u[2] == 'B') {
        mult = (uint64_t)1 << (10 * (1 + (strchr("KMGT", u[0]) - "KMGT")));
    } else if (ul == 2 && strchr("kKmMgGtT", u[0]) && (u[1] == 'B' || u[1] == 'b')) {
        return mb__error(MB_EPARSE, "'%s' is ambiguous (decimal or binary?); write %.*s%ciB "
                                    "for powers of 2 or %.*s%c for powers of 10",
                         text, (int)i, p, u[0] == 'k' ? 'K' : (char)(u[0] & ~0x20), (int)i, p,
                         (char)(u[0] | 0x20));
    } else {
        return size_error(MB_EPARSE, text, "unknown unit (use k m g t, K M G T, or KiB MiB "
                                           "GiB TiB)");
    }
    if (binary_whole_only && point)
        return mb__error(MB_EPARSE, "'%s': a fraction cannot take the binary suffix %c (as in "
                                    "vLLM); write %.*s%ciB or %.*s%c (decimal)",
                         text, u[0], (int)i, p, u[0], (int)i, p, (char)(u[0] | 0x20));
    uint64_t v;
    if (scale(whole, frac, nfrac, mult, &v) != MB_OK || v > (uint64_t)MB_SIZE_MAX)
        return mb__error(MB_ERANGE, "'%s' is larger than %lld bytes (1 PiB), which no device "
                                    "has; check the unit", text, (long long)MB_SIZE_MAX);
    *out = (int64_t)v;
    return MB_OK;
}
