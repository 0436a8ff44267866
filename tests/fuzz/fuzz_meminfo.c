/* Fuzz target: the /proc/meminfo and node meminfo parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"
#include "platform/platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static const char *const keys[] = {"MemTotal",     "MemFree",        "MemAvailable",
                                       "Active(file)", "Inactive(file)", "SReclaimable",
                                       "HugePages_Total", "", "Node"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int64_t v;
        int rc = mb__meminfo_value(text, keys[i], &v);
        if (rc == MB_OK && v != MB_UNKNOWN && v < 0)
            abort(); /* a parsed size is never negative */
    }
    free(text);
    return 0;
}
