/*
 * core/abi.c: the library's side of the ABI (docs/abi.md): the run-time version, and the
 * public entry points of every growing struct.
 *
 * A growing struct starts with `uint32_t size`, the caller's sizeof. Each entry point here
 * checks it, hands the implementation (mb__<name>, in the file that owns the subject) a
 * full-size copy of its inputs, with the library's defaults for the fields the caller's
 * header did not have, and copies back only as many bytes of each output as the caller
 * declared (zeroing the bytes of fields this library does not know). The implementations
 * therefore always see structs of the library's own size.
 *
 * min_size is the end of the last field of the struct's first release (1.0): smaller sizes
 * name no release and are refused. When a field is appended, min_size stays where it is.
 */
#include <stddef.h>
#include <string.h>

#include "estimate.h"
#include "internal.h"

#define FIELD_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* The first release's end of each growing struct. Never change these: append fields. */
#define MIN_CONTEXT_OPTIONS FIELD_END(mb_context_options, flags)
#define MIN_BACKEND_STATUS FIELD_END(mb_backend_status, device_count)
#define MIN_DEVICE_INFO FIELD_END(mb_device_info, total_memory)
#define MIN_NUMA_NODE FIELD_END(mb_numa_node, why_not)
#define MIN_CONTAINER_INFO FIELD_END(mb_container_info, bound_by)
#define MIN_CPU_KV_OPTIONS FIELD_END(mb_cpu_kv_options, utilization)
#define MIN_CPU_KV_SPACE FIELD_END(mb_cpu_kv_space, reason)
#define MIN_MODEL FIELD_END(mb_model, weights_source)
#define MIN_CUDAGRAPH_OPTIONS FIELD_END(mb_cudagraph_options, max_capture_size)
#define MIN_BUDGET_OPTIONS FIELD_END(mb_budget_options, flags)
#define MIN_PLAN_OPTIONS FIELD_END(mb_plan_options, enforce_eager)
#define MIN_PLAN FIELD_END(mb_plan, verdict)
#define MIN_PRESSURE_OPTIONS FIELD_END(mb_pressure_options, pressure_threshold)
#define MIN_PRESSURE_RESULT FIELD_END(mb_pressure_result, reason)
#define MIN_ESTIMATE_OPTIONS FIELD_END(mb_estimate_options, memory_cap)
#define MIN_ESTIMATE FIELD_END(mb_estimate, knobs)

/* Where 1.1 ended for the structs 1.2 grew (the fields after these are 1.2's, zero meaning
 * "as in 1.1"): mb_model after checkpoint_kv_cache_dtype (1.2: layer_kind ..
 * mamba_ssm_dtype_bytes, layer_kv_heads, encoder_only), mb_plan_options after allow_long_max_model_len (1.2:
 * no_prefix_caching), mb_plan after block_size_rule (1.2: group_block_size .. hybrid_rule). */
/* Release 1.2's ends of the structs it grew (issue 14), for the record and checked to lie
 * inside the structs: mb_device_info's compute capability, mb_cpu_kv_options's
 * kv_cache_memory_bytes, and the CUDA-graph modes, attention backend and speculative method
 * of mb_plan_options and mb_plan. Zero in each new input means as in 1.1. */
#define END_1_2_DEVICE_INFO FIELD_END(mb_device_info, cc_minor)
#define END_1_2_CPU_KV_OPTIONS FIELD_END(mb_cpu_kv_options, kv_cache_memory_bytes)
#define END_1_2_PLAN_OPTIONS FIELD_END(mb_plan_options, num_nextn_predict_layers)
#define END_1_2_PLAN FIELD_END(mb_plan, compute_capability)
#define END_1_2_MODEL FIELD_END(mb_model, encoder_only)
/* issue 13: mb_context_options's environment (NULL: the process environment) */
#define END_1_2_CONTEXT_OPTIONS FIELD_END(mb_context_options, environment)
/* mb_estimate_options ended at memory_cap in 1.1 (MIN_ESTIMATE_OPTIONS); 1.2 adds
 * vllm_v0_release (issue 15: the V0 engine's profile rules; 0 means V1, as in 1.1). */
