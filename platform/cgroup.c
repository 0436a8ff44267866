/* platform/cgroup.c: container memory limits. First version: no limit is detected; the
 * NUMA/containers issue (8) reads cgroup v1 and v2 here. */
#include <string.h>

#include "platform.h"

int mb__container_memory(const mb_platform *plat, mb_container_memory *out)
{
    (void)plat;
    memset(out, 0, sizeof *out);
    out->limit = MB_UNLIMITED;
    out->usage = MB_UNKNOWN;
    out->available = MB_UNLIMITED;
    return MB_OK;
}
