/* tests/layers: the backend vtable grows by version (include/membudget/backend.h): a table
 * of a version this library does not know is refused with its reason, a slot added in a
 * later version than the table's is never called (its default applies), a slot within the
 * table's version is called with the services table; and every service is filled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "core/internal.h"
#include "testutil.h"

static int probes, files_calls;
static const mb_backend_services *seen_svc;

static int fake_probe(const mb_platform *plat, const mb_backend_services *svc, void **state,
                      mb_probe_result *res)
{
    (void)plat;
    probes++;
    seen_svc = svc;
    *state = NULL;
    res->state = MB_PROBE_ABSENT;
    return MB_OK;
}
static int fake_count(void *st) { (void)st; return 0; }
static int fake_info(void *st, int i, mb_backend_device *out) { (void)st; (void)i; (void)out; return MB_OK; }
static int fake_mem(void *st, int i, mb_meminfo *out) { (void)st; (void)i; (void)out; return MB_OK; }
static int fake_files(const mb_platform *plat, const mb_backend_services *svc,
                      int (*each)(void *, const char *), void *user)
{
    (void)plat;
    files_calls++;
    seen_svc = svc;
    return each(user, "/proc/meminfo");
}
static int count_each(void *user, const char *path)
{
    (void)path;
    (*(int *)user)++;
    return 0;
}

static struct mb_backend_ops table(unsigned version)
{
    struct mb_backend_ops o = {.version = version, .name = "fake", .probe = fake_probe,
                               .device_count = fake_count, .device_info = fake_info,
                               .mem_info = fake_mem, .files = fake_files};
    return o;
}

static void test_unknown_versions_refused(void **state)
{
    (void)state;
    mb_platform plat;
    assert_int_equal(mb__plat_init(&plat, "/"), MB_OK);
    unsigned bad[] = {0, MB_BACKEND_VERSION + 1, 1000};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct mb_backend_ops o = table(bad[k]);
        mb_backend_slot b = {.ops = &o, .name = "fake"};
        mb_probe_result res;
        probes = 0;
        assert_int_equal(mb__vt_probe(&b, &plat, &res), MB_OK);
        assert_int_equal(res.state, MB_PROBE_BROKEN);
        assert_non_null(strstr(res.reason, "vtable version"));
        assert_int_equal(probes, 0);
    }
    for (unsigned v = 1; v <= MB_BACKEND_VERSION; v++) {
        struct mb_backend_ops o = table(v);
        mb_backend_slot b = {.ops = &o, .name = "fake"};
        mb_probe_result res;
        probes = 0;
        seen_svc = NULL;
        assert_int_equal(mb__vt_probe(&b, &plat, &res), MB_OK);
        assert_int_equal(probes, 1);
        assert_ptr_equal(seen_svc, &mb__services);
    }
    mb__plat_fini(&plat);
}

static void test_slot_guarded_by_version(void **state)
{
    (void)state;
    mb_platform plat;
    assert_int_equal(mb__plat_init(&plat, "/"), MB_OK);
    int n = 0;
    /* files came in version 3: tables of versions 1 and 2 have a pointer there that the
     * core must not read as the slot */
    files_calls = 0;
    for (unsigned v = 1; v < 3; v++) {
        struct mb_backend_ops old = table(v);
        assert_int_equal(mb__vt_files(&old, &plat, count_each, &n), MB_OK);
        assert_int_equal(files_calls, 0);
        assert_int_equal(n, 0);
    }
    struct mb_backend_ops v3 = table(3);
    assert_int_equal(mb__vt_files(&v3, &plat, count_each, &n), MB_OK);
    assert_int_equal(files_calls, 1);
    assert_int_equal(n, 1);
    v3.files = NULL; /* optional: absent means nothing listed */
    assert_int_equal(mb__vt_files(&v3, &plat, count_each, &n), MB_OK);
    assert_int_equal(files_calls, 1);
    mb__plat_fini(&plat);
}

static void test_services_complete(void **state)
{
    (void)state;
    /* every pointer of the table is set: a backend may call any service of its version */
    const mb_backend_services *s = &mb__services;
    assert_int_equal(s->version, MB_SERVICES_VERSION);
    const unsigned char *p = (const unsigned char *)s + offsetof(mb_backend_services, error);
    size_t nptr = (sizeof *s - offsetof(mb_backend_services, error)) / sizeof(void (*)(void));
    for (size_t i = 0; i < nptr; i++) {
        void (*fn)(void);
        memcpy(&fn, p + i * sizeof fn, sizeof fn);
        assert_non_null(fn);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_versions_refused),
        cmocka_unit_test(test_slot_guarded_by_version),
        cmocka_unit_test(test_services_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
