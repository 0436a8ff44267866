/* Fuzz target: the environment-block reader (/proc/self/environ's format) the dlopen guard
 * uses to learn the LD_LIBRARY_PATH the loader read at start-up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"
#include "platform/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *block = malloc(size ? size : 1);
    if (!block)
        return 0;
    memcpy(block, data, size);
    char out[64];
    int found = mb__environ_last(block, size, "LD_LIBRARY_PATH", out, sizeof out);
    /* the value is NUL-terminated within out, and "" when not found */
    if (strnlen(out, sizeof out) == sizeof out || (!found && out[0]))
        abort();
    free(block);
    return 0;
}
