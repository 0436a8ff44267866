/*
 * membudget/cluster.h: one budget for many ranks.
 *
 * An engine with tensor, pipeline or data parallelism must give every rank of one model
 * replica the same number of KV-cache blocks (vLLM takes the minimum over its workers in
 * get_kv_cache_configs; TensorRT-LLM does an MPI MIN all-reduce). Each rank fills one
 * mb_rank_record (its snapshot, its plan, or the error it met), the records are exchanged
 * through the engine's own all-gather (a callback: torch.distributed, MPI, anything) in a
 * fixed, versioned, big-endian wire form of MB_RECORD_BYTES bytes, and every rank reduces
 * the same records to the same mb_agreement: the minimum blocks, the rank that limits it
 * and why. docs/cluster.md has the wire layout and recipes.
 *
 * The common contract of membudget.h holds (negative codes, the detail, zeroed outputs).
 * ABI (docs/abi.md): every function here is new in 1.1 (node MEMBUDGET_1.1). mb_rank_record
 * and mb_agreement are frozen structs: records travel in arrays (mb_cluster_agree's all),
 * so their stride cannot depend on the caller, and what a rank sends is versioned on the
 * wire (MB_RECORD_VERSION) instead; a new figure means a new record version and struct.
 * None of these functions prints, keeps state between calls, or touches a device or a
 * file; mb_cluster_agree allocates one buffer of world_size x MB_RECORD_BYTES for the
 * call. Thread safety: any number of threads on distinct outputs.
 */
#ifndef MEMBUDGET_CLUSTER_H
#define MEMBUDGET_CLUSTER_H

#include "vllm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The wire form: "MBCR", a version, then fixed fields (docs/cluster.md). A decoder refuses
 * any other version rather than guess; a newer library that grows the record bumps it. */
#define MB_RECORD_VERSION 1
#define MB_RECORD_BYTES 512
#define MB_RECORD_HOST_MAX 64
#define MB_RECORD_ERROR_MAX 240

/* What a record holds (mb_rank_record.what). */
#define MB_RECORD_SNAPSHOT 1u /* the snapshot fields are set */
#define MB_RECORD_PLAN 2u     /* the plan fields are set */

typedef struct mb_rank_record {
    int32_t rank;       /* 0 .. world_size-1: the record's place in the all-gather */
    int32_t world_size;
    int32_t status;     /* MB_OK, or the negative code this rank failed with */
    int32_t group;      /* the model replica (data-parallel rank): agreement is per group */
    int32_t stage;      /* the pipeline stage (informational: stages hold different
                         * layers, so their block_bytes differ; the minimum is over them) */
    uint32_t what;      /* MB_RECORD_SNAPSHOT | MB_RECORD_PLAN */
    char host[MB_RECORD_HOST_MAX]; /* where the rank runs ("" when unknown) */
    mb_snapshot snapshot;          /* device, platform, the int64 fields, source, flags,
                                    * timestamp (auto_measure is not carried) */
    /* the rank's own plan (mb_rank_record_set_plan), per rank */
    int64_t requested_memory;
    int64_t non_kv_memory;
    int64_t cudagraph_memory;
    int64_t available_kv_cache_memory;
    int64_t block_bytes;   /* one block over the layers this rank holds */
    int64_t num_blocks;    /* this rank's own: available / block_bytes */
    int32_t startup_ok;
    int32_t fits;
    char error[MB_RECORD_ERROR_MAX]; /* status != 0: the rank's detail message */
} mb_rank_record;

/* A record for rank of world_size (group 0, stage 0, nothing set, status MB_OK; the
 * plan's int64 figures MB_UNKNOWN). MB_EINVAL for world_size < 1 or rank outside it. */
MB_EXPORT int mb_rank_record_init(mb_rank_record *r, int rank, int world_size);
/* Copies s into r and marks it MB_RECORD_SNAPSHOT. */
MB_EXPORT void mb_rank_record_set_snapshot(mb_rank_record *r, const mb_snapshot *s);
/* Copies p's per-rank figures (its budget, block bytes, blocks, start-up check, fits) and
 * marks the record MB_RECORD_PLAN. */
MB_EXPORT void mb_rank_record_set_plan(mb_rank_record *r, const mb_plan *p);
/* Marks the rank failed with code (< 0) and detail (NULL: mb_error_message(code)), truncated
 * to MB_RECORD_ERROR_MAX - 1 bytes. A failed rank still takes part in the exchange: that
 * is how every other rank learns its reason instead of waiting for it. */
MB_EXPORT void mb_rank_record_set_error(mb_rank_record *r, int code, const char *detail);

/* The wire form: exactly MB_RECORD_BYTES bytes, integers big-endian, the timestamp as the
 * big-endian bits of an IEEE-754 double, strings NUL-padded. MB_ENOSPACE when size is
 * smaller; MB_EINVAL for a record whose strings do not fit (they are truncated by the
 * setters, so only a hand-filled record can). */
