/* tools/cluster_doc.h: the cluster document that `snapshot --mpi`, `plan --mpi` and
 * `merge` print (docs/cluster.md), and the pieces they share. */
#ifndef MB_CLUSTER_DOC_H
#define MB_CLUSTER_DOC_H

#include "cli.h"
#include "membudget/cluster.h"

/* Reads back an object written by cli_snapshot_json (device, the byte fields, source,
 * container_limit, the flag booleans, timestamp). Fails (-1, with a message in why) when a
 * required field is missing or of the wrong type. */
int cli_snapshot_from_json(const cJSON *o, mb_snapshot *s, char *why, size_t size);

/* The host name a record carries: the sysroot's /etc/hostname (or
 * /proc/sys/kernel/hostname) when MEMBUDGET_SYSROOT names a dump, else this machine's;
 * a dump without one is "<this host>:<the dump's folder name>". */
void cli_host_name(char *buf, size_t size);

/* The document: world_size, ranks (rank, host, group, stage, the snapshot's fields, and
 * "plan" when the record has one) and totals; with plan records also the agreed figures.
 */
cJSON *cli_cluster_doc(const mb_rank_record *all, int n, const mb_agreement *a);

/* The same as text, one line per rank then the totals (and the agreement). */
void cli_cluster_text(const mb_rank_record *all, int n, const mb_agreement *a);

#endif