#define END_1_2_ESTIMATE_OPTIONS FIELD_END(mb_estimate_options, vllm_v0_release)
_Static_assert(END_1_2_CONTEXT_OPTIONS <= sizeof(mb_context_options) &&
                   END_1_2_DEVICE_INFO <= sizeof(mb_device_info) &&
                   END_1_2_CPU_KV_OPTIONS <= sizeof(mb_cpu_kv_options) &&
                   END_1_2_PLAN_OPTIONS <= sizeof(mb_plan_options) &&
                   END_1_2_PLAN <= sizeof(mb_plan) && END_1_2_MODEL <= sizeof(mb_model) &&
                   END_1_2_ESTIMATE_OPTIONS <= sizeof(mb_estimate_options),
               "release 1.2's fields end inside their structs");
/* 1.3 adds mb_estimate_options.sampler (issue 15: V1's top-k/top-p filtering in the profile
 * run; 0 means the kernels, as in 1.2). */
#define END_1_3_ESTIMATE_OPTIONS FIELD_END(mb_estimate_options, sampler)
_Static_assert(END_1_3_ESTIMATE_OPTIONS <= sizeof(mb_estimate_options),
               "release 1.3's fields end inside their structs");

/* 1.4 adds mb_estimate_options.vllm_release and model_runner (the release's rules: its
 * model runner, sampler and accounting; 0 means as in 1.3) and mb_estimate.model_runner,
 * sampler and rules (what the estimate followed). */
#define END_1_4_ESTIMATE_OPTIONS FIELD_END(mb_estimate_options, model_runner)
#define END_1_4_ESTIMATE FIELD_END(mb_estimate, rules)
_Static_assert(END_1_4_ESTIMATE_OPTIONS <= sizeof(mb_estimate_options) &&
                   END_1_4_ESTIMATE <= sizeof(mb_estimate),
               "release 1.4's fields end inside their structs");

uint32_t mb_version(void) { return MEMBUDGET_VERSION; }

const char *mb_version_string(void) { return MEMBUDGET_VERSION_STRING; }

static uint32_t size_of(const void *p)
{
    uint32_t n;
    memcpy(&n, p, sizeof n);
    return n;
}

/* The initialiser of type: "mb_plan_options" -> "MB_PLAN_OPTIONS_INIT". */
static const char *init_name(const char *type, char *buf, size_t size)
{
    size_t i = 0;
    for (; type[i] && i + 6 < size; i++)
        buf[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 'a' + 'A' : type[i]);
    memcpy(buf + i, "_INIT", 6);
    return buf;
}

static int too_small(const char *fn, const char *what, const char *type, uint32_t size,
                     size_t min)
{
    char macro[64];
    init_name(type, macro, sizeof macro);
    return mb__error(MB_EINVAL,
                     "%s: %s->size is %u, below the %zu bytes of %s's first release: "
                     "initialise it with %s (or set size to sizeof(%s))",
                     fn, what, size, min, type, macro, type);
}

/* No struct of any release is this large: a size above it is an uninitialised or
 * overwritten size member, and trusting it would write past the caller's struct. */
#define MB__ABI_SIZE_MAX 65536u

static int too_big(const char *fn, const char *what, const char *type, uint32_t size)
{
    char macro[64];
    return mb__error(MB_EINVAL,
                     "%s: %s->size is %u, more than any %s can be (the size member was not "
                     "set): initialise it with %s (or set size to sizeof(%s))",
                     fn, what, size, type, init_name(type, macro, sizeof macro), type);
}

/* Checks an output struct's size before anything is computed. NULL is left to the
 * implementation, which names it. */
static int out_check(const char *fn, const void *out, size_t min, const char *type)
{
    if (out && size_of(out) < min)
        return too_small(fn, "out", type, size_of(out), min);
    if (out && size_of(out) > MB__ABI_SIZE_MAX)
        return too_big(fn, "out", type, size_of(out));
    return MB_OK;
}

