/* core/cluster_record.c: the rank record and its wire form (docs/cluster.md, "The record").
 * Big-endian, fixed offsets, written byte by byte so the host's endianness and struct
 * padding never reach the wire. */
#include <string.h>

#include "internal.h"
#include "membudget/cluster.h"

/* Offsets of the wire form, version 1. */
enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 4,
    OFF_SIZE = 6,
    OFF_RANK = 8,
    OFF_WORLD = 12,
    OFF_STATUS = 16,
    OFF_GROUP = 20,
    OFF_STAGE = 24,
    OFF_WHAT = 28,
    OFF_SNAP = 32,       /* 8 x int64: total free device torch non_torch peak driver limit */
    OFF_TIMESTAMP = 96,  /* IEEE-754 double bits */
    OFF_SOURCE = 104,
    OFF_SNAP_FLAGS = 108,
    OFF_PLAN = 112,      /* 6 x int64: requested non_kv cudagraph available block blocks */
    OFF_PLAN_FLAGS = 160,
    OFF_RESERVED = 164,
    OFF_HOST = 168,
    OFF_DEVICE = OFF_HOST + MB_RECORD_HOST_MAX,    /* 232 */
    OFF_PLATFORM = OFF_DEVICE + MB_NAME_MAX,       /* 264 */
    OFF_ERROR = OFF_PLATFORM + 8,                  /* 272 */
    OFF_END = OFF_ERROR + MB_RECORD_ERROR_MAX      /* 512 */
};
_Static_assert(OFF_END == MB_RECORD_BYTES, "the wire record is MB_RECORD_BYTES long");
_Static_assert(sizeof(((mb_snapshot *)0)->platform) == 8, "platform[8] on the wire");

static const unsigned char magic[4] = {'M', 'B', 'C', 'R'};

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (56 - 8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Two's complement both ways, without implementation-defined conversions. */
static void put_i32(unsigned char *p, int32_t v) { put_u32(p, (uint32_t)v); }
static int32_t get_i32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - INT32_MAX - 1) + INT32_MIN;
}
static void put_i64(unsigned char *p, int64_t v) { put_u64(p, (uint64_t)v); }
static int64_t get_i64(const unsigned char *p)
{
    uint64_t u = get_u64(p);
    return u <= INT64_MAX ? (int64_t)u : (int64_t)(u - INT64_MAX - 1) + INT64_MIN;
}

static int put_str(unsigned char *p, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n >= cap)
        return -1;
    memset(p, 0, cap);
    memcpy(p, s, n);
    return 0;
}

