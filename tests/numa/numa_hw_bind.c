/* tests/numa/numa_hw_bind.c: the binding check of ci/cpu-numa-hw.sh, for a machine with two or
 * more NUMA nodes (not a CTest entry: a one-node machine cannot show that binding chose a node).
 *
 *   numa_hw_bind [MiB]     (default 64)
 *
 * For every CPU device membudget serves (cpu:N, a NUMA node), allocates MiB through the tracking
 * allocator, touches every page, and asks the kernel where each page is (move_pages(2) with no
 * target nodes, a straight system call: the oracle does not go through libnuma or membudget).
 * Prints one line per device ("cpu:1: 16384 of 16384 pages on node 1") and exits 1 unless every
 * page of every device lies on that device's node, or when fewer than two CPU devices exist. */
#define _GNU_SOURCE /* syscall(2) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <membudget.h>

static int check(int rc, const char *what)
{
    if (rc < 0)
        fprintf(stderr, "numa_hw_bind: %s: %s: %s\n", what, mb_error_message(rc),
                mb_error_detail());
    return rc < 0;
}

/* Allocates on device dev, returns 0 when every page is on node; prints the tally. */
static int bind_one(mb_context *ctx, int dev, const mb_device_info *info, size_t bytes)
{
    mb_tracker *t;
    void *p;
    if (check(mb_tracker_init(&t, ctx, dev, 0), info->name))
        return 1;
    if (check(mb_tracker_allocate(t, bytes, &p), info->name)) {
        mb_tracker_free(t);
        return 1;
    }
    long page = sysconf(_SC_PAGESIZE);
    size_t npages = bytes / (size_t)page;
    void **pages = calloc(npages, sizeof *pages);
    int *status = calloc(npages, sizeof *status);
    int bad = 1;
    if (pages && status) {
        memset(p, 0x5a, bytes); /* resident, whatever the allocator did at allocation */
        for (size_t i = 0; i < npages; i++)
            pages[i] = (char *)p + i * (size_t)page;
        if (syscall(SYS_move_pages, 0, (unsigned long)npages, pages, NULL, status, 0) != 0) {
            perror("numa_hw_bind: move_pages");
        } else {
            size_t on = 0, other = 0;
            for (size_t i = 0; i < npages; i++)
                on += status[i] == info->index, other += status[i] != info->index;
            printf("%s: %zu of %zu pages on node %d", info->name, on, npages, info->index);
            for (size_t i = 0; other && i < npages; i++)
                if (status[i] != info->index) {
                    printf(" (first stray: page %zu, status %d)", i, status[i]);
                    break;
                }
            printf("\n");
            bad = other != 0;
        }
    }
    free(pages);
    free(status);
    check(mb_tracker_deallocate(t, p), info->name);
    mb_tracker_free(t);
    return bad;
}

int main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 64;
    if (mib <= 0 || mib > 1 << 20) {
        fprintf(stderr, "numa_hw_bind: MiB must be a whole number from 1 to 1048576, not '%s'\n",
                argv[1]);
        return 2;
    }
    mb_context_options o = MB_CONTEXT_OPTIONS_INIT;
    o.backends = "cpu";
    mb_context *ctx;
    if (check(mb_context_init(&ctx, &o), "init"))
        return 1;
    int n = mb_device_count(ctx), ncpu = 0, bad = 0;
    if (check(n, "devices")) {
        mb_context_free(ctx);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        mb_device_info info = MB_DEVICE_INFO_INIT;
        if (check(mb_device_get(ctx, i, &info), "device")) {
            bad = 1;
            continue;
        }
        if (strcmp(info.backend, "cpu") != 0)
            continue;
        ncpu++;
        bad |= bind_one(ctx, i, &info, (size_t)mib << 20);
    }
    mb_context_free(ctx);
    if (ncpu < 2) {
        fprintf(stderr, "numa_hw_bind: membudget serves %d CPU device(s): binding needs a machine"
                " with two or more NUMA nodes this process may use\n", ncpu);
        return 1;
    }
    return bad;
}