/* Zeroes the caller's output after a failure found before the implementation ran. */
static void out_zero(void *out, size_t min)
{
    if (out && size_of(out) >= min && size_of(out) <= MB__ABI_SIZE_MAX)
        memset((char *)out + sizeof(uint32_t), 0, size_of(out) - sizeof(uint32_t));
}

/* Copies full (the library's struct, size bytes) into the caller's out: only out->size
 * bytes, the size member untouched, and the caller's bytes past what this library knows
 * zeroed (those fields are absent here). */
static void out_copy(void *out, const void *full, size_t size)
{
    size_t n = size_of(out);
    size_t k = n < size ? n : size;
    memcpy((char *)out + sizeof(uint32_t), (const char *)full + sizeof(uint32_t),
           k - sizeof(uint32_t));
    if (n > size)
        memset((char *)out + size, 0, n - size);
}

/* Builds in full (holding the library's defaults, size bytes) the library-size view of
 * the caller's in: the caller's first in->size bytes over the defaults. A caller's struct
 * larger than this library's may only carry zeros past it (fields a newer header added,
 * left at their defaults); anything else is refused, since it would be silently lost. */
static int in_copy(const char *fn, const char *what, void *full, size_t size, const void *in,
                   size_t min, const char *type)
{
    size_t n = size_of(in);
    if (n < min)
        return too_small(fn, what, type, (uint32_t)n, min);
    if (n > MB__ABI_SIZE_MAX)
        return too_big(fn, what, type, (uint32_t)n);
    for (size_t i = size; i < n; i++)
        if (((const unsigned char *)in)[i])
            return mb__error(MB_ENOTSUP,
                             "%s: %s sets a field at byte %zu of %s, which this library "
                             "(membudget %s) does not know (it knows %zu bytes): run the "
                             "program with the membudget it was built against or a newer one",
                             fn, what, i, type, MEMBUDGET_VERSION_STRING, size);
    size_t k = n < size ? n : size;
    memcpy((char *)full + sizeof(uint32_t), (const char *)in + sizeof(uint32_t),
           k - sizeof(uint32_t));
    memcpy(full, &(uint32_t){(uint32_t)size}, sizeof(uint32_t));
    return MB_OK;
}

/* The options' *_init for bindings: defaults into the caller's first size bytes. */
static int init_copy(const char *fn, void *o, size_t size, const void *defaults,
                     size_t lib_size, size_t min, const char *type)
{
    if (!o)
        return mb__error(MB_EINVAL, "%s: o is NULL", fn);
    if (size < min || size > MB__ABI_SIZE_MAX)
        return mb__error(MB_EINVAL,
                         "%s: size %zu is not the size of any release of %s (at least %zu): "
                         "pass sizeof(%s)",
                         fn, size, type, min, type);
    memcpy(o, &(uint32_t){(uint32_t)size}, sizeof(uint32_t));
    out_copy(o, defaults, lib_size);
    return MB_OK;
}

