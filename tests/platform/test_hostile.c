/* tests/platform: hostile files where the library expects procfs or sysfs files: a FIFO,
 * a socket, a character device. Each read must end with a clear error naming the path and
 * the kind of file, never hang (each case runs in a child under alarm(5): a hang is a
 * SIGALRM death, reported as a failure), both under a sysroot and on the live machine. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "membudget.h"
#include "platform/platform.h"
#include "testutil.h"

static char root[256];

static void mkdirs(const char *path)
{
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            (void)mkdir(p, 0755);
            *s = '/';
        }
    (void)mkdir(p, 0755);
}

/* Runs one read of path (under sysroot, or "/" when NULL) in a child; returns the child's
 * verdict: 0 a clear error naming kind came back, 1 a wrong answer, -1 a hang or crash. */
static int read_in_child(const char *sysroot, const char *path, const char *kind)
{
    pid_t pid = fork();
    if (pid == 0) {
        alarm(5);
        mb_platform plat;
        if (mb__plat_init(&plat, sysroot) != MB_OK)
            _exit(1);
        char buf[256];
        long n = mb__plat_read(&plat, path, buf, sizeof buf);
        int ok = n == MB_EIO && strstr(mb_error_detail(), path) &&
                 strstr(mb_error_detail(), kind) &&
                 strstr(mb_error_detail(), "not a regular file");
        if (!ok)
            fprintf(stderr, "read %s: %ld, detail '%s'\n", path, n, mb_error_detail());
        mb__plat_fini(&plat);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "read %s: killed by signal %d (a hang ends with SIGALRM)\n", path,
                WTERMSIG(st));
        return -1;
    }
    return WEXITSTATUS(st);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "%s/hostile-%d", MB_TEST_WORK, (int)getpid());
    char p[512];
    snprintf(p, sizeof p, "%s/proc", root);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/sys/devices/system/node", root);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/proc/meminfo", root);
    unlink(p);
    assert_int_equal(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/sys/devices/system/node/online", root);
    unlink(p);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", p);
    assert_true(strlen(p) < sizeof a.sun_path);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    close(s);
    return 0;
}

static void test_fifo_under_sysroot(void **state)
{
    (void)state;
    assert_int_equal(read_in_child(root, "/proc/meminfo", "FIFO"), 0);
}

static void test_fifo_on_live_machine(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof p, "%s/proc/meminfo", root);
    assert_int_equal(read_in_child(NULL, p, "FIFO"), 0);
}

static void test_socket_under_sysroot(void **state)
{
    (void)state;
    /* open(2) of a socket fails with ENXIO: a clear error already, naming the path */
    pid_t pid = fork();
    if (pid == 0) {
        alarm(5);
        mb_platform plat;
        if (mb__plat_init(&plat, root) != MB_OK)
            _exit(1);
        char buf[64];
        long n = mb__plat_read(&plat, "/sys/devices/system/node/online", buf, sizeof buf);
        _exit(n == MB_EIO && strstr(mb_error_detail(), "/sys/devices/system/node/online") ? 0
                                                                                        : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_char_device_on_live_machine(void **state)
{
    (void)state;
    /* /dev/zero would never end a read-to-the-end loop of a small buffer's size check */
    assert_int_equal(read_in_child(NULL, "/dev/zero", "character device"), 0);
}

static void test_context_with_fifo_meminfo(void **state)
{
    (void)state;
    /* the whole path a user takes: a context on the dump answers (no CPU device, with the
     * reason) instead of hanging */
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
        o.sysroot = root;
        mb_context *ctx = NULL;
        if (mb_context_init(&ctx, &o) != MB_OK)
            _exit(2);
        (void)mb_context_probe(ctx);
        mb_context_free(ctx);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_under_sysroot),
        cmocka_unit_test(test_fifo_on_live_machine),
        cmocka_unit_test(test_socket_under_sysroot),
        cmocka_unit_test(test_char_device_on_live_machine),
        cmocka_unit_test(test_context_with_fifo_meminfo),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
