/* Fuzz target: the kernel's list format ("0-3,8") and bitmap mask format ("0000ffff,0f")
 * parsers, and the list formatter on what they parse. */
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
    unsigned char bits[64];
    int rc = mb__parse_list(text, bits, 64);
    if (rc == MB_OK)
        for (int i = 0; i < 64; i++)
            if (bits[i] > 1)
                abort();
    unsigned char mask[64], again[64];
    if (mb__parse_mask(text, mask, 64) == MB_OK) {
        /* what the mask holds, written as a list and parsed back, is the same set */
        char list[512];
        mb__format_list(mask, 64, list, sizeof list);
        if (mb__parse_list(list, again, 64) != MB_OK || memcmp(mask, again, 64) != 0)
            abort();
    }
    free(text);
    return 0;
}
