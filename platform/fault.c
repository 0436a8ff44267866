/* platform/fault.c: the fault-injection counter shared by OS calls, the heap and the
 * backend vtable wrappers. Off (one relaxed atomic load) unless a test arms it. */
#include <stdatomic.h>
#include <stddef.h>

#include "base.h"

static atomic_long armed;     /* calls left before the failing one; 0 = off */
static atomic_long seen;      /* instrumented calls since the last arm */
static const char *_Atomic failed_site;

void mb__fault_arm(long n)
{
    atomic_store(&seen, 0);
    atomic_store(&failed_site, NULL);
    atomic_store(&armed, n > 0 ? n : 0);
}

int mb__fault_hit(const char *site)
{
    if (atomic_load_explicit(&armed, memory_order_relaxed) == 0)
        return 0;
    atomic_fetch_add(&seen, 1);
    long left = atomic_fetch_sub(&armed, 1);
    if (left == 1) {
        atomic_store(&failed_site, site);
        return 1;
    }
    if (left <= 0) /* raced past zero: restore "off" */
        atomic_store(&armed, 0);
    return 0;
}

long mb__fault_count(void) { return atomic_load(&seen); }

const char *mb__fault_site(void)
{
    const char *s = atomic_load(&failed_site);
    return s ? s : "";
}
