/*
 * backends/cuda/cuda_errors.c: the lowest file of the CUDA backend: the services table the
 * probe stored, driver results in words, and the error of a failed driver call (used by
 * the probe in cuda.c and the memory slots in cuda_memory.c).
 */
#include <stdio.h>
#include <string.h>

#include "cuda_internal.h"

const mb_backend_services *_Atomic mb__cuda_svc;

/* ---- errors --------------------------------------------------------------------------- */

/* Names of the codes this file acts on, for when cuGetErrorName cannot say (NVIDIA's stub
 * answers every call, cuGetErrorName included, with CUDA_ERROR_STUB_LIBRARY). */
static const char *known_name(CUresult r)
{
    switch ((int)r) {
    case CUDA_ERROR_OUT_OF_MEMORY:
        return "CUDA_ERROR_OUT_OF_MEMORY";
    case CUDA_ERROR_NOT_INITIALIZED:
        return "CUDA_ERROR_NOT_INITIALIZED";
    case CUDA_ERROR_DEINITIALIZED:
        return "CUDA_ERROR_DEINITIALIZED";
    case CUDA_ERROR_STUB_LIBRARY:
        return "CUDA_ERROR_STUB_LIBRARY";
    case MB_CU_INSUFFICIENT_DRIVER:
        return "CUDA_ERROR_INSUFFICIENT_DRIVER";
    case CUDA_ERROR_NO_DEVICE:
        return "CUDA_ERROR_NO_DEVICE";
    case CUDA_ERROR_INVALID_CONTEXT:
        return "CUDA_ERROR_INVALID_CONTEXT";
    case CUDA_ERROR_OPERATING_SYSTEM:
        return "CUDA_ERROR_OPERATING_SYSTEM";
    case CUDA_ERROR_NOT_PERMITTED:
        return "CUDA_ERROR_NOT_PERMITTED";
    case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
        return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
    case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
        return "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
    case CUDA_ERROR_UNKNOWN:
        return "CUDA_ERROR_UNKNOWN";
    default:
        return NULL;
    }
}

/* "NAME (code): text" for r; the driver's own words when it has them. */
void mb__cuda_describe(const cuda_api *cu, CUresult r, char *buf, size_t size)
{
    const char *name = NULL, *text = NULL;
    if (cu->cuGetErrorName && cu->cuGetErrorName(r, &name) != CUDA_SUCCESS)
        name = NULL;
    if (cu->cuGetErrorString && cu->cuGetErrorString(r, &text) != CUDA_SUCCESS)
        text = NULL;
    if (!name)
        name = known_name(r);
    snprintf(buf, size, "%s (%d)%s%s", name ? name : "CUDA error", (int)r, text ? ": " : "",
             text ? text : "");
}

/* Sets the detail for a failed driver call on device d (NULL: no device) and returns the
 * mb_error for it. */
int mb__cuda_fail(const cuda_state *s, const cuda_dev *d, const char *call, CUresult r)
{
    char what[192];
    mb__cuda_describe(&s->cu, r, what, sizeof what);
    const char *hint = "; check that the driver works (nvidia-smi) and the kernel log "
                       "(dmesg) for Xid errors";
    int code = MB_EBACKEND;
    if (r == CUDA_ERROR_OUT_OF_MEMORY) {
        hint = "; free device memory or ask for less";
        code = MB_ENOMEM;
    } else if (r == CUDA_ERROR_DEINITIALIZED) {
        hint = "; the driver is shutting down (a call at process exit?)";
    }
    char dev[24] = "cuda";
    if (d)
        snprintf(dev, sizeof dev, "cuda:%d", d->ordinal);
    return svc->error(code, "%s: %s failed: %s%s", dev, call, what, hint);
}

cuda_dev *mb__cuda_dev_at(cuda_state *s, int i)
{
    if (i < 0 || i >= s->n) {
        svc->error(MB_ENODEV, "cuda device %d does not exist (this driver shows %d)", i, s->n);
        return NULL;
    }
    return &s->devs[i];
}
