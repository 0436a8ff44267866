/*
 * tests/abi/old_consumer.c: a program built against the previous release's headers
 * (abi/1.0/include, never the tree's own) and run against the library just built, and
 * against a build of it whose growing structs gained a field (tests/abi/grow_headers.py).
 * It calls every function that takes or fills a growing struct and checks that
 *  - the library writes no byte past the caller's struct (a guard follows each one),
 *  - a struct whose size member is unset is refused with MB_EINVAL, naming the initialiser,
 *  - a newer caller's larger struct gets the fields this library does not know zeroed, and
 *    is refused (MB_ENOTSUP) when it sets one of them,
 *  - mb_version() is this header's major version and at least its version.
 * It prints the figures it got, so that the two runs can be compared line by line.
 *
 * usage: old_consumer SYSROOT CONFIG_JSON [LIBDIR]: with LIBDIR, it first checks that the
 * libmembudget it runs against was loaded from there.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <membudget.h>
#include <membudget/numa.h>
#include <membudget/vllm.h>

#define GUARD 64
static int failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "old_consumer: line %d: %s: ", __LINE__, #cond);                \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, " (detail: %s)\n", mb_error_detail());                         \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* A struct followed by guard bytes the library must never touch. */
#define GUARDED(T)                                                                         \
    struct {                                                                               \
        T v;                                                                               \
        unsigned char guard[GUARD];                                                        \
    }

static void guard_set(unsigned char *g) { memset(g, 0xA5, GUARD); }

static int guard_intact(const unsigned char *g)
{
    for (int i = 0; i < GUARD; i++)
        if (g[i] != 0xA5)
            return 0;
    return 1;
}

static int fake_stats(void *user, mb_alloc_stats *out)
{
    (void)user;
    out->allocated = 1 << 20;
    out->peak = 2 << 20;
    out->reserved = 4 << 20;
    return 0;
}

static void check_version(void)
{
    uint32_t v = mb_version();
    CHECK(v / 10000 == MEMBUDGET_VERSION_MAJOR, "library %u has another major version than %d",
          v, MEMBUDGET_VERSION_MAJOR);
    CHECK(v >= MEMBUDGET_VERSION, "library %u is older than the header %d", v,
          MEMBUDGET_VERSION);
    char want[16];
    snprintf(want, sizeof want, "%u.%u.%u", v / 10000, v / 100 % 100, v % 100);
    CHECK(strcmp(mb_version_string(), want) == 0, "mb_version_string() '%s' is not '%s'",
          mb_version_string(), want);
}

/* The caller's size rules, on mb_device_get and mb_context_init. */
static void check_size_rules(mb_context *ctx, const char *root)
{
    /* an unset size: refused, nothing written */
    GUARDED(mb_device_info) zero;
    memset(&zero, 0x11, sizeof zero.v);
    zero.v.size = 0;
    guard_set(zero.guard);
    CHECK(mb_device_get(ctx, 0, &zero.v) == MB_EINVAL, "size 0 accepted");
    CHECK(strstr(mb_error_detail(), "MB_DEVICE_INFO_INIT") != NULL, "detail names no init");
    CHECK(zero.v.index == 0x11111111, "a refused struct was written");
    CHECK(guard_intact(zero.guard), "guard written");

    /* a newer caller: the bytes this library does not know come back zero */
    struct {
        mb_device_info v;
        unsigned char newer[GUARD];
        unsigned char guard[GUARD];
    } big;
    memset(&big, 0xff, sizeof big);
    big.v.size = (uint32_t)(sizeof big.v + sizeof big.newer);
    guard_set(big.guard);
    CHECK(mb_device_get(ctx, 0, &big.v) == MB_OK, "a larger struct refused");
    int zeroed = 1;
    for (size_t i = 0; i < sizeof big.newer; i++)
        zeroed &= big.newer[i] == 0;
    CHECK(zeroed, "fields unknown to the library were not zeroed");
    CHECK(guard_intact(big.guard), "guard written past a larger struct");

    /* a newer caller's input: zeros past what the library knows pass, anything else not */
    struct {
        mb_context_options v;
        unsigned char newer[GUARD];
    } in;
    memset(&in, 0, sizeof in);
    in.v = (mb_context_options)MB_CONTEXT_OPTIONS_INIT;
    in.v.size = (uint32_t)sizeof in;
    in.v.sysroot = root;
    in.v.backends = "cpu";
    mb_context *c2 = NULL;
    CHECK(mb_context_init(&c2, &in.v) == MB_OK, "zero new fields refused");
    mb_context_free(c2);
    in.newer[GUARD - 1] = 1;
    CHECK(mb_context_init(&c2, &in.v) == MB_ENOTSUP, "an unknown field set was accepted");
    CHECK(c2 == NULL, "a context came back from a failure");
}

