/*
 * platform/parse.h: layer 2 of platform/: pure parsers and formatters of the kernel's
 * text formats (numbers, the list format, key-value files). No I/O, no heap; the only
 * call below is mb__error (layer 1). Each function is safe on any NUL-terminated text.
 */
#ifndef MB_PLATFORM_PARSE_H
#define MB_PLATFORM_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "membudget/backend.h" /* MB_MAX_NODES */

#define MB_MAX_CPUS 8192

/* A non-negative decimal integer that fills the whole of [s, s+len) (no sign, no space).
 * MB_EPARSE or MB_ERANGE; no detail is set (the caller names the input). */
int mb__parse_u64(const char *s, size_t len, uint64_t *out);

/* The kernel's list format ("0-3,8") into bits[0..nbits) (1 = in the list). MB_EPARSE on
 * malformed text, MB_ERANGE for a member >= nbits; no detail is set. */
int mb__parse_list(const char *s, unsigned char *bits, int nbits);

/* The kernel's bitmap mask format (a node's cpumap: "00000000,0000ffff", 32-bit hex words,
 * most significant first) into bits[0..nbits). MB_EPARSE on a character that is not hex
 * or ',', MB_ERANGE for a set bit >= nbits; no detail is set. */
int mb__parse_mask(const char *s, unsigned char *bits, int nbits);

/* Writes bits[0..nbits) in the kernel's list format ("0-3,8"), "" when empty; truncated
 * with "..." when it does not fit. */
void mb__format_list(const unsigned char *bits, int nbits, char *out, size_t size);

/* The value of "Key:" in a meminfo-style text (/proc/meminfo, or node meminfo where lines
 * start "Node N "), in bytes ("kB" suffix honoured, bare numbers taken as counts).
 * MB_UNKNOWN when the key is absent; MB_EPARSE detail names key and file. */
int mb__meminfo_value(const char *text, const char *key, int64_t *out);

/* A node's free memory as the CPU backend counts it (MemFree + Active(file) +
 * Inactive(file) + SReclaimable) and its MemTotal, from a node meminfo text; path names
 * it in the detail. Missing reclaimable lines (old kernels) count as zero. */
int mb__node_meminfo_parse(const char *text, const char *path, int64_t *free, int64_t *total);
#define MB_NODE_MEMINFO_MAX 8192 /* a node meminfo is about 1.2 KiB */

/* The value of "Key:" in /proc/self/status text ("Mems_allowed_list"), trimmed, copied to
 * out. 1 when found, 0 when not. */
int mb__status_field(const char *text, const char *key, char *out, size_t size);

/* The value of key at a line start ("key value", memory.stat's format) as a count;
 * MB_UNKNOWN when absent or not a number that fits int64. */
int64_t mb__stat_value(const char *text, const char *key);

/* The value of the last "key=value" entry of an environment block (NUL-separated
 * entries, as /proc/self/environ holds; the last entry may lack its NUL) into out,
 * truncated to size. 1 when found, 0 when not (out is ""). */
int mb__environ_last(const char *block, size_t len, const char *key, char *out, size_t size);

#endif
