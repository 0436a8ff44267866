/* core/error.c: error codes, their messages and the thread-local detail. */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>

#include "base.h"

static _Thread_local char detail[1024];
/* how many MB__API calls are running on this thread (nested calls leave the detail to the
 * outermost) */
static _Thread_local unsigned api_depth;

void mb__api_enter(void)
{
    if (api_depth++ == 0)
        detail[0] = '\0';
}

int mb__api_leave(int rc)
{
    if (--api_depth == 0 && rc >= 0)
        detail[0] = '\0';
    return rc;
}

const char *mb_error_message(int code)
{
    switch (code) {
    case MB_OK:
        return "success";
#define MB__ERR_MSG(name, value, msg)                                                       \
    case MB_##name:                                                                         \
        return msg;
        MB_ERROR_LIST(MB__ERR_MSG)
#undef MB__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *mb_error_name(int code)
{
    switch (code) {
    case MB_OK:
        return "MB_OK";
#define MB__ERR_NAME(name, value, msg)                                                      \
    case MB_##name:                                                                         \
        return "MB_" #name;
        MB_ERROR_LIST(MB__ERR_NAME)
#undef MB__ERR_NAME
    default:
        return "MB_UNKNOWN_ERROR";
    }
}

const char *mb_error_detail(void) { return detail; }

/* The C locale made current for this thread around one format: numbers read "0.92"
 * whatever LC_NUMERIC the caller set (a de_DE process prints "0,92" with plain printf).
 * newlocale(LC_ALL_MASK, "C", 0) is glibc's static C locale object: nothing to free. */
static int vformat_c(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static int vformat_c(char *buf, size_t size, const char *fmt, va_list ap)
{
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t prev = c ? uselocale(c) : (locale_t)0;
    int n = vsnprintf(buf, size, fmt, ap);
    if (prev)
        uselocale(prev);
    return n;
}

int mb__snprintf_c(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vformat_c(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int mb__error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat_c(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return code;
}
