/* platform/clock.c: wall and monotonic clocks as seconds. */
#include <time.h>

#include "base.h"

static double to_seconds(const struct timespec *ts)
{
    return (double)ts->tv_sec + (double)ts->tv_nsec * 1e-9;
}

double mb__clock_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return to_seconds(&ts);
}

double mb__clock_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return to_seconds(&ts);
}
