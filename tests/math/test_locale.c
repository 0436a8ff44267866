/* tests/math/test_locale.c: a caller that set a German locale (LC_NUMERIC de_DE: "0,92")
 * still gets every library message and verdict with C numbers ("0.92"). The locale is
 * compiled here with localedef from Debian's `locales` data (ci/setup.sh installs it) into
 * the test's own folder and found through LOCPATH, so no system locale is needed. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/vllm.h"
#include "testutil.h"

static int setup(void **state)
{
    (void)state;
    char dir[1024], cmd[2300];
    tu_fresh_dir("locale", dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' 2>/dev/null", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "localedef -i de_DE failed: install the Debian package locales "
                        "(ci/setup.sh does)\n");
        return -1;
    }
    setenv("LOCPATH", dir, 1);
    if (!setlocale(LC_ALL, "de_DE.UTF-8")) {
        fprintf(stderr, "setlocale(de_DE.UTF-8) failed with LOCPATH=%s\n", dir);
        return -1;
    }
    char probe[16];
    snprintf(probe, sizeof probe, "%.2f", 0.92);
    if (strcmp(probe, "0,92") != 0) {
        fprintf(stderr, "the German locale is not in force: printf gives '%s'\n", probe);
        return -1;
    }
    return 0;
}

static void test_messages_in_c_locale(void **state)
{
    (void)state;
    /* 40 of 80 GiB free, utilization 0.92: too little free; the message quotes 0.92 and
     * the utilization that would pass (0.50) */
    mb_snapshot s;
    memset(&s, 0, sizeof s);
    snprintf(s.device, sizeof s.device, "cuda:0");
    s.total_memory = 80 * MB_GiB;
    s.free_memory = 40 * MB_GiB;
    int64_t req = 0;
    assert_int_equal(mb_budget_check_startup(&s, 0.92, &req), MB_ENOFIT);
    const char *d = mb_error_detail();
    assert_non_null(strstr(d, "0.92"));
    assert_null(strstr(d, "0,92"));
    assert_non_null(strstr(d, "to 0.50 or less")); /* the hint's figure, printed apart */
    assert_null(strstr(d, "0,50"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_in_c_locale),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
