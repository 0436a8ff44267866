/* tools/cmd_snapshot.c: `membudget snapshot`: free and total of every device (or one), then
 * a row per NUMA node (memory-only and cpuset-excluded nodes included) and the container's
 * memory limit. */
#include <string.h>

#include "cli.h"
#include "cluster_doc.h"
#include "cli_chart.h"

int cmd_snapshot(int argc, char **argv);

/* The rows per NUMA node and the container, as text or into root (JSON). */
static int nodes_and_container(mb_context *ctx, cJSON *root, int with_nodes)
{
    int rc;
    int n = with_nodes ? mb_numa_node_count(ctx) : 0;
    if (n < 0)
        return cli_fail_rc(n, "NUMA nodes");
    cJSON *arr = root && with_nodes ? cJSON_AddArrayToObject(root, "nodes") : NULL;
    if (!root && n > 0)
        printf("NUMA nodes (own meminfo figures):\n");
    for (int i = 0; i < n; i++) {
        mb_numa_node nd = MB_NUMA_NODE_INIT;
        if ((rc = mb_numa_node_get(ctx, i, &nd)))
            return cli_fail_rc(rc, "NUMA node");
        if (root) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "node", nd.node);
            cli_json_text(o, "kind", nd.kind);
            cJSON_AddBoolToObject(o, "allowed", nd.allowed);
            cJSON_AddNumberToObject(o, "cpus", nd.cpus);
            cJSON_AddNumberToObject(o, "cpus_allowed", nd.cpus_allowed);
            if (nd.device >= 0) {
                char name[16];
                snprintf(name, sizeof name, "cpu:%d", nd.node);
                cli_json_text(o, "device", name);
            } else {
                cJSON_AddNullToObject(o, "device");
                cli_json_text(o, "why_not_a_device", nd.why_not);
            }
            cli_json_bytes(o, "total_memory", nd.total_memory);
            cli_json_bytes(o, "free_memory", nd.free_memory);
            cJSON_AddItemToArray(arr, o);
        } else {
            char t[32], f[32], cpus[48];
            if (nd.cpus < 0)
                snprintf(cpus, sizeof cpus, "cpus unknown");
            else
                snprintf(cpus, sizeof cpus, "%d cpus (%d allowed)", nd.cpus, nd.cpus_allowed);
            printf("  node%-4d %-24s total %s, free %s, %s%s%s\n", nd.node, nd.kind,
                   cli_gib(nd.total_memory, t, sizeof t), cli_gib(nd.free_memory, f, sizeof f),
                   cpus, nd.device >= 0 ? "" : "; not a device: ", nd.why_not);
        }
    }
    mb_container_info c = MB_CONTAINER_INFO_INIT;
    if ((rc = mb_container_memory_get(ctx, &c)))
        return cli_fail_rc(rc, "container memory");
    if (root) {
        cJSON *o = cJSON_AddObjectToObject(root, "container");
        cJSON_AddNumberToObject(o, "cgroup_version", c.version);
        cli_json_text(o, "path", c.path);
        if (c.limit == MB_UNLIMITED)
            cli_json_text(o, "limit", "unlimited");
        else
            cli_json_bytes(o, "limit", c.limit);
        cli_json_bytes(o, "usage", c.usage);
        cli_json_bytes(o, "inactive_file", c.inactive_file);
        if (c.available == MB_UNLIMITED)
            cli_json_text(o, "available", "unlimited");
        else
            cli_json_bytes(o, "available", c.available);
        cli_json_text(o, "bound_by", c.bound_by);
    } else if (c.version == 0) {
        printf("container: no memory cgroup, no limit\n");
    } else {
        char l[32], u[32], a[32];
        printf("container: cgroup v%d %s, limit %s, usage %s, available %s%s%s%s\n", c.version,
               c.path, cli_gib(c.limit, l, sizeof l), cli_gib(c.usage, u, sizeof u),
               cli_gib(c.available, a, sizeof a), c.bound_by[0] ? " (bound by " : "",
               c.bound_by, c.bound_by[0] ? ")" : "");
    }
    return CLI_OK;
}