static void devices(mb_context *ctx)
{
    for (int i = 0; i < mb_backend_count(ctx); i++) {
        GUARDED(mb_backend_status) b = {.v = MB_BACKEND_STATUS_INIT};
        guard_set(b.guard);
        CHECK(mb_backend_get(ctx, i, &b.v) == MB_OK, "backend %d", i);
        CHECK(guard_intact(b.guard), "mb_backend_get wrote past the struct");
        if (b.v.state == MB_BACKEND_PRESENT) /* the others depend on the build */
            printf("backend %s: %d devices\n", b.v.name, b.v.device_count);
    }
    for (int i = 0; i < mb_device_count(ctx); i++) {
        GUARDED(mb_device_info) d = {.v = MB_DEVICE_INFO_INIT};
        guard_set(d.guard);
        CHECK(mb_device_get(ctx, i, &d.v) == MB_OK, "device %d", i);
        CHECK(guard_intact(d.guard), "mb_device_get wrote past the struct");
        printf("device %s (%s): total %lld, numa %d\n", d.v.name, d.v.model,
               (long long)d.v.total_memory, d.v.numa_node);
    }
}

static void numa(mb_context *ctx)
{
    for (int i = 0; i < mb_numa_node_count(ctx); i++) {
        GUARDED(mb_numa_node) n = {.v = MB_NUMA_NODE_INIT};
        guard_set(n.guard);
        CHECK(mb_numa_node_get(ctx, i, &n.v) == MB_OK, "node %d", i);
        CHECK(guard_intact(n.guard), "mb_numa_node_get wrote past the struct");
        printf("node %d: %s, total %lld, free %lld\n", n.v.node, n.v.kind,
               (long long)n.v.total_memory, (long long)n.v.free_memory);
    }
    GUARDED(mb_container_info) c = {.v = MB_CONTAINER_INFO_INIT};
    guard_set(c.guard);
    CHECK(mb_container_memory_get(ctx, &c.v) == MB_OK, "container");
    CHECK(guard_intact(c.guard), "mb_container_memory_get wrote past the struct");
    printf("container: v%d, limit %lld, available %lld\n", c.v.version, (long long)c.v.limit,
           (long long)c.v.available);

    mb_cpu_kv_options o = MB_CPU_KV_OPTIONS_INIT;
    mb_cpu_kv_options o2;
    CHECK(mb_cpu_kv_options_init(&o2, sizeof o2) == MB_OK, "cpu kv options init");
    CHECK(memcmp(&o, &o2, sizeof o) == 0, "MB_CPU_KV_OPTIONS_INIT and *_init differ");
    setenv("VLLM_CPU_KVCACHE_SPACE", "4", 1); /* 4 GiB, explicitly: the dump has no VmRSS */
    GUARDED(mb_cpu_kv_space) kv = {.v = MB_CPU_KV_SPACE_INIT};
    guard_set(kv.guard);
    int rc = mb_cpu_kv_space_get(ctx, &o, &kv.v);
    CHECK(guard_intact(kv.guard), "mb_cpu_kv_space_get wrote past the struct");
    printf("cpu kv space: %s, %lld bytes on node %d: %s\n", mb_error_name(rc),
           (long long)kv.v.bytes, kv.v.rank.node, kv.v.reason);
}

