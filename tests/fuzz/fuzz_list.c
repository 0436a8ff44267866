/* Fuzz target: the kernel list format parser ("0-3,8"). */
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
    free(text);
    return 0;
}
