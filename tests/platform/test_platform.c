/* tests/platform: parsers and sysroot-relative reads (no backend). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "membudget.h"
#include "membudget/vllm.h"
#include "core/internal.h"
#include "testutil.h"

static void test_meminfo_parser_node_format(void **state)
{
    (void)state;
    char *text = tu_slurp(MB_FIXTURES "/illustrative/node0_meminfo");
    assert_non_null(text);
    int64_t v;
    assert_int_equal(mb__meminfo_value(text, "MemTotal", &v), MB_OK);
    assert_int_equal(v, 263601252LL * 1024);
    assert_int_equal(mb__meminfo_value(text, "Active(file)", &v), MB_OK);
    assert_int_equal(v, tu_meminfo(text, "Active(file)"));
    assert_true(v > 0);
    /* a key that is a prefix of another must not match it */
    assert_int_equal(mb__meminfo_value(text, "Active", &v), MB_OK);
    assert_int_equal(v, tu_meminfo(text, "Active"));
    assert_int_equal(mb__meminfo_value(text, "NoSuchKey", &v), MB_OK);
    assert_true(v == MB_UNKNOWN);
    free(text);
}

static void test_meminfo_parser_proc_format(void **state)
{
    (void)state;
    char *text = tu_slurp(MB_FIXTURES "/illustrative/jetson_agx_orin_64gb_meminfo");
    assert_non_null(text);
    int64_t v;
    assert_int_equal(mb__meminfo_value(text, "MemAvailable", &v), MB_OK);
    assert_int_equal(v, 53421760LL * 1024);
    free(text);
    /* counts without kB stay counts; malformed values are errors naming the key */
    assert_int_equal(mb__meminfo_value("HugePages_Total:      12\n", "HugePages_Total", &v),
                     MB_OK);
    assert_int_equal(v, 12);
    assert_int_equal(mb__meminfo_value("MemTotal:   12x4 kB\n", "MemTotal", &v), MB_EPARSE);
    assert_non_null(strstr(mb_error_detail(), "MemTotal"));
    assert_int_equal(mb__meminfo_value("MemTotal: 99999999999999999999 kB\n", "MemTotal", &v),
                     MB_EPARSE);
    assert_int_equal(mb__meminfo_value("MemTotal: 18014398509481984 kB\n", "MemTotal", &v),
                     MB_ERANGE);
}

static void test_list_parser(void **state)
{
    (void)state;
    unsigned char bits[16];
    assert_int_equal(mb__parse_list("0-3,8,10-11\n", bits, 16), MB_OK);
    int want[16] = {1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0};
    for (int i = 0; i < 16; i++)
        assert_int_equal(bits[i], want[i]);
    assert_int_equal(mb__parse_list("\n", bits, 16), MB_OK);
    for (int i = 0; i < 16; i++)
        assert_int_equal(bits[i], 0);
    assert_int_equal(mb__parse_list("3-1", bits, 16), MB_EPARSE);
    assert_int_equal(mb__parse_list("1,,2", bits, 16), MB_EPARSE);
    assert_int_equal(mb__parse_list("a", bits, 16), MB_EPARSE);
    assert_int_equal(mb__parse_list("16", bits, 16), MB_ERANGE);
}