static void planning(mb_context *ctx, const char *config)
{
    GUARDED(mb_model) m = {.v = MB_MODEL_INIT};
    guard_set(m.guard);
    CHECK(mb_model_load(config, &m.v) == MB_OK, "model %s", config);
    CHECK(guard_intact(m.guard), "mb_model_load wrote past the struct");
    printf("model %s: %d layers, %d kv heads, head %d\n", m.v.model_type, m.v.num_layers,
           m.v.num_kv_heads, m.v.head_size);

    mb_kv_spec spec;
    CHECK(mb_kv_spec_init(&spec, &m.v, 16, 1, NULL) == MB_OK, "kv spec");
    printf("kv spec: %lld bytes per token\n", (long long)spec.bytes_per_token);

    mb_cudagraph_options co = MB_CUDAGRAPH_OPTIONS_INIT;
    printf("cuda graphs: %d capture sizes\n", mb_cudagraph_capture_sizes(&co, NULL, 0));

    mb_snapshot gpu;
    CHECK(mb_snapshot_what_if(80 * MB_GiB, MB_UNKNOWN, &gpu) == MB_OK, "what-if");
    mb_budget_options bo = MB_BUDGET_OPTIONS_INIT;
    mb_budget b;
    CHECK(mb_budget_compute_from_non_kv(&gpu, 20 * MB_GiB, &bo, &b) == MB_OK, "budget");
    printf("budget: %lld bytes for the KV cache\n", (long long)b.available_kv_cache_memory);

    mb_plan_options po;
    CHECK(mb_plan_options_init(&po, sizeof po) == MB_OK, "plan options init");
    GUARDED(mb_plan) p = {.v = MB_PLAN_INIT};
    guard_set(p.guard);
    CHECK(mb_plan_compute(&m.v, &gpu, &po, &p.v) == MB_OK, "plan");
    CHECK(guard_intact(p.guard), "mb_plan_compute wrote past the struct");
    printf("plan: %lld blocks, %lld tokens, fits %d\n", (long long)p.v.num_blocks,
           (long long)p.v.kv_cache_tokens, p.v.fits);

    mb_allocator alloc = {.stats = fake_stats};
    mb_pressure_options pr = MB_PRESSURE_OPTIONS_INIT;
    GUARDED(mb_pressure_result) res = {.v = MB_PRESSURE_RESULT_INIT};
    guard_set(res.guard);
    int rc = mb_pressure_release(ctx, 0, &alloc, &pr, &res.v);
    CHECK(guard_intact(res.guard), "mb_pressure_release wrote past the struct");
    printf("pressure release: %s, released %d: %s\n", mb_error_name(rc), res.v.released,
           res.v.reason);
}

/* 1 when the library that holds mb_version was loaded from dir. */
static int loaded_from(const char *dir)
{
    Dl_info info;
    char want[PATH_MAX], got[PATH_MAX];
    if (!dladdr((void *)mb_version, &info) || !info.dli_fname || !realpath(dir, want) ||
        !realpath(info.dli_fname, got)) {
        fprintf(stderr, "old_consumer: cannot tell where libmembudget was loaded from\n");
        return 0;
    }
    char *slash = strrchr(got, '/');
    if (slash)
        *slash = '\0';
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "old_consumer: libmembudget came from %s, not %s\n", got, want);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: old_consumer SYSROOT CONFIG_JSON [LIBDIR]\n");
        return 2;
    }
    if (argc == 4 && !loaded_from(argv[3]))
        return 1;
    check_version();
    mb_context_options o;
    CHECK(mb_context_options_init(&o, sizeof o) == MB_OK, "context options init");
    o.sysroot = argv[1];
    o.backends = "cpu";
    mb_context *ctx = NULL;
    if (mb_context_init(&ctx, &o) != MB_OK) {
        fprintf(stderr, "old_consumer: mb_context_init: %s\n", mb_error_detail());
        return 1;
    }
    check_size_rules(ctx, argv[1]);
    devices(ctx);
    numa(ctx);
    planning(ctx, argv[2]);
    mb_context_free(ctx);
    if (failures)
        fprintf(stderr, "old_consumer: %d checks failed\n", failures);
    return failures ? 1 : 0;
}