MB_EXPORT int mb_rank_record_encode(const mb_rank_record *r, void *buf, size_t size);
/* Reads one wire record; MB_EPARSE (naming what is wrong: magic, version, size, a string
 * without its NUL, a status that is not an error code) for anything else. */
MB_EXPORT int mb_rank_record_decode(const void *buf, size_t size, mb_rank_record *out);

/* Why the agreed figure is what it is (mb_agreement.why). */
typedef enum mb_limit_reason {
    MB_LIMIT_NONE = 0,          /* no plan records (a snapshot exchange) */
    MB_LIMIT_ALIKE = 1,         /* every rank of the group has the same blocks */
    MB_LIMIT_TOTAL_MEMORY = 2,  /* the limiting rank's device is smaller */
    MB_LIMIT_FREE_MEMORY = 3,   /* its free memory is below what the utilization asks */
    MB_LIMIT_CONTAINER = 4,     /* a container limit lowered its free memory */
    MB_LIMIT_OTHER_TENANT = 5,  /* memory outside the allocator (another process) */
    MB_LIMIT_NON_KV = 6,        /* its non-KV memory (weights, activations) is larger */
    MB_LIMIT_LAYERS = 7         /* its blocks are larger (a pipeline stage with more
                                 * layers) */
} mb_limit_reason;
/* "none", "alike", "total memory", "free memory", "container limit", "other tenant",
 * "non-KV memory", "layers"; "unknown" otherwise. */
MB_EXPORT const char *mb_limit_reason_name(int32_t why);

typedef struct mb_agreement {
    int32_t world_size;
    int32_t group;          /* the group this agreement is for */
    int32_t group_size;     /* ranks in it */
    /* blocks (plan records only; MB_UNKNOWN and -1 otherwise) */
    int64_t num_blocks;     /* the minimum of the group's num_blocks: what every rank of
                             * the group must use */
    int32_t limiting_rank;  /* the first rank holding that minimum */
    char limiting_host[MB_RECORD_HOST_MAX];
    char limiting_device[MB_NAME_MAX];
    int64_t max_num_blocks; /* the largest in the group (what is left unused elsewhere) */
    int32_t all_startup_ok; /* 1: every rank of the group passes the start-up check */
    int32_t why;            /* an mb_limit_reason */
    char reason[512];       /* one line: the limiting rank, its figures and the cause */
    /* totals over the whole world (snapshot records; a (host, device) pair counted once) */
    int32_t hosts;
    int32_t devices;
    int64_t total_memory;
    int64_t free_memory;
    int64_t min_free_memory;
    int32_t min_free_rank;
} mb_agreement;

/* Reduces n records (rank i at index i, every one status MB_OK) to the agreement of group.
 * Pure: every rank that reduces the same records gets the same result. MB_EINVAL for n < 1,
 * a record out of place, a failed record (use mb_cluster_agree, which reports it), or a
 * group with no rank. */
MB_EXPORT int mb_cluster_reduce(const mb_rank_record *all, int n, int group,
                                mb_agreement *out);

/* The engine's all-gather: send holds bytes; recv receives world_size x bytes, rank r's
 * at r x bytes, the same on every rank. It must give up after timeout_s seconds (a rank
 * that exited or hangs) and then return a negative code (MB_ETIMEOUT), writing into why
 * (why_size bytes, NUL-terminated; may be left "") what went wrong, naming the ranks it
 * did not hear from when it knows them. 0 on success. Called once per mb_cluster_agree,
 * on the calling thread. */
typedef int (*mb_allgather_fn)(void *user, const void *send, void *recv, size_t bytes,
                               double timeout_s, char *why, size_t why_size);

typedef struct mb_collective {
    int32_t rank;
    int32_t world_size;
    mb_allgather_fn allgather;
    void *user;
    double timeout_s; /* passed to allgather; <= 0: MB_COLLECTIVE_TIMEOUT_DEFAULT */
} mb_collective;
#define MB_COLLECTIVE_TIMEOUT_DEFAULT 60.0

/* Exchanges mine (which may carry an error: mb_rank_record_set_error) with every rank
 * through c->allgather and reduces the records for mine->group. Every rank returns the
 * same: MB_OK and the agreement; or, when a rank failed, that rank's own code with the
 * detail "rank R (HOST, DEVICE) failed: ITS DETAIL" (the lowest failed rank); or the
 * callback's code when the exchange itself failed (then ranks may differ: each says what
 * it saw). all (may be NULL) receives the world_size decoded records (cap entries at
 * most: MB_ENOSPACE when smaller). mine->rank and world_size must match c. */
MB_EXPORT int mb_cluster_agree(const mb_collective *c, const mb_rank_record *mine,
                               mb_rank_record *all, int cap, mb_agreement *out);

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_CLUSTER_H */
