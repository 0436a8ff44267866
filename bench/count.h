/* bench/count.h: counters of the trace build (bench/count.c): heap allocations of the whole
 * process and the file calls of the library, between mb_count_start and mb_count_stop. */
#ifndef MB_BENCH_COUNT_H
#define MB_BENCH_COUNT_H

#include <stddef.h>

#define MB_COUNT_LOG_MAX 64

typedef struct mb_count_entry {
    const char *op; /* "open", "read", "pread", "close", "fopen" */
    char path[256]; /* what the descriptor resolves to (/proc/self/fd) */
    long offset;    /* pread's offset; -1 for read */
    size_t size;    /* bytes asked for */
    long got;       /* what the call returned */
} mb_count_entry;

typedef struct mb_count {
    long allocs; /* malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc */
    long allocs_attributed; /* of those, made with an attributed object on the stack */
    long frees;
    long opens;  /* open, openat, fopen (the library's own calls) */
    long reads;  /* read, pread */
    long closes;
    int nlog;
    mb_count_entry log[MB_COUNT_LOG_MAX];
} mb_count;

/* Zeroes the counters and starts counting (start_log also records each file call). */
void mb_count_start(void);
void mb_count_start_log(void);
/* While counting: allocations whose call stack passes through a loaded object whose path
 * contains a or b (e.g. a test-double driver) are also counted in allocs_attributed, so the
 * caller can tell the library's allocations from the driver's. NULL: off. */
void mb_count_attribute(const char *a, const char *b);
/* Stops counting and copies the counters out. */
void mb_count_stop(mb_count *out);

#endif
