/* tools/membudget.c: the membudget command: dispatch, --help and --version. */
#include <string.h>

#include "cli.h"

int cmd_devices(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_gather(int argc, char **argv);
int cmd_kv_space(int argc, char **argv);

const cli_command cli_commands[] = {
    {"devices", cmd_devices, "List each backend tried (present, absent, broken, and why) and "
                             "each device served.",
     "membudget devices [--json]"},
    {"snapshot", cmd_snapshot, "Measure free and total memory of every device (or one) now.",
     "membudget snapshot [--device NAME] [--json]"},
    {"gather", cmd_gather, "Copy the /proc and /sys files membudget reads into DIR, a dump that "
                           "MEMBUDGET_SYSROOT=DIR reads back.",
     "membudget gather DIR"},
    {"kv-space", cmd_kv_space, "The CPU KV-cache size of a local rank (VLLM_CPU_KVCACHE_SPACE, "
                               "explicit or automatic), its NUMA node and why.",
     "membudget kv-space [--rank N] [--utilization U] [--json]\n"
     "\n"
     "  --rank N         the local rank (default 0): VLLM_CPU_OMP_THREADS_BIND and\n"
     "                   CPU_VISIBLE_MEMORY_NODES decide its node\n"
     "  --utilization U  fraction of the node's memory the worker may use, (0, 1];\n"
     "                   default 0.92 (vLLM's --gpu-memory-utilization)\n"
     "Exit status: 0 with a decision; 1 when a variable is malformed or the size does not\n"
     "fit the node (the message says what to change); 2 for bad usage."},
    {NULL, NULL, NULL, NULL},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: membudget <command> [options]\n"
                "       membudget --help | --version\n\ncommands:\n");
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(to, "  %-10s %s\n", c->name, c->summary);
    fprintf(to, "\n'membudget <command> --help' for a command's options.\n"
                "\nenvironment:\n"
                "  MEMBUDGET_BACKENDS   backends to use, e.g. 'cuda,-hip' (include, -exclude)\n"
                "  MEMBUDGET_SYSROOT    read /proc and /sys under this folder (a machine dump)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            for (const cli_command *c = cli_commands; c->name; c++)
                if (strcmp(c->name, argv[2]) == 0) {
                    cli_print_help(c->name, stdout);
                    return CLI_OK;
                }
        }
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("membudget %s\n", MEMBUDGET_VERSION_STRING);
        return CLI_OK;
    }
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0) {
            for (int i = 2; i < argc; i++)
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                    cli_print_help(c->name, stdout);
                    return CLI_OK;
                }
            return c->run(argc - 1, argv + 1);
        }
    fprintf(stderr, "membudget: unknown command '%s' (see 'membudget --help')\n", argv[1]);
    return CLI_USAGE;
}
