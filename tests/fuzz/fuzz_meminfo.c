/* Fuzz target: the key-value readers of platform/parse.c: /proc/meminfo and node meminfo,
 * "Key:" fields (/proc/self/status, the NVIDIA driver's GPU information files) and
 * memory.stat lines. */
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
    static const char *const fields[] = {"Model", "GPU UUID", "Bus Location", "VmRSS",
                                         "Mems_allowed_list", ""};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char out[64];
        int found = mb__status_field(text, fields[i], out, sizeof out);
        if (strnlen(out, sizeof out) == sizeof out || (!found && out[0]))
            abort(); /* always terminated; "" when not found */
    }
    int64_t st = mb__stat_value(text, "inactive_file");
    if (st != MB_UNKNOWN && st < 0)
        abort();
    free(text);
    return 0;
}
