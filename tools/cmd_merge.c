/* tools/cmd_merge.c: `membudget merge`: the cluster document without MPI, from the
 * `snapshot --json` outputs of many nodes (files, or standard input holding one or more
 * documents one after the other). Cluster documents (`snapshot --mpi --json`, or an
 * earlier merge) are taken too, rank by rank. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_chart.h"
#include "cluster_doc.h"

int cmd_merge(int argc, char **argv);

typedef struct merge {
    mb_rank_record *all;
    int n, cap;
} merge;

static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *bigger = realloc(buf, cap * 2 + 1);
        if (!bigger) {
            free(buf);
            return NULL;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static int add(merge *m, const cJSON *snap, const char *host, const char *name, int doc,
               int index)
{
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 16;
        mb_rank_record *a = realloc(m->all, (size_t)cap * sizeof *a);
        if (!a)
            return cli_fail("out of memory after %d devices", m->n);
        m->all = a;
        m->cap = cap;
    }
    mb_rank_record *r = &m->all[m->n];
    mb_rank_record_init(r, 0, 1);
    char why[256];
    mb_snapshot s;
    if (cli_snapshot_from_json(snap, &s, why, sizeof why))
        return cli_fail("%s, document %d, entry %d: %s (give `membudget snapshot --json` "
                        "output)", name, doc, index, why);
    mb_rank_record_set_snapshot(r, &s);
    snprintf(r->host, sizeof r->host, "%s", host);
    m->n++;
    return CLI_OK;
}

/* One document: a snapshot --json (host from "hostname", else the file's name) or a
 * cluster document (each rank's own host). */
static int add_doc(merge *m, const cJSON *doc, const char *name, int k)
{
    const cJSON *snaps = cJSON_GetObjectItemCaseSensitive(doc, "snapshots");
    const cJSON *ranks = cJSON_GetObjectItemCaseSensitive(doc, "ranks");
    const cJSON *it;
    int i = 0, rc;
    if (cJSON_IsArray(snaps)) {
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(doc, "hostname");
        const char *host = cJSON_IsString(h) && h->valuestring[0] ? h->valuestring : name;
        cJSON_ArrayForEach(it, snaps) if ((rc = add(m, it, host, name, k, i++))) return rc;
        return CLI_OK;
    }
    if (cJSON_IsArray(ranks)) {
        cJSON_ArrayForEach(it, ranks)
        {
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "host");
            if ((rc = add(m, it, cJSON_IsString(h) ? h->valuestring : name, name, k, i++)))
                return rc;
        }
        return CLI_OK;
    }
    return cli_fail("%s, document %d: neither `membudget snapshot --json` output (no "
                    "\"snapshots\" list) nor a cluster document (no \"ranks\" list)", name, k);
}

static int add_text(merge *m, const char *text, size_t len, const char *name)
{
    const char *p = text, *end = text + len;
    int k = 0;
    for (;;) {
        while (p < end && strchr(" \t\r\n", *p))
            p++;
        if (p >= end)
            break;
        const char *stop = NULL;
        cJSON *doc = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &stop, 0);
        if (!doc)
            return cli_fail("%s: document %d is not JSON (near byte %ld): give `membudget "
                            "snapshot --json` output", name, k,
                            (long)((stop ? stop : p) - text));
        int rc = add_doc(m, doc, name, k++);
        cJSON_Delete(doc);
        if (rc)
            return rc;
        p = stop;
    }
    if (k == 0)
        return cli_fail("%s: no JSON document in it", name);
    return CLI_OK;
}

int cmd_merge(int argc, char **argv)
{
    int json = 0, nfiles = 0, rc = CLI_OK;
    cli_chart pic = {0};
    for (int i = 1; i < argc; i++) {
        int at = i, k = cli_chart_option("merge", argc, argv, &i, &pic);
        if (k < 0)
            return CLI_USAGE;
        if (k) { /* taken out of argv, so that the files below are the files alone */
            memmove(argv + at, argv + i + 1, (size_t)(argc - i - 1) * sizeof *argv);
            argc -= i - at + 1;
            i = at - 1;
            continue;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("merge", "unknown option '%s'", argv[i]);
        else
            nfiles++;
    }
    if (cli_chart_check("merge", &pic, json))
        return CLI_USAGE;
    merge m = {0};
    const char *only = NULL; /* the input, when there is one */
    for (int i = 1; rc == CLI_OK && i <= argc; i++) {
        const char *name = i < argc ? argv[i] : NULL;
        if (name && strcmp(name, "--json") == 0)
            continue;
        if (!name && nfiles)
            break;
        int is_stdin = !name || strcmp(name, "-") == 0;
        FILE *f = is_stdin ? stdin : fopen(name, "r");
        if (!f) {
            rc = cli_fail("%s: cannot open it: %s", name, strerror(errno));
            break;
        }
        size_t len = 0;
        char *text = slurp(f, &len);
        if (!is_stdin)
            fclose(f);
        if (!text) {
            rc = cli_fail("%s: out of memory reading it", is_stdin ? "standard input" : name);
            break;
        }
        only = is_stdin ? "standard input" : name;
        rc = add_text(&m, text, len, only);
        free(text);
    }
    if (rc == CLI_OK) {
        for (int i = 0; i < m.n; i++) {
            m.all[i].rank = i;
            m.all[i].world_size = m.n;
        }
        mb_agreement ag;
        if (m.n == 0 && nfiles > 1)
            rc = cli_fail("merge: no device in any of the %d inputs: give `membudget snapshot "
                          "--json` output (its \"snapshots\" list) of each node", nfiles);
        else if (m.n == 0)
            rc = cli_fail("%s: no device in it: give `membudget snapshot --json` output (its "
                          "\"snapshots\" list) of each node", only);
        else if (mb_cluster_reduce(m.all, m.n, 0, &ag))
            rc = cli_fail_rc(MB_EINVAL, "merge");
        else if ((cli_flags(ag.reason, sizeof ag.reason), json))
            rc = cli_print_json(cli_cluster_doc(m.all, m.n, &ag));
        else {
            cli_cluster_text(m.all, m.n, &ag);
            rc = fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write to standard output");
        }
        if (rc == CLI_OK && cli_chart_wanted(&pic, json))
            rc = cli_chart_ranks(&pic, json, "merge", NULL, m.all, m.n, &ag);
    }
    free(m.all);
    return rc;
}
