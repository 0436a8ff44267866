/* tests/platform/ctor_lib.c: a library whose constructor leaves a file named
 * "ctor-ran" in the current directory. test_dlopen_refusals puts it where only a relative
 * LD_LIBRARY_PATH entry reaches it: membudget must refuse it before the loader maps it,
 * so the file must never appear. */
#include <fcntl.h>
#include <unistd.h>

__attribute__((constructor)) static void mark(void)
{
    int fd = open("ctor-ran", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0)
        close(fd);
}

int mbctor_present(void);
int mbctor_present(void) { return 1; }
