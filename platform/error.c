/* core/error.c: error codes, their messages and the thread-local detail. */
#include <stdarg.h>
#include <stdio.h>

#include "base.h"

static _Thread_local char detail[1024];

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

int mb__error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return code;
}
