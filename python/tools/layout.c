/*
 * layout.c: writes layout.json, the size and field offsets of every struct the Python
 * package mirrors with ctypes, as this build's header declares them, and the version the
 * header names. Built and run by python/CMakeLists.txt at wheel build time; the package
 * compares its mirrors (membudget/_abi.py) against this file at import and refuses to
 * load when one differs.
 */
#include <stddef.h>
#include <stdio.h>

#include <membudget.h>
#include <membudget/numa.h>
#include <membudget/vllm.h>
#include <membudget/cluster.h>

static FILE *out;
static int first_struct = 1, first_field;

static void begin(const char *name, size_t size)
{
    fprintf(out, "%s\n  \"%s\": {\"size\": %zu, \"fields\": {", first_struct ? "" : ",", name,
            size);
    first_struct = 0;
    first_field = 1;
}

static void field(const char *name, size_t offset)
{
    fprintf(out, "%s\"%s\": %zu", first_field ? "" : ", ", name, offset);
    first_field = 0;
}

static void end(void)
{
    fprintf(out, "}}");
}

#define S(T) begin(#T, sizeof(T))
#define F(T, f) field(#f, offsetof(T, f))

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mb_layout OUT.json\n");
        return 2;
    }
    out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    fprintf(out, "{\"version_string\": \"%s\", \"version\": [%d, %d, %d],\n\"structs\": {",
            MEMBUDGET_VERSION_STRING, MEMBUDGET_VERSION_MAJOR, MEMBUDGET_VERSION_MINOR,
            MEMBUDGET_VERSION_PATCH);
#include "layout_list.h"
    fprintf(out, "\n}}\n");
    return fclose(out) == 0 ? 0 : 1;
}
