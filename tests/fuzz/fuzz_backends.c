/* Fuzz target: the backend selection string (MEMBUDGET_BACKENDS and the option). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = "/";
    o.backends = text;
    mb_context *ctx = NULL;
    int rc = mb_context_init(&ctx, &o);
    if ((rc == MB_OK) != (ctx != NULL))
        abort();
    if (rc != MB_OK && mb_error_detail()[0] == '\0')
        abort(); /* every failure says why */
    mb_context_free(ctx);
    free(text);
    return 0;
}
