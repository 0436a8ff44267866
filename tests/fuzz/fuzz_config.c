/* Fuzz target: an HF config.json (KV geometry). */
#include <stdint.h>
#include <stdlib.h>

#include "membudget.h"
#include "membudget/vllm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mb_model m = MB_MODEL_INIT;
    int rc = mb_model_parse((const char *)data, size, "fuzz/config.json", &m);
    if (rc == MB_OK && (m.num_layers <= 0 || m.num_kv_heads <= 0 || m.head_size <= 0))
        abort(); /* a parsed model always has a usable geometry */
    if (rc != MB_OK && mb_error_detail()[0] == '\0')
        abort();
    return 0;
}