/* Runs impl on a library-size output and copies it back. */
#define OUT_CALL(fn, out, type, min, call)                                                 \
    do {                                                                                   \
        int rc_ = out_check(fn, out, min, #type);                                          \
        if (rc_)                                                                           \
            return rc_;                                                                    \
        if (!(out))                                                                        \
            return (call(NULL));                                                           \
        type full_ = {.size = sizeof(type)};                                               \
        rc_ = (call(&full_));                                                              \
        out_copy(out, &full_, sizeof full_);                                               \
        return rc_;                                                                        \
    } while (0)

/* Makes `local` the library-size view of the input pointer `in` (NULL stays NULL). */
/* On a refused input, `fail` runs (zeroing the outputs) before the error is returned. */
#define IN_VIEW(fn, what, in, type, min, local, ptr, defaults, fail)                       \
    type local = defaults;                                                                 \
    const type *ptr = NULL;                                                                \
    if (in) {                                                                              \
        int rc_ = in_copy(fn, what, &local, sizeof local, in, min, #type);                 \
        if (rc_) {                                                                         \
            fail;                                                                          \
            return rc_;                                                                    \
        }                                                                                  \
        ptr = &local;                                                                      \
    }

/* ---- contexts, backends, devices ---------------------------------------------------- */

MB__API(mb_context_options_init, (mb_context_options *o, size_t size), (o, size))
{
    static const mb_context_options d = MB_CONTEXT_OPTIONS_INIT;
    return init_copy("mb_context_options_init", o, size, &d, sizeof d, MIN_CONTEXT_OPTIONS,
                     "mb_context_options");
}

MB__API(mb_context_init, (mb_context **out, const mb_context_options *opts), (out, opts))
{
    if (out)
        *out = NULL;
    IN_VIEW("mb_context_init", "opts", opts, mb_context_options, MIN_CONTEXT_OPTIONS, o, op,
            MB_CONTEXT_OPTIONS_INIT, (void)0);
    return mb__context_init(out, op);
}

MB__API(mb_backend_get, (mb_context *ctx, int index, mb_backend_status *out), (ctx, index, out))
{
#define CALL(p) mb__backend_get(ctx, index, p)
    OUT_CALL("mb_backend_get", out, mb_backend_status, MIN_BACKEND_STATUS, CALL);
#undef CALL
}

MB__API(mb_device_get, (mb_context *ctx, int index, mb_device_info *out), (ctx, index, out))
{
#define CALL(p) mb__device_get(ctx, index, p)
    OUT_CALL("mb_device_get", out, mb_device_info, MIN_DEVICE_INFO, CALL);
#undef CALL
}

/* ---- NUMA, containers, CPU KV space ------------------------------------------------- */

MB__API(mb_numa_node_get, (mb_context *ctx, int index, mb_numa_node *out), (ctx, index, out))
{
#define CALL(p) mb__numa_node_get(ctx, index, p)
    OUT_CALL("mb_numa_node_get", out, mb_numa_node, MIN_NUMA_NODE, CALL);
#undef CALL
}

MB__API(mb_container_memory_get, (mb_context *ctx, mb_container_info *out), (ctx, out))
{
#define CALL(p) mb__container_memory_get(ctx, p)
    OUT_CALL("mb_container_memory_get", out, mb_container_info, MIN_CONTAINER_INFO, CALL);
#undef CALL
}

MB__API(mb_cpu_kv_options_init, (mb_cpu_kv_options *o, size_t size), (o, size))
{
    static const mb_cpu_kv_options d = MB_CPU_KV_OPTIONS_INIT;
    return init_copy("mb_cpu_kv_options_init", o, size, &d, sizeof d, MIN_CPU_KV_OPTIONS,
                     "mb_cpu_kv_options");
}

MB__API(mb_cpu_kv_space_get, (mb_context *ctx, const mb_cpu_kv_options *opts, mb_cpu_kv_space *out),
        (ctx, opts, out))
{
    IN_VIEW("mb_cpu_kv_space_get", "opts", opts, mb_cpu_kv_options, MIN_CPU_KV_OPTIONS, o, op,
            MB_CPU_KV_OPTIONS_INIT, out_zero(out, MIN_CPU_KV_SPACE));
#define CALL(p) mb__cpu_kv_space_get(ctx, op, p)
    OUT_CALL("mb_cpu_kv_space_get", out, mb_cpu_kv_space, MIN_CPU_KV_SPACE, CALL);
#undef CALL
}

/* ---- models, KV specs, CUDA graphs, budgets, plans ---------------------------------- */

MB__API(mb_model_parse, (const char *json, size_t len, const char *name, mb_model *out),
        (json, len, name, out))
{
#define CALL(p) mb__model_parse(json, len, name, p)
    OUT_CALL("mb_model_parse", out, mb_model, MIN_MODEL, CALL);
#undef CALL
}

MB__API(mb_model_load, (const char *path, mb_model *out), (path, out))
{
#define CALL(p) mb__model_load(path, p)
    OUT_CALL("mb_model_load", out, mb_model, MIN_MODEL, CALL);
#undef CALL
}

MB__API(mb_kv_spec_init, (mb_kv_spec *out, const mb_model *m, int block_size,
                    int tensor_parallel_size, const char *kv_cache_dtype),
        (out, m, block_size, tensor_parallel_size, kv_cache_dtype))
{
    if (out)
        memset(out, 0, sizeof *out);
    IN_VIEW("mb_kv_spec_init", "m", m, mb_model, MIN_MODEL, model, mp, MB_MODEL_INIT, (void)0);
    return mb__kv_spec_init(out, mp, block_size, tensor_parallel_size, kv_cache_dtype);
}

MB__API(mb_cudagraph_options_init, (mb_cudagraph_options *o, size_t size), (o, size))
{
    static const mb_cudagraph_options d = MB_CUDAGRAPH_OPTIONS_INIT;
    return init_copy("mb_cudagraph_options_init", o, size, &d, sizeof d,
                     MIN_CUDAGRAPH_OPTIONS, "mb_cudagraph_options");
}

MB__API(mb_cudagraph_capture_sizes, (const mb_cudagraph_options *o, int *sizes, int cap),
        (o, sizes, cap))
{
    IN_VIEW("mb_cudagraph_capture_sizes", "o", o, mb_cudagraph_options,
            MIN_CUDAGRAPH_OPTIONS, opts, op, MB_CUDAGRAPH_OPTIONS_INIT, (void)0);
    return mb__cudagraph_capture_sizes(op, sizes, cap);
}

MB__API(mb_budget_options_init, (mb_budget_options *o, size_t size), (o, size))
{
    static const mb_budget_options d = MB_BUDGET_OPTIONS_INIT;
    return init_copy("mb_budget_options_init", o, size, &d, sizeof d, MIN_BUDGET_OPTIONS,
                     "mb_budget_options");
}

MB__API(mb_budget_compute, (const mb_profile *p, const mb_budget_options *o, mb_budget *out),
        (p, o, out))
{
    if (out)
        memset(out, 0, sizeof *out);
    IN_VIEW("mb_budget_compute", "o", o, mb_budget_options, MIN_BUDGET_OPTIONS, opts, op,
            MB_BUDGET_OPTIONS_INIT, (void)0);
    return mb__budget_compute(p, op, out);
}

MB__API(mb_budget_compute_from_non_kv, (const mb_snapshot *init, int64_t non_kv,
                                  const mb_budget_options *o, mb_budget *out),
        (init, non_kv, o, out))
{
    if (out)
        memset(out, 0, sizeof *out);
    IN_VIEW("mb_budget_compute_from_non_kv", "o", o, mb_budget_options, MIN_BUDGET_OPTIONS,
            opts, op, MB_BUDGET_OPTIONS_INIT, (void)0);
    return mb__budget_compute_from_non_kv(init, non_kv, op, out);
}

MB__API(mb_plan_options_init, (mb_plan_options *o, size_t size), (o, size))
{
    static const mb_plan_options d = MB_PLAN_OPTIONS_INIT;
    return init_copy("mb_plan_options_init", o, size, &d, sizeof d, MIN_PLAN_OPTIONS,
                     "mb_plan_options");
}

MB__API(mb_plan_compute, (const mb_model *m, const mb_snapshot *dev, const mb_plan_options *o,
                    mb_plan *out), (m, dev, o, out))
{
    IN_VIEW("mb_plan_compute", "m", m, mb_model, MIN_MODEL, model, mp, MB_MODEL_INIT,
            out_zero(out, MIN_PLAN));
    IN_VIEW("mb_plan_compute", "o", o, mb_plan_options, MIN_PLAN_OPTIONS, opts, op,
            MB_PLAN_OPTIONS_INIT, out_zero(out, MIN_PLAN));
#define CALL(p) mb__plan_compute(mp, dev, op, p)
    OUT_CALL("mb_plan_compute", out, mb_plan, MIN_PLAN, CALL);
#undef CALL
}

/* ---- pressure release --------------------------------------------------------------- */

MB__API(mb_pressure_options_init, (mb_pressure_options *o, size_t size), (o, size))
{
    static const mb_pressure_options d = MB_PRESSURE_OPTIONS_INIT;
    return init_copy("mb_pressure_options_init", o, size, &d, sizeof d,
                     MIN_PRESSURE_OPTIONS, "mb_pressure_options");
}

MB__API(mb_pressure_release, (mb_context *ctx, int device, const mb_allocator *alloc,
                        const mb_pressure_options *opts, mb_pressure_result *out),
        (ctx, device, alloc, opts, out))
{
    IN_VIEW("mb_pressure_release", "opts", opts, mb_pressure_options, MIN_PRESSURE_OPTIONS,
            o, op, MB_PRESSURE_OPTIONS_INIT, out_zero(out, MIN_PRESSURE_RESULT));
#define CALL(p) mb__pressure_release(ctx, device, alloc, op, p)
    OUT_CALL("mb_pressure_release", out, mb_pressure_result, MIN_PRESSURE_RESULT, CALL);
#undef CALL
}

/* ---- the estimate (core/estimate.c) ------------------------------------------------- */

MB__API(mb_estimate_options_init, (mb_estimate_options *o, size_t size), (o, size))
{
    static const mb_estimate_options d = MB_ESTIMATE_OPTIONS_INIT;
    return init_copy("mb_estimate_options_init", o, size, &d, sizeof d,
                     MIN_ESTIMATE_OPTIONS, "mb_estimate_options");
}

MB__API(mb_estimate_compute, (const mb_arch *arch, const mb_estimate_device *dev,
                        const mb_estimate_options *o, mb_estimate *out), (arch, dev, o, out))
{
    IN_VIEW("mb_estimate_compute", "o", o, mb_estimate_options, MIN_ESTIMATE_OPTIONS, opts,
            op, MB_ESTIMATE_OPTIONS_INIT, out_zero(out, MIN_ESTIMATE));
#define CALL(p) mb__estimate_compute(arch, dev, op, p)
    OUT_CALL("mb_estimate_compute", out, mb_estimate, MIN_ESTIMATE, CALL);
#undef CALL
}

/* ---- pressure watch and PSI (issue 18, release 1.1) ---------------------------------- */

#define MIN_PRESSURE_WATCH_OPTIONS FIELD_END(mb_pressure_watch_options, release_opts)
#define MIN_PSI FIELD_END(mb_psi, full_total_us)

MB__API(mb_pressure_watch_options_init, (mb_pressure_watch_options *o, size_t size), (o, size))
{
    static const mb_pressure_watch_options d = MB_PRESSURE_WATCH_OPTIONS_INIT;
    return init_copy("mb_pressure_watch_options_init", o, size, &d, sizeof d,
                     MIN_PRESSURE_WATCH_OPTIONS, "mb_pressure_watch_options");
}

MB__API(mb_pressure_watch_init, (mb_pressure_watch **out, mb_context *ctx,
                           const mb_pressure_watch_options *opts), (out, ctx, opts))
{
    if (out)
        *out = NULL;
    IN_VIEW("mb_pressure_watch_init", "opts", opts, mb_pressure_watch_options,
            MIN_PRESSURE_WATCH_OPTIONS, o, op, MB_PRESSURE_WATCH_OPTIONS_INIT, (void)0);
    return mb__pressure_watch_init(out, ctx, op);
}

MB__API(mb_psi_read, (mb_context *ctx, const char *path, mb_psi *out), (ctx, path, out))
{
#define CALL(p) mb__psi_read(ctx, path, p)
    OUT_CALL("mb_psi_read", out, mb_psi, MIN_PSI, CALL);
#undef CALL
}
