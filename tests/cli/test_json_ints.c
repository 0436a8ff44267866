/* tests/cli: every byte count in the command's JSON is an integer written exactly, also
 * above 2^53 (a double holds 2^60 + 1 as 2^60, and cJSON's number printer writes values
 * from 1e15 up in exponent form). A cgroup v1 limit of 2^60 + 1 bytes (below v1's 2^62
 * "no limit" mark, so a real limit) must come back digit for digit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "testutil.h"

static void put(const char *root, const char *rel, const char *text)
{
    char p[2048];
    snprintf(p, sizeof p, "%s%s", root, rel);
    tu_write(p, text);
}

static void test_big_limit_exact(void **state)
{
    (void)state;
    char root[1024], env[1200];
    tu_fresh_dir("json-ints", root, sizeof root);
    put(root, "/proc/meminfo", "MemTotal: 1048576 kB\nMemFree: 524288 kB\n"
                               "MemAvailable: 786432 kB\n");
    put(root, "/proc/self/cgroup", "4:memory:/big\n");
    put(root, "/proc/self/mountinfo", "30 20 0:25 / /cg rw - cgroup cgroup rw,memory\n");
    put(root, "/cg/big/memory.limit_in_bytes", "1152921504606846977\n");
    put(root, "/cg/big/memory.usage_in_bytes", "4096\n");
    snprintf(env, sizeof env, "MEMBUDGET_BACKENDS=cpu MEMBUDGET_SYSROOT=%s", root);
    char *out = NULL, *err = NULL;
    int rc = tu_run_cli(env, "snapshot --json", &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(out);
    if (!strstr(out, "1152921504606846977"))
        fail_msg("the limit 1152921504606846977 is not in the JSON exactly:\n%s", out);
    assert_null(strstr(out, "e+18"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_limit_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
