/*
 * tests/cuda/fake_control.h: the control API of the fake libcuda.so.1, for tests.
 *
 * The fake exports these next to the driver's entry points. A test reaches them with
 * fake_control_load(), which dlopens the same soname membudget opens (so both see one
 * library and one state) and resolves each function. Everything here is thread-safe.
 */
#ifndef MB_FAKE_CONTROL_H
#define MB_FAKE_CONTROL_H

#include <dlfcn.h>
#include <stdio.h>

/* X(ret, name, params): the control functions. */
#define FAKE_CONTROL(X)                                                                     \
    /* Resets every figure, count and fault and plays scenario (see fake_scenarios.h). \
     * 0, or -1 for an unknown scenario. */                                                 \
    X(int, mbfake_cuda_setup, (const char *scenario))                                       \
    /* Knobs: "fail_at" (the Nth faultable call from now fails; 0 = never), "fault_code" \
     * (the CUresult/nvmlReturn_t it fails with; default 999), "nvml_uuid" (0: NVML does \
     * not know devices by UUID, only by PCI id), "nvml_init_fail" (nvmlInit_v2 answers \
     * this code), "cc" (every device's compute capability, major x 10 + minor; also \
     * MB_FAKE_CUDA_CC in the environment), "mig_old_uuid" (1: NVML names MIG devices as \
     * R450-R465 did, MIG-GPU-<parent>/<gi>/<ci>). Setting fail_at resets the call count. */ \
    X(void, mbfake_cuda_set, (const char *knob, long long value))                           \
    /* The entry point that failed from an injected fault since fail_at was set, or "". */ \
    X(const char *, mbfake_cuda_failed_call, (void))                                        \
    /* Faultable calls since setup or fail_at (error-string calls are not counted). */      \
    X(long, mbfake_cuda_calls, (void))                                                      \
    /* Calls of one entry point since setup (error-string calls included). */              \
    X(long, mbfake_cuda_count, (const char *name))                                          \
    /* Another tenant allocates delta bytes (negative: frees) on visible ordinal. 0/-1. */  \
    X(int, mbfake_cuda_tenant, (int ordinal, long long delta))                              \
    /* Bytes still allocated through cuMemAlloc_v2, all devices. */                         \
    X(long long, mbfake_cuda_allocated, (void))                                             \
    /* Retains of visible ordinal's primary context still held (the engine's included). */  \
    X(int, mbfake_cuda_primary_refs, (int ordinal))                                         \
    /* Depth of the calling thread's context stack. */                                      \
    X(int, mbfake_cuda_depth, (void))                                                       \
    /* The engine: retains visible ordinal's primary context and makes it current on the \
     * calling thread (what cudaSetDevice does); -1 clears and releases it. 0/-1. */         \
    X(int, mbfake_cuda_make_current, (int ordinal))                                         \
    /* cuCtxSynchronize calls made while a primary context was current. */                  \
    X(long, mbfake_cuda_syncs_in_primary, (void))

typedef struct fake_control {
#define FAKE_CONTROL_FIELD(ret, name, params) ret(*name) params;
    FAKE_CONTROL(FAKE_CONTROL_FIELD)
#undef FAKE_CONTROL_FIELD
} fake_control;

/* Fills fc from the fake libcuda.so.1 on LD_LIBRARY_PATH; 0, or -1 with a message on
 * stderr (the library is not the fake, or not there). */
static inline int fake_control_load(fake_control *fc)
{
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "fake_control_load: %s\n", dlerror());
        return -1;
    }
#define FAKE_CONTROL_SYM(ret, name, params)                                                  \
    {                                                                                       \
        void *p = dlsym(h, #name);                                                          \
        if (!p) {                                                                           \
            fprintf(stderr, "fake_control_load: libcuda.so.1 has no %s: not the fake\n",     \
                    #name);                                                                 \
            return -1;                                                                      \
        }                                                                                   \
        *(void **)&fc->name = p;                                                            \
    }
    FAKE_CONTROL(FAKE_CONTROL_SYM)
#undef FAKE_CONTROL_SYM
    return 0;
}

#endif
