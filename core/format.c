/*
 * core/format.c: text forms that match vLLM's Python output byte for byte:
 * format_gib (f"{round(b / GiB_bytes, 2)}"), repr(float) and the __repr__ of
 * MemorySnapshot and MemoryProfilingResult.
 *
 * Python writes '.' whatever the process's locale says; printf and strtod follow
 * LC_NUMERIC, which an engine may have set (setlocale(LC_ALL, "") in a C++ server with a
 * German environment gives "1,5"). Every number here is written and read back with the C
 * locale made current for the calling thread (uselocale), then the caller's is restored.
 */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Python's repr(float): the shortest string that reads back to v; positional notation when
 * the decimal exponent is in [-4, 16), scientific ("1e+16", "1.5e-05") otherwise; a
 * positional integer value keeps ".0". */
/* The C locale for this thread's numbers; the previous one is returned for c_locale_end.
 * newlocale(LC_ALL_MASK, "C", 0) is glibc's static C locale object: nothing to free. */
static locale_t c_locale_begin(void)
{
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return c ? uselocale(c) : (locale_t)0;
}

static void c_locale_end(locale_t prev)
{
    if (prev)
        uselocale(prev);
}

static int repr_double_c(double v, char *buf, size_t size);

int mb__repr_double(double v, char *buf, size_t size)
{
    locale_t prev = c_locale_begin();
    int n = repr_double_c(v, buf, size);
    c_locale_end(prev);
    return n;
}

/* repr(float) with the C locale current. */
static int repr_double_c(double v, char *buf, size_t size)
{
    if (isnan(v))
        return snprintf(buf, size, "nan");
    if (isinf(v))
        return snprintf(buf, size, v < 0 ? "-inf" : "inf");
    if (v == 0)
        return snprintf(buf, size, signbit(v) ? "-0.0" : "0.0");
    char e[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v)
            break;
    }
    /* e is "[-]d.ddde[+-]XX": split digits and exponent. */
    char digits[24];
    int nd = 0;
    const char *p = e;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    digits[nd] = '\0';
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') /* shortest: drop trailing zeros */
        digits[--nd] = '\0';
    char out[64];
    int o = 0;
    if (neg)
        out[o++] = '-';
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -exp10 - 1; i++)
                out[o++] = '0';
            for (int i = 0; i < nd; i++)
                out[o++] = digits[i];
        } else {
            for (int i = 0; i <= exp10; i++)
                out[o++] = i < nd ? digits[i] : '0';
            out[o++] = '.';
            if (nd > exp10 + 1)
                for (int i = exp10 + 1; i < nd; i++)
                    out[o++] = digits[i];
            else
                out[o++] = '0';
        }
        out[o] = '\0';
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++)
                out[o++] = digits[i];
        }
        snprintf(out + o, sizeof out - (size_t)o, "e%c%02d", exp10 < 0 ? '-' : '+',
                 exp10 < 0 ? -exp10 : exp10);
    }
    return snprintf(buf, size, "%s", out);
}

MB__API(mb_size_format_gib, (int64_t bytes, char *buf, size_t size), (bytes, buf, size))
{
    if (!buf && size)
        return mb__error(MB_EINVAL, "mb_size_format_gib: buf is NULL with size %zu", size);
    /* Python: b / GiB_bytes is the correctly rounded quotient; round(x, 2) rounds the exact
     * binary value half-even, which is what glibc's "%.2f" does; repr then drops zeros. */
    double gib = (double)bytes / (double)MB_GiB;
    char two[64];
    locale_t prev = c_locale_begin();
    snprintf(two, sizeof two, "%.2f", gib);
    int n = repr_double_c(strtod(two, NULL), buf, size);
    c_locale_end(prev);
    return n;
}

static int fmt_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fmt_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = *len < size ? size - *len : 0;
    int n = vsnprintf(room ? buf + *len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return n;
    *len += (size_t)n;
    return 0;
}

MB__API(mb_snapshot_format, (const mb_snapshot *s, char *buf, size_t size), (s, buf, size))
{
    if (!s || (!buf && size))
        return mb__error(MB_EINVAL, "mb_snapshot_format: snapshot or buffer is NULL");
    char g[6][48], ts[48];
    mb_size_format_gib(s->torch_peak, g[0], sizeof g[0]);
    mb_size_format_gib(s->free_memory, g[1], sizeof g[1]);
    mb_size_format_gib(s->total_memory, g[2], sizeof g[2]);
    mb_size_format_gib(s->device_memory, g[3], sizeof g[3]);
    mb_size_format_gib(s->torch_memory, g[4], sizeof g[4]);
    mb_size_format_gib(s->non_torch_memory, g[5], sizeof g[5]);
    mb__repr_double(s->timestamp, ts, sizeof ts);
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    fmt_append(buf, size, &len,
               "torch_peak=%sGiB, free_memory=%sGiB, total_memory=%sGiB, %s_memory=%sGiB, "
               "torch_memory=%sGiB, non_torch_memory=%sGiB, timestamp=%s, auto_measure=%s",
               g[0], g[1], g[2], s->platform[0] ? s->platform : "cuda", g[3], g[4], g[5], ts,
               s->auto_measure ? "True" : "False");
    return (int)len;
}

MB__API(mb_profile_format, (const mb_profile *p, char *buf, size_t size), (p, buf, size))
{
    if (!p || (!buf && size))
        return mb__error(MB_EINVAL, "mb_profile_format: profile or buffer is NULL");
    char g[4][48];
    mb_size_format_gib(p->non_kv_cache_memory, g[0], sizeof g[0]);
    mb_size_format_gib(p->torch_peak_increase, g[1], sizeof g[1]);
    mb_size_format_gib(p->non_torch_increase, g[2], sizeof g[2]);
    mb_size_format_gib(p->weights_memory, g[3], sizeof g[3]);
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    locale_t prev = c_locale_begin();
    fmt_append(buf, size, &len,
               "Memory profiling takes %.2f seconds. Total non KV cache memory: %sGiB; torch "
               "peak memory increase: %sGiB; non-torch forward increase memory: %sGiB; "
               "weights memory: %sGiB.",
               p->profile_time, g[0], g[1], g[2], g[3]);
    c_locale_end(prev);
    return (int)len;
}

const char *mb__gib(int64_t bytes, char *buf, size_t size)
{
    mb_size_format_gib(bytes, buf, size);
    return buf;
}
