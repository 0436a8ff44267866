/* tools/cmd_devices.c: `membudget devices`: each backend's state and reason, each device. */
#include <string.h>

#include "cli.h"

int cmd_devices(int argc, char **argv);

int cmd_devices(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return cli_usage("devices", "unknown option '%s'", argv[i]);
    }
    mb_context *ctx;
    if (cli_context(&ctx))
        return CLI_FAIL;
    int probe_rc = mb_context_probe(ctx);
    char probe_detail[1024];
    snprintf(probe_detail, sizeof probe_detail, "%s", cli_detail());
    int nb = mb_backend_count(ctx);
    int nd = probe_rc ? 0 : mb_device_count(ctx);
    cJSON *root = json ? cJSON_CreateObject() : NULL;
    cJSON *jb = json ? cJSON_AddArrayToObject(root, "backends") : NULL;
    if (!json)
        printf("backends (in priority order):\n");
    for (int i = 0; i < nb; i++) {
        mb_backend_status st = MB_BACKEND_STATUS_INIT;
        if (mb_backend_get(ctx, i, &st))
            continue;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cli_json_text(o, "name", st.name);
            cli_json_text(o, "state", mb_backend_state_name(st.state));
            cli_json_text(o, "reason", st.reason);
            cJSON_AddNumberToObject(o, "device_count", st.device_count);
            cJSON_AddItemToArray(jb, o);
        } else {
            printf("  %-6s %-9s %s\n", st.name, mb_backend_state_name(st.state), st.reason);
        }
    }
    cJSON *jd = json ? cJSON_AddArrayToObject(root, "devices") : NULL;
    if (!json)
        printf("devices:\n");
    for (int i = 0; i < nd; i++) {
        mb_device_info d = MB_DEVICE_INFO_INIT;
        if (mb_device_get(ctx, i, &d))
            continue;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cli_json_text(o, "device", d.name);
            cli_json_text(o, "backend", d.backend);
            cli_json_text(o, "ops", d.ops);
            cli_json_text(o, "model", d.model);
            cJSON_AddNumberToObject(o, "index", d.index);
            cJSON_AddBoolToObject(o, "integrated", d.integrated);
            cli_json_text(o, "pci_bus_id", d.pci_bus_id);
            cli_json_text(o, "uuid", d.uuid);
            cJSON_AddNumberToObject(o, "numa_node", d.numa_node);
            cli_json_bytes(o, "total_memory", d.total_memory);
            if (d.cc_major) /* issue 14: CUDA's compute capability, else null */
                cJSON_AddNumberToObject(o, "compute_capability",
                                        d.cc_major + d.cc_minor / 10.0);
            else
                cJSON_AddNullToObject(o, "compute_capability");
            cJSON_AddItemToArray(jd, o);
        } else {
            char g[32];
            char cc[32] = "";
            if (d.cc_major)
                snprintf(cc, sizeof cc, ", compute capability %d.%d", d.cc_major, d.cc_minor);
            printf("  %-8s %-9s %-10s %s%s%s, total %s%s\n", d.name, d.ops,
                   d.integrated ? "integrated" : "discrete", d.model,
                   d.pci_bus_id[0] ? ", pci " : "", d.pci_bus_id,
                   cli_gib(d.total_memory, g, sizeof g), cc);
        }
    }
    int rc = CLI_OK;
    if (json)
        rc = cli_print_json(root);
    mb_context_free(ctx);
    if (probe_rc)
        return cli_fail("%s", probe_detail);
    return rc;
}
