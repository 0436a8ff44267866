/* Fuzz target: SIZE strings ("80GiB", "80G", "85899345920", "1.5g"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "membudget.h"
#include "membudget/vllm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int64_t v = 0;
    int rc = mb_size_parse(text, &v);
    if (rc == MB_OK && v < 0)
        abort(); /* a size is never negative */
    if (rc != MB_OK && mb_error_detail()[0] == '\0')
        abort();
    free(text);
    return 0;
}
