/*
 * platform/parse.c: layer 2, the pure parsers and formatters (parse.h). Formats: the
 * kernel's list format ("0-3,8,10-11", lib/bitmap.c bitmap_parselist); /proc/meminfo lines
 * "%-16s%8lu kB" and node meminfo lines "Node %d %-16s%8lu kB" (fs/proc/meminfo.c,
 * drivers/base/node.c; HugePages_* lines carry counts without "kB"); /proc/self/status
 * "Key:\tvalue" (proc(5)); memory.stat "key value" (cgroup-v2.rst).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

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

int mb__parse_u64(const char *s, size_t len, uint64_t *out)
{
    *out = 0;
    if (len == 0)
        return MB_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MB_EPARSE;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return MB_ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return MB_OK;
}

int mb__meminfo_value(const char *text, const char *key, int64_t *out)
{
    *out = MB_UNKNOWN;
    size_t klen = strlen(key);
    const char *line = text;
    while (line && *line) {
        const char *p = line;
        const char *eol = strchr(line, '\n');
        if (!eol)
            eol = line + strlen(line);
        if (strncmp(p, "Node ", 5) == 0) { /* node meminfo: skip "Node N " */
            p += 5;
            while (p < eol && isdigit((unsigned char)*p))
                p++;
            while (p < eol && *p == ' ')
                p++;
        }
        if ((size_t)(eol - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == ':') {
            p += klen + 1;
            while (p < eol && *p == ' ')
                p++;
            const char *num = p;
            while (p < eol && isdigit((unsigned char)*p))
                p++;
            uint64_t v;
            const char *numend = p;
            while (p < eol && *p == ' ')
                p++;
            uint64_t mul = 1;
            if (eol - p >= 2 && p[0] == 'k' && p[1] == 'B') {
                mul = 1024;
                p += 2;
            }
            while (p < eol && (*p == ' ' || *p == '\r'))
                p++;
            int prc = mb__parse_u64(num, (size_t)(numend - num), &v);
            if (prc != MB_OK || p != eol)
                return mb__error(MB_EPARSE, "the value of %s ('%.*s') is not a number of "
                                            "bytes or kB", key,
                                 (int)(eol - num > 40 ? 40 : eol - num), num);
            if (v > (uint64_t)INT64_MAX / mul)
                return mb__error(MB_ERANGE, "the value of %s (%llu) overflows", key,
                                 (unsigned long long)v);
            *out = (int64_t)(v * mul);
            return MB_OK;
        }
        line = *eol ? eol + 1 : NULL;
    }
    return MB_OK;
}

void mb__format_list(const unsigned char *bits, int nbits, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < nbits; i++) {
        if (!bits[i])
            continue;
        int j = i;
        while (j + 1 < nbits && bits[j + 1])
            j++;
        char item[32];
        if (j == i)
            snprintf(item, sizeof item, "%s%d", k ? "," : "", i);
        else
            snprintf(item, sizeof item, "%s%d-%d", k ? "," : "", i, j);
        if (k + strlen(item) + 4 >= size) {
            if (size >= 4)
                snprintf(out + (k < size - 4 ? k : size - 4), 4, "...");
            return;
        }
        k += (size_t)snprintf(out + k, size - k, "%s", item);
        i = j;
    }
}

int mb__node_meminfo_parse(const char *text, const char *path, int64_t *free, int64_t *total)
{
    *free = *total = 0;
    static const char *const keys[5] = {"MemTotal", "MemFree", "Active(file)",
                                        "Inactive(file)", "SReclaimable"};
    int64_t v[5];
    for (int k = 0; k < 5; k++) {
        int rc = mb__meminfo_value(text, keys[k], &v[k]);
        if (rc)
            return rc;
        if (v[k] == MB_UNKNOWN) {
            if (k < 2)
                return mb__error(MB_EPARSE, "%s has no %s line", path, keys[k]);
            v[k] = 0; /* old kernels: nothing counted as reclaimable rather than fail */
        }
    }
    *total = v[0];
    *free = v[1] + v[2] + v[3] + v[4];
    return MB_OK;
}

int mb__status_field(const char *text, const char *key, char *out, size_t size)
{
    size_t kl = strlen(key);
    out[0] = '\0';
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
            const char *v = p + kl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *e = eol;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                e--;
            snprintf(out, size, "%.*s", (int)(e - v), v);
            return 1;
        }
        p = *eol ? eol + 1 : eol;
    }
    return 0;
}

int64_t mb__stat_value(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
            const char *q = p + kl + 1;
            const char *e = q;
            while (*e >= '0' && *e <= '9')
                e++;
            uint64_t v;
            if (mb__parse_u64(q, (size_t)(e - q), &v) == MB_OK && v <= (uint64_t)INT64_MAX)
                return (int64_t)v;
            return MB_UNKNOWN;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return MB_UNKNOWN;
}

int mb__parse_mask(const char *s, unsigned char *bits, int nbits)
{
    memset(bits, 0, (size_t)nbits);
    size_t len = strlen(s);
    while (len && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
        len--;
    if (len == 0)
        return MB_OK;
    /* words of 32 bits, most significant first: bit b of the last word is CPU b */
    int bit = 0;
    for (size_t i = len; i-- > 0;) {
        char c = s[i];
        if (c == ',')
            continue;
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return MB_EPARSE;
        for (int k = 0; k < 4; k++, bit++)
            if (v & (1 << k)) {
                if (bit >= nbits)
                    return MB_ERANGE;
                bits[bit] = 1;
            }
    }
    return MB_OK;
}

int mb__environ_last(const char *block, size_t len, const char *key, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    size_t kl = strlen(key);
    int found = 0;
    for (size_t i = 0; i < len;) {
        const char *e = block + i;
        const char *nul = memchr(e, '\0', len - i);
        size_t el = nul ? (size_t)(nul - e) : len - i;
        if (el > kl && memcmp(e, key, kl) == 0 && e[kl] == '=') {
            found = 1; /* a later entry replaces an earlier one, as in the loader */
            if (size)
                snprintf(out, size, "%.*s", (int)(el - kl - 1 > (size_t)INT32_MAX ? INT32_MAX
                                                                                   : el - kl - 1),
                         e + kl + 1);
        }
        i += el + 1;
    }
    return found;
}