int cmd_snapshot(int argc, char **argv)
{
    if (cli_mpi_wanted(argc, argv))
        return cli_mpi_snapshot(argc, argv);
    int json = 0;
    const char *device = NULL;
    cli_chart pic = {0};
    for (int i = 1; i < argc; i++) {
        int k = cli_chart_option("snapshot", argc, argv, &i, &pic);
        if (k < 0)
            return CLI_USAGE;
        if (k)
            continue;
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--device") == 0) {
            if (i + 1 >= argc)
                return cli_usage("snapshot", "--device needs a device name such as cpu:0");
            device = argv[++i];
        } else if (strncmp(argv[i], "--device=", 9) == 0)
            device = argv[i] + 9;
        else
            return cli_usage("snapshot", "unknown option '%s'", argv[i]);
    }
    if (cli_chart_check("snapshot", &pic, json))
        return CLI_USAGE;
    int drawn = cli_chart_wanted(&pic, json);
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int first = 0, last, rc;
    int n = mb_device_count(ctx);
    if (n < 0) {
        rc = cli_fail_rc(n, "no device to measure");
        mb_context_free(ctx);
        return rc;
    }
    last = n - 1;
    if (device) {
        if ((rc = mb_device_find(ctx, device, &first))) {
            rc = cli_fail_rc(rc, "--device");
            mb_context_free(ctx);
            return rc;
        }
        last = first;
    }
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *arr = json ? cJSON_AddArrayToObject(root, "snapshots") : NULL;
    if (json) {
        char hostname[MB_RECORD_HOST_MAX];
        cli_host_name(hostname, sizeof hostname); /* what `membudget merge` labels it by */
        cli_json_text(root, "hostname", hostname);
        mb_host_memory h;
        if (mb_host_memory_get(ctx, &h) == MB_OK) {
            cJSON *ho = cJSON_AddObjectToObject(root, "host");
            cli_json_bytes(ho, "total_memory", h.total);
            cli_json_bytes(ho, "available_memory", h.available);
            cli_json_bytes(ho, "free_memory", h.free);
        }
    }
    for (int i = first; i <= last; i++) {
        mb_snapshot s;
        /* the name first: each call empties the detail a failing measure leaves */
        mb_device_info d = MB_DEVICE_INFO_INIT;
        mb_device_get(ctx, i, &d);
        if ((rc = mb_snapshot_measure(ctx, i, NULL, &s))) {
            cJSON_Delete(root);
            cli_chart_free(&pic);
            rc = cli_fail_rc(rc, d.name);
            mb_context_free(ctx);
            return rc;
        }
        if (drawn) {
            if ((rc = cli_chart_add_snapshot(&pic, &s, d.model))) {
                cJSON_Delete(root);
                cli_chart_free(&pic);
                mb_context_free(ctx);
                return rc;
            }
        }
        if (json) {
            cJSON_AddItemToArray(arr, cli_snapshot_json(&s));
        } else {
            char t[32], f[32], l[32], text[512];
            mb_snapshot_format(&s, text, sizeof text);
            printf("%-8s total %s, free %s (source %s%s%s%s), container limit %s\n", s.device,
                   cli_gib(s.total_memory, t, sizeof t), cli_gib(s.free_memory, f, sizeof f),
                   mb_source_name(s.source),
                   s.flags & MB_SNAP_HOST_FALLBACK ? ", node files do not cover the host" : "",
                   s.flags & MB_SNAP_LIMITED ? ", bounded by the container" : "",
                   s.flags & MB_SNAP_CLAMPED ? ", clamped to total" : "",
                   cli_gib(s.limit, l, sizeof l));
            printf("         %s\n", text);
        }
    }
    if ((rc = nodes_and_container(ctx, root, device == NULL))) {
        cJSON_Delete(root);
        cli_chart_free(&pic);
        mb_context_free(ctx);
        return rc;
    }
    rc = json ? cli_print_json(root) : CLI_OK;
    if (drawn)
        rc = rc == CLI_OK ? cli_chart_snapshots(&pic, json) : (cli_chart_free(&pic), rc);
    mb_context_free(ctx);
    return rc;
}