static void test_sysroot_reads_and_refusals(void **state)
{
    (void)state;
    char root[1024], path[1200];
    tu_fresh_dir("sysroot-reads", root, sizeof root);
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    tu_write(path, "MemTotal:       1048576 kB\nMemFree:  524288 kB\nMemAvailable: 786432 kB\n");
    /* a symlink that points out of the root must not be followed out of it */
    snprintf(path, sizeof path, "%s/etc", root);
    tu_mkdirs(path);
    snprintf(path, sizeof path, "%s/etc/escape", root);
    assert_int_equal(symlink("/etc/hostname", path), 0);
    snprintf(path, sizeof path, "%s/etc/dotdot", root);
    assert_int_equal(symlink("../../../../../../../../etc/hostname", path), 0);

    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.sysroot = root;
    mb_context *ctx;
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    assert_string_equal(mb_context_sysroot(ctx), root);
    mb_host_memory h;
    assert_int_equal(mb_host_memory_get(ctx, &h), MB_OK);
    assert_int_equal(h.total, 1048576LL * 1024);
    assert_int_equal(h.available, 786432LL * 1024);
    int64_t total;
    assert_int_equal(mb_host_memory_total(ctx, &total), MB_OK);
    assert_int_equal(total, 1048576LL * 1024);

    char buf[256];
    /* absolute symlink: resolved inside the root (RESOLVE_IN_ROOT), where it is missing */
    assert_true(mb__plat_read(&ctx->plat, "/etc/escape", buf, sizeof buf) < 0);
    assert_true(mb__plat_read(&ctx->plat, "/etc/dotdot", buf, sizeof buf) < 0);
    assert_true(mb__plat_read(&ctx->plat, "/../../etc/hostname", buf, sizeof buf) < 0);
    /* and so is the existence test (it once followed the link out with fstatat): a link
     * to a file this test made outside the root */
    char outside[1024], target[1200];
    tu_fresh_dir("sysroot-outside", outside, sizeof outside);
    snprintf(target, sizeof target, "%s/real", outside);
    tu_write(target, "outside\n");
    snprintf(path, sizeof path, "%s/etc/out", root);
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(access(path, F_OK), 0); /* the host sees it through the link */
    assert_int_equal(mb__plat_exists(&ctx->plat, "/etc/out"), 0);
    assert_int_equal(mb__plat_exists(&ctx->plat, "/etc/escape"), 0);
    assert_int_equal(mb__plat_exists(&ctx->plat, "/etc/dotdot"), 0);
    assert_int_equal(mb__plat_exists(&ctx->plat, "/../../etc/hostname"), 0);
    assert_int_equal(mb__plat_exists(&ctx->plat, "/proc/meminfo"), 1);
    assert_int_equal(mb__plat_exists(&ctx->plat, "/etc"), 1);

    /* side effects are refused on a machine dump */
    mb_tracker *t;
    assert_int_equal(mb_tracker_init(&t, ctx, 0, 0), MB_EFOREIGN);
    assert_null(t);
    assert_non_null(strstr(mb_error_detail(), root));
    mb_context_free(ctx);
}


static void test_sysroot_option_errors(void **state)
{
    (void)state;
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    mb_context *ctx = (mb_context *)1;
    o.sysroot = "/definitely/not/here";
    assert_int_equal(mb_context_init(&ctx, &o), MB_EINVAL);
    assert_null(ctx);
    assert_non_null(strstr(mb_error_detail(), "/definitely/not/here"));
    o.sysroot = "relative/dir";
    assert_int_equal(mb_context_init(&ctx, &o), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "not an absolute path"));
    o.sysroot = MB_FIXTURES "/illustrative/node0_meminfo"; /* a file, not a folder */
    assert_int_equal(mb_context_init(&ctx, &o), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "not a folder"));
    /* the variable is read when the option is unset; the option wins when set */
    setenv("MEMBUDGET_SYSROOT", "/nope/nope", 1);
    mb_context_options_init(&o, sizeof o);
    assert_int_equal(mb_context_init(&ctx, &o), MB_EINVAL);
    assert_non_null(strstr(mb_error_detail(), "MEMBUDGET_SYSROOT"));
    o.sysroot = "/";
    assert_int_equal(mb_context_init(&ctx, &o), MB_OK);
    assert_string_equal(mb_context_sysroot(ctx), "/");
    mb_context_free(ctx);
    unsetenv("MEMBUDGET_SYSROOT");
}

static void test_clock(void **state)
{
    (void)state;
    double a = mb__clock_mono(), w = mb__clock_wall();
    assert_true(w > 1.6e9); /* after 2020 */
    usleep(2000);
    assert_true(mb__clock_mono() - a >= 0.0019);
}

