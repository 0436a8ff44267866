/*
 * core/model_files.c: a model folder: its config.json (parsed by config.c) and the weights
 * beside it.
 *
 * Weights: model.safetensors.index.json's metadata.total_size (the sum of the tensor
 * bytes, as written by huggingface_hub), else a single model.safetensors, whose tensor
 * bytes are its size less the 8-byte header length and the JSON header (the safetensors
 * format).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define CONFIG_MAX_BYTES ((size_t)16 << 20) /* a config.json is a few KiB */
#define INDEX_MAX_BYTES ((size_t)64 << 20)  /* an index lists every tensor: a few MiB */

/* ---- files --------------------------------------------------------------------------- */

/* Reads the whole of path (at most max bytes) into a mb__malloc'd, NUL-terminated buffer. */
static int read_file(const char *path, size_t max, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (mb__fault_hit("open"))
        return mb__error(MB_EIO, "cannot open %s: injected fault", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mb__error(MB_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mb__error(MB_EIO, "%s is not a regular file", path);
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return mb__error(MB_EIO, "%s is %lld bytes, more than the %zu expected of it", path,
                         (long long)st.st_size, max);
    }
    size_t cap = (size_t)st.st_size + 2;
    char *b = mb__malloc(cap);
    if (!b) {
        close(fd);
        return mb__error(MB_ENOMEM, "no memory for the %zu bytes of %s", cap, path);
    }
    long n = mb__plat_pread(fd, path, b, cap);
    close(fd);
    if (n < 0) {
        mb__free(b);
        return (int)n;
    }
    *buf = b;
    *len = (size_t)n;
    return MB_OK;
}

static void join(char *out, size_t size, const char *dir, const char *file)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    snprintf(out, size, "%.*s/%s", (int)dl, dir, file);
}

/* metadata.total_size of an index file, or MB_UNKNOWN when it has none. */
static int index_weights(const char *path, int64_t *out)
{
    *out = MB_UNKNOWN;
    char *buf;
    size_t len;
    int rc = read_file(path, INDEX_MAX_BYTES, &buf, &len);
    if (rc)
        return rc;
    cJSON *root;
    rc = mb__json_parse_tree(buf, len, path, &root);
    mb__free(buf);
    if (rc)
        return rc;
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    const cJSON *ts = md ? cJSON_GetObjectItemCaseSensitive(md, "total_size") : NULL;
    if (ts) {
        char what[64];
        mb__json_describe(ts, what, sizeof what);
        /* some writers store the number as a string */
        double d = cJSON_IsNumber(ts) ? ts->valuedouble : -1;
        if (cJSON_IsString(ts)) {
            uint64_t v;
            if (mb__parse_u64(ts->valuestring, strlen(ts->valuestring), &v) == MB_OK)
                d = (double)v;
        }
        if (!(d > 0) || d != floor(d) || d > (double)MB_SIZE_MAX) {
            cJSON_Delete(root);
            return mb__error(MB_EINVAL, "%s: metadata.total_size=%s is not a byte count; "
                                        "give the weights with weights_memory", path, what);
        }
        *out = (int64_t)d;
    }
    cJSON_Delete(root);
    return MB_OK;
}

/* Tensor bytes of a single safetensors file: its size - 8 - the header length. */
static int safetensors_weights(const char *path, int64_t *out)
{
    *out = MB_UNKNOWN;
    if (mb__fault_hit("open"))
        return mb__error(MB_EIO, "cannot open %s: injected fault", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mb__error(MB_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    unsigned char h[8];
    int rc = MB_OK;
    if (fstat(fd, &st) != 0 || pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h) {
        rc = mb__error(MB_EIO, "cannot read the header of %s", path);
    } else {
        uint64_t hl = 0;
        for (int i = 7; i >= 0; i--)
            hl = hl << 8 | h[i]; /* little-endian u64, as the format says */
        if (hl > (uint64_t)st.st_size || (uint64_t)st.st_size - hl < 8)
            rc = mb__error(MB_EPARSE, "%s: header length %llu does not fit in a file of %lld "
                                      "bytes; not a safetensors file", path,
                           (unsigned long long)hl, (long long)st.st_size);
        else
            *out = (int64_t)((uint64_t)st.st_size - 8 - hl);
    }
    close(fd);
    return rc;
}

int mb__model_load(const char *path, mb_model *out)
{
    if (!out)
        return mb__error(MB_EINVAL, "mb_model_load: out is NULL");
    memset(out, 0, sizeof *out);
    out->weights_bytes = MB_UNKNOWN;
    if (!path || !*path)
        return mb__error(MB_EINVAL, "mb_model_load: path is empty; give a config.json or the "
                                    "folder holding it");
    char cfg[4096], dir[4096];
    struct stat st;
    if (stat(path, &st) != 0)
        return mb__error(MB_EIO, "mb_model_load: path %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        snprintf(dir, sizeof dir, "%s", path);
        join(cfg, sizeof cfg, path, "config.json");
        if (access(cfg, F_OK) != 0)
            return mb__error(MB_EIO, "mb_model_load: path %s: the folder has no config.json", path);
    } else {
        snprintf(cfg, sizeof cfg, "%s", path);
        const char *slash = strrchr(path, '/');
        if (slash)
            snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
        else
            snprintf(dir, sizeof dir, ".");
    }
    char *buf;
    size_t len;
    int rc = read_file(cfg, CONFIG_MAX_BYTES, &buf, &len);
    if (rc)
        return rc;
    mb_model m = MB_MODEL_INIT;
    rc = mb__model_parse(buf, len, cfg, &m);
    mb__free(buf);
    if (rc)
        return rc;

    char w[4096];
    join(w, sizeof w, dir, "model.safetensors.index.json");
    if (access(w, F_OK) == 0) {
        if ((rc = index_weights(w, &m.weights_bytes)))
            return rc;
        if (m.weights_bytes != MB_UNKNOWN)
            snprintf(m.weights_source, sizeof m.weights_source,
                     "model.safetensors.index.json");
    } else {
        join(w, sizeof w, dir, "model.safetensors");
        if (access(w, F_OK) == 0) {
            if ((rc = safetensors_weights(w, &m.weights_bytes)))
                return rc;
            snprintf(m.weights_source, sizeof m.weights_source, "model.safetensors");
        }
    }
    *out = m;
    return MB_OK;
}
