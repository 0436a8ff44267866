/* tests/cuda/cuda_test.h: helpers shared by the CUDA backend's tests. */
#ifndef MB_CUDA_TEST_H
#define MB_CUDA_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_control.h"
#include "fake_scenarios.h"
#include "membudget.h"
#include "membudget/numa.h"
#include "membudget/vllm.h"

#define GiB MB_GiB
#define MiB MB_MiB

static fake_control FC;

/* Loads the fake's control API; fails the test when the library is not the fake. */
static inline void load_fake(void)
{
    if (FC.mbfake_cuda_setup)
        return;
    if (fake_control_load(&FC) != 0)
        fail_msg("the fake libcuda.so.1 is not on LD_LIBRARY_PATH");
}

/* A probed context (sysroot NULL: MEMBUDGET_SYSROOT or "/"). */
static inline mb_context *open_ctx(const char *sysroot)
{
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = sysroot;
    mb_context *ctx = NULL;
    int rc = mb_context_init(&ctx, &o);
    if (rc)
        fail_msg("mb_context_init: %s: %s", mb_error_message(rc), mb_error_detail());
    rc = mb_context_probe(ctx);
    if (rc)
        fail_msg("mb_context_probe: %s: %s", mb_error_message(rc), mb_error_detail());
    return ctx;
}

/* The status of backend name. */
static inline mb_backend_status backend(mb_context *ctx, const char *name)
{
    mb_backend_status st = MB_BACKEND_STATUS_INIT;
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        assert_int_equal(mb_backend_get(ctx, i, &st), MB_OK);
        if (strcmp(st.name, name) == 0)
            return st;
    }
    fail_msg("no backend named %s", name);
    return st;
}

/* The index of device name ("cuda:0"); fails the test when missing. */
static inline int device(mb_context *ctx, const char *name)
{
    int idx = -1;
    int rc = mb_device_find(ctx, name, &idx);
    if (rc)
        fail_msg("%s: %s", name, mb_error_detail());
    return idx;
}

static inline mb_snapshot measure(mb_context *ctx, int dev, const mb_allocator *a)
{
    mb_snapshot s;
    int rc = mb_snapshot_measure(ctx, dev, a, &s);
    if (rc)
        fail_msg("mb_snapshot_measure: %s: %s", mb_error_message(rc), mb_error_detail());
    return s;
}

#define assert_contains(hay, needle)                                                        \
    do {                                                                                    \
        const char *h_ = (hay), *n_ = (needle);                                             \
        if (!h_ || !strstr(h_, n_))                                                         \
            fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", n_);                 \
    } while (0)

#endif