static int get_str(char *dst, const unsigned char *p, size_t cap)
{
    const unsigned char *nul = memchr(p, 0, cap);
    if (!nul)
        return -1;
    memcpy(dst, p, (size_t)(nul - p) + 1);
    return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

MB__API(mb_rank_record_init, (mb_rank_record *r, int rank, int world_size), (r, rank, world_size))
{
    if (!r)
        return mb__error(MB_EINVAL, "mb_rank_record_init: the record is NULL");
    memset(r, 0, sizeof *r);
    if (world_size < 1 || rank < 0 || rank >= world_size)
        return mb__error(MB_EINVAL, "rank %d of world size %d: give 0 <= rank < world_size "
                                    "and world_size >= 1", rank, world_size);
    r->rank = rank;
    r->world_size = world_size;
    r->snapshot.torch_peak = r->snapshot.free_memory = r->snapshot.total_memory = MB_UNKNOWN;
    r->snapshot.device_memory = r->snapshot.torch_memory = MB_UNKNOWN;
    r->snapshot.non_torch_memory = r->snapshot.driver_free = MB_UNKNOWN;
    r->snapshot.limit = MB_UNLIMITED;
    r->requested_memory = r->non_kv_memory = r->cudagraph_memory = MB_UNKNOWN;
    r->available_kv_cache_memory = r->block_bytes = r->num_blocks = MB_UNKNOWN;
    return MB_OK;
}

void mb_rank_record_set_snapshot(mb_rank_record *r, const mb_snapshot *s)
{
    if (!r || !s)
        return;
    r->snapshot = *s;
    r->snapshot.auto_measure = 0;
    r->snapshot.device[sizeof r->snapshot.device - 1] = '\0';
    r->snapshot.platform[sizeof r->snapshot.platform - 1] = '\0';
    r->what |= MB_RECORD_SNAPSHOT;
}

void mb_rank_record_set_plan(mb_rank_record *r, const mb_plan *p)
{
    if (!r || !p)
        return;
    r->requested_memory = p->budget.requested_memory;
    r->non_kv_memory = p->budget.non_kv_cache_memory;
    r->cudagraph_memory = p->budget.cudagraph_memory;
    r->available_kv_cache_memory = p->budget.available_kv_cache_memory;
    r->block_bytes = p->spec.block_bytes;
    r->num_blocks = p->num_blocks;
    r->startup_ok = p->startup_ok != 0;
    r->fits = p->fits != 0;
    r->what |= MB_RECORD_PLAN;
}

void mb_rank_record_set_error(mb_rank_record *r, int code, const char *detail)
{
    if (!r)
        return;
    r->status = code < 0 ? code : MB_EINVAL;
    copy_str(r->error, sizeof r->error, detail && detail[0] ? detail : mb_error_message(code));
}

MB__API(mb_rank_record_encode, (const mb_rank_record *r, void *buf, size_t size), (r, buf, size))
{
    if (!r || !buf)
        return mb__error(MB_EINVAL, "mb_rank_record_encode: the record or buffer is NULL");
    if (size < MB_RECORD_BYTES)
        return mb__error(MB_ENOSPACE, "a rank record takes %d bytes; the buffer has %zu",
                         MB_RECORD_BYTES, size);
    unsigned char *p = buf;
    memset(p, 0, MB_RECORD_BYTES);
    memcpy(p + OFF_MAGIC, magic, 4);
    p[OFF_VERSION] = 0;
    p[OFF_VERSION + 1] = MB_RECORD_VERSION;
    p[OFF_SIZE] = MB_RECORD_BYTES >> 8;
    p[OFF_SIZE + 1] = MB_RECORD_BYTES & 0xff;
    put_i32(p + OFF_RANK, r->rank);
    put_i32(p + OFF_WORLD, r->world_size);
    put_i32(p + OFF_STATUS, r->status);
    put_i32(p + OFF_GROUP, r->group);
    put_i32(p + OFF_STAGE, r->stage);
    put_u32(p + OFF_WHAT, r->what);
    const mb_snapshot *s = &r->snapshot;
    const int64_t snap[8] = {s->total_memory, s->free_memory, s->device_memory,
                             s->torch_memory, s->non_torch_memory, s->torch_peak,
                             s->driver_free, s->limit};
    for (int i = 0; i < 8; i++)
        put_i64(p + OFF_SNAP + 8 * i, snap[i]);
    uint64_t bits;
    memcpy(&bits, &s->timestamp, sizeof bits);
    put_u64(p + OFF_TIMESTAMP, bits);
    put_u32(p + OFF_SOURCE, (uint32_t)s->source);
    put_u32(p + OFF_SNAP_FLAGS, s->flags);
    const int64_t plan[6] = {r->requested_memory, r->non_kv_memory, r->cudagraph_memory,
                             r->available_kv_cache_memory, r->block_bytes, r->num_blocks};
    for (int i = 0; i < 6; i++)
        put_i64(p + OFF_PLAN + 8 * i, plan[i]);
    put_u32(p + OFF_PLAN_FLAGS, (r->startup_ok ? 1u : 0u) | (r->fits ? 2u : 0u));
    if (put_str(p + OFF_HOST, r->host, MB_RECORD_HOST_MAX) ||
        put_str(p + OFF_DEVICE, s->device, MB_NAME_MAX) ||
        put_str(p + OFF_PLATFORM, s->platform, 8) ||
        put_str(p + OFF_ERROR, r->error, MB_RECORD_ERROR_MAX)) {
        memset(p, 0, MB_RECORD_BYTES);
        return mb__error(MB_EINVAL, "rank %d's record: a string (host, device, platform or "
                                    "error) has no NUL within its field", r->rank);
    }
    return MB_OK;
}

MB__API(mb_rank_record_decode, (const void *buf, size_t size, mb_rank_record *out),
        (buf, size, out))
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_rank_record_decode: out is NULL");
    memset(out, 0, sizeof *out);
    if (!buf || size < MB_RECORD_BYTES)
        return mb__error(MB_EPARSE, "a rank record is %d bytes; %zu were given",
                         MB_RECORD_BYTES, buf ? size : 0);
    const unsigned char *p = buf;
    if (memcmp(p + OFF_MAGIC, magic, 4) != 0)
        return mb__error(MB_EPARSE, "not a membudget rank record (no \"MBCR\" at its start): "
                                    "every rank must run membudget's agreement");
    unsigned version = (unsigned)p[OFF_VERSION] << 8 | p[OFF_VERSION + 1];
    unsigned bytes = (unsigned)p[OFF_SIZE] << 8 | p[OFF_SIZE + 1];
    if (version != MB_RECORD_VERSION || bytes != MB_RECORD_BYTES)
        return mb__error(MB_EPARSE, "rank record version %u of %u bytes; this library reads "
                                    "version %d of %d bytes: run the same membudget on every "
                                    "rank", version, bytes, MB_RECORD_VERSION, MB_RECORD_BYTES);
    mb_rank_record r;
    memset(&r, 0, sizeof r);
    r.rank = get_i32(p + OFF_RANK);
    r.world_size = get_i32(p + OFF_WORLD);
    r.status = get_i32(p + OFF_STATUS);
    r.group = get_i32(p + OFF_GROUP);
    r.stage = get_i32(p + OFF_STAGE);
    r.what = get_u32(p + OFF_WHAT);
    mb_snapshot *s = &r.snapshot;
    int64_t *snap[8] = {&s->total_memory, &s->free_memory, &s->device_memory,
                        &s->torch_memory, &s->non_torch_memory, &s->torch_peak,
                        &s->driver_free, &s->limit};
    for (int i = 0; i < 8; i++)
        *snap[i] = get_i64(p + OFF_SNAP + 8 * i);
    uint64_t bits = get_u64(p + OFF_TIMESTAMP);
    memcpy(&s->timestamp, &bits, sizeof bits);
    s->source = (mb_source)get_u32(p + OFF_SOURCE);
    s->flags = get_u32(p + OFF_SNAP_FLAGS);
    int64_t *plan[6] = {&r.requested_memory, &r.non_kv_memory, &r.cudagraph_memory,
                        &r.available_kv_cache_memory, &r.block_bytes, &r.num_blocks};
    for (int i = 0; i < 6; i++)
        *plan[i] = get_i64(p + OFF_PLAN + 8 * i);
    uint32_t pf = get_u32(p + OFF_PLAN_FLAGS);
    r.startup_ok = (pf & 1u) != 0;
    r.fits = (pf & 2u) != 0;
    if (get_str(r.host, p + OFF_HOST, MB_RECORD_HOST_MAX) ||
        get_str(s->device, p + OFF_DEVICE, MB_NAME_MAX) ||
        get_str(s->platform, p + OFF_PLATFORM, 8) ||
        get_str(r.error, p + OFF_ERROR, MB_RECORD_ERROR_MAX))
        return mb__error(MB_EPARSE, "rank %d's record: a string field has no NUL", r.rank);
    if (r.status > 0 ||
        (r.status < 0 && strcmp(mb_error_name(r.status), "MB_UNKNOWN_ERROR") == 0))
        return mb__error(MB_EPARSE, "rank %d's record: status %d is not a membudget error "
                                    "code", r.rank, r.status);
    if (r.world_size < 1 || r.rank < 0 || r.rank >= r.world_size)
        return mb__error(MB_EPARSE, "a record says rank %d of world size %d", r.rank,
                         r.world_size);
    if ((unsigned)s->source > MB_SOURCE_VALUES)
        return mb__error(MB_EPARSE, "rank %d's record: snapshot source %u is unknown",
                         r.rank, (unsigned)s->source);
    *out = r;
    return MB_OK;
}