/* dlopen: bare sonames only, and never a library found through a relative directory. */
static void test_dlopen_refusals(void **state)
{
    (void)state;
    char why[512];
    assert_null(mb__dl_open("./libm.so.6", NULL, why, sizeof why));
    assert_non_null(strstr(why, "only a bare soname"));
    assert_null(mb__dl_open("/lib/x86_64-linux-gnu/libm.so.6", NULL, why, sizeof why));
    int absent = 0;
    assert_null(mb__dl_open("libmb-no-such-library.so.1", &absent, why, sizeof why));
    assert_non_null(strstr(why, "libmb-no-such-library.so.1"));
    assert_int_equal(absent, 1);
    /* a library that exists but cannot be loaded is not absent: a file that is not ELF,
     * found through an absolute LD_LIBRARY_PATH entry (a child: the loader reads it at
     * start) */
    {
        char dir[1024], cmd[4096];
        tu_fresh_dir("dl-junk", dir, sizeof dir);
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && echo 'not an ELF file' > libmbjunk.so.1 && "
                 "LD_LIBRARY_PATH='%s' '%s' --probe-dl libmbjunk.so.1", dir, dir, MB_SELF);
        int st = system(cmd);
        assert_int_equal(WEXITSTATUS(st), 4); /* found, cannot be loaded: not absent */
        snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH='%s' '%s' --probe-dl libmbnone.so.1", dir,
                 MB_SELF);
        st = system(cmd);
        assert_int_equal(WEXITSTATUS(st), 5); /* found nowhere: absent */
    }
    /* a library in the current directory reached through a relative LD_LIBRARY_PATH entry
     * (the loader reads LD_LIBRARY_PATH at start, so this runs in a child process): refused
     * before dlopen, so its constructor never runs. Each form: ".", an empty entry (a
     * leading, inner or trailing colon), "sub/..". */
    static const char *const paths[] = {".", ":/nonexistent", "/nonexistent::/x",
                                        "/nonexistent:", "lib/..", "./", "hw", "old"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        char dir[1024], cmd[4096];
        tu_fresh_dir("dl-relative", dir, sizeof dir);
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && mkdir -p lib hw/glibc-hwcaps/x86-64-v2 && cp '%s' libmbctor.so.1 && "
                 "cp libmbctor.so.1 hw/glibc-hwcaps/x86-64-v2/ && "
                 "mkdir -p old/tls/haswell/x86_64 && cp libmbctor.so.1 old/tls/haswell/x86_64/ && "
                 "LD_LIBRARY_PATH='%s' '%s' --probe-dl libmbctor.so.1", dir, MB_CTOR_LIB,
                 paths[i], MB_SELF);
        int st = system(cmd);
        if (WEXITSTATUS(st) != 3)
            fail_msg("LD_LIBRARY_PATH='%s': exit %d, not 3 (refused)", paths[i],
                     WEXITSTATUS(st));
        char marker[1100];
        snprintf(marker, sizeof marker, "%s/ctor-ran", dir);
        if (access(marker, F_OK) == 0)
            fail_msg("LD_LIBRARY_PATH='%s': the library's constructor ran", paths[i]);
    }
    /* the control: the same library through an absolute entry loads, constructor and all,
     * and a relative entry that does not hold the library does not refuse it */
    static const char *const before[] = {"", "", ".:", "sub:"}, *const after[] = {"", ":.", "", ""};
    for (size_t i = 0; i < sizeof before / sizeof *before; i++) {
        char dir[1024], cmd[4096], lp[2200];
        tu_fresh_dir("dl-absolute", dir, sizeof dir);
        snprintf(lp, sizeof lp, "%s%s/abs%s", before[i], dir, after[i]);
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && mkdir -p abs sub && cp '%s' abs/libmbctor.so.1 && "
                 "LD_LIBRARY_PATH='%s' '%s' --probe-dl libmbctor.so.1", dir, MB_CTOR_LIB, lp,
                 MB_SELF);
        int st = system(cmd);
        if (WEXITSTATUS(st) != 0)
            fail_msg("LD_LIBRARY_PATH='%s': exit %d, not 0 (loaded)", lp, WEXITSTATUS(st));
        char marker[1100];
        snprintf(marker, sizeof marker, "%s/ctor-ran", dir);
        assert_int_equal(access(marker, F_OK), 0);
    }
}

