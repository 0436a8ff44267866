/* core/services.c: the services table handed to every backend (include/membudget/backend.h):
 * the platform's and policy's functions behind pointers, so a backend links to nothing of
 * the library outside its own folder. One table for the process; it never changes. */
#include "internal.h"

static const char *detail(void) { return mb_error_detail(); }

const mb_backend_services mb__services = {
    .version = MB_SERVICES_VERSION,
    .error = mb__error,
    .detail = detail,
    .malloc = mb__malloc,
    .calloc = mb__calloc,
    .free = mb__free,
    .getenv = mb__getenv,
    .root = mb__plat_root,
    .foreign = mb__plat_foreign,
    .open_file = mb__plat_open,
    .read_file = mb__plat_read,
    .pread_file = mb__plat_pread,
    .exists = mb__plat_exists,
    .parse_u64 = mb__parse_u64,
    .meminfo_value = mb__meminfo_value,
    .host_memory = mb__plat_host_memory,
    .meminfo_read = mb__plat_meminfo_read,
    .host_prepare = mb__plat_host_prepare,
    .container_bound = mb__container_bound,
    .uma_meminfo = mb__uma_meminfo,
    .dl_open = mb__dl_open,
    .dl_sym = mb__dl_sym,
    .format_gib = mb_size_format_gib,
    .topology_get = mb__topology_get,
    .node_meminfo_parse = mb__node_meminfo_parse,
    .format_list = mb__format_list,
    .host_files = mb__plat_files,
    .open_if = mb__plat_open_if,
    .read_if = mb__plat_read_if,
    .host_memory_if = mb__plat_host_memory_if,
    .list = mb__plat_list,
    .text_field = mb__status_field,
    .env = mb__plat_env,
};
