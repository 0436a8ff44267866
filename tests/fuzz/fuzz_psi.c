/* Fuzz target: the PSI pressure-file parser (issue 18). */
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
    mb_psi_lines l;
    if (mb__psi_parse(text, "fuzz", &l) == MB_OK) {
        for (int i = 0; i < 3; i++)
            if (!(l.some[i] >= 0 && l.some[i] <= 100) || l.some_total < 0)
                abort(); /* a parsed average is a percentage, a total is never negative */
        if (l.full_total != MB_UNKNOWN && l.full_total < 0)
            abort();
    }
    free(text);
    return 0;
}