/* The guard reads the LD_LIBRARY_PATH the loader read at start-up, not the current one:
 * a child started with a relative entry holding the library and then unsetting the
 * variable is still refused (the loader would search that entry); a child started with an
 * absolute entry that then sets a relative one still loads the absolute copy. */
static void test_dlopen_guard_reads_startup_path(void **state)
{
    (void)state;
    /* the reader of the initial environment: the last entry wins, as in the loader */
    static const char block[] = "LD_LIBRARY_PATH=/a\0HOME=/\0LD_LIBRARY_PATH_X=y\0"
                                "LD_LIBRARY_PATH=.:/b";
    char v[64];
    assert_int_equal(mb__environ_last(block, sizeof block - 1, "LD_LIBRARY_PATH", v, sizeof v),
                     1);
    assert_string_equal(v, ".:/b");
    assert_int_equal(mb__environ_last(block, sizeof block - 1, "PATH", v, sizeof v), 0);
    assert_string_equal(v, "");
    char dir[1024], cmd[4096];
    tu_fresh_dir("dl-startup", dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && cp '%s' libmbctor.so.1 && LD_LIBRARY_PATH=. '%s' --probe-dl-setenv - "
             "libmbctor.so.1", dir, MB_CTOR_LIB, MB_SELF);
    int st = system(cmd);
    if (WEXITSTATUS(st) != 3)
        fail_msg("started with LD_LIBRARY_PATH=., then unset: exit %d, not 3 (refused)",
                 WEXITSTATUS(st));
    char marker[1100];
    snprintf(marker, sizeof marker, "%s/ctor-ran", dir);
    assert_int_not_equal(access(marker, F_OK), 0);
    tu_fresh_dir("dl-startup-abs", dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p abs && cp '%s' abs/libmbctor.so.1 && cp '%s' libmbctor.so.1 && "
             "LD_LIBRARY_PATH='%s/abs' '%s' --probe-dl-setenv . libmbctor.so.1", dir,
             MB_CTOR_LIB, MB_CTOR_LIB, dir, MB_SELF);
    st = system(cmd);
    if (WEXITSTATUS(st) != 0)
        fail_msg("started with an absolute LD_LIBRARY_PATH, then set to '.': exit %d, not 0 "
                 "(loaded from the absolute entry)", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--probe-dl-setenv") == 0) {
        if (strcmp(argv[2], "-") == 0)
            unsetenv("LD_LIBRARY_PATH");
        else
            setenv("LD_LIBRARY_PATH", argv[2], 1);
        argv[1] = (char *)"--probe-dl";
        argv[2] = argv[3];
        argc = 3;
    }
    if (argc == 3 && strcmp(argv[1], "--probe-dl") == 0) { /* child of test_dlopen_refusals */
        char why[512];
        int absent = -1;
        void *h = mb__dl_open(argv[2], &absent, why, sizeof why);
        if (h)
            return 0;
        if (absent)
            return 5; /* found nowhere */
        return strstr(why, "relative") ? 3 : 4;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meminfo_parser_node_format),
        cmocka_unit_test(test_meminfo_parser_proc_format),
        cmocka_unit_test(test_list_parser),
        cmocka_unit_test(test_sysroot_reads_and_refusals),
        cmocka_unit_test(test_sysroot_option_errors),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_dlopen_refusals),
        cmocka_unit_test(test_dlopen_guard_reads_startup_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
