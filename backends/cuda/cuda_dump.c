/*
 * backends/cuda/cuda_dump.c: NVIDIA GPUs of a machine dump, read from what the dump holds,
 * never from this machine's driver; and the list of files the CUDA backend reads (its
 * files slot, what `membudget gather` copies).
 *
 * Under a foreign sysroot the driver would answer for the machine it runs on, so the
 * probe (cuda.c) asks it only when MEMBUDGET_CUDA_FORCE_DRIVER=1 (tests pair a fake
 * driver with a dump this way). Otherwise the devices are the dump's
 * /proc/driver/nvidia/gpus/<bus>/information files (the NVIDIA kernel module writes
 * "Model:", "GPU UUID:" and "Bus Location:" lines there, one folder per GPU), in PCI bus
 * order (CUDA_DEVICE_ORDER=PCI_BUS_ID; the live driver's default order may differ), with
 * the NUMA node from /sys/bus/pci/devices/<bus>/numa_node. These static facts are all a
 * dump can give: the module states no memory figures, so a snapshot of such a device is
 * refused with that reason.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

#define GPUS_DIR "/proc/driver/nvidia/gpus"
#define DUMP_MAX 64 /* GPUs read from one dump */

typedef struct bus_list {
    char bus[DUMP_MAX][32];
    int n;
} bus_list;

static int add_bus(void *user, const char *name)
{
    bus_list *l = user;
    if (l->n < DUMP_MAX && strlen(name) < sizeof l->bus[0])
        snprintf(l->bus[l->n++], sizeof l->bus[0], "%s", name);
    return 0;
}

static int by_bus(const void *a, const void *b) { return strcmp(a, b); }

/* The GPU folders of the dump, sorted. */
static int gpu_folders(const mb_platform *plat, bus_list *l)
{
    memset(l, 0, sizeof *l);
    int rc = svc->list(plat, GPUS_DIR, add_bus, l);
    if (rc < 0)
        return rc;
    qsort(l->bus, (size_t)l->n, sizeof l->bus[0], by_bus);
    return MB_OK;
}

static int numa_of(const mb_platform *plat, const char *bus)
{
    char low[32], path[96], buf[32];
    size_t k = 0;
    for (; bus[k] && k + 1 < sizeof low; k++)
        low[k] = (char)tolower((unsigned char)bus[k]);
    low[k] = '\0';
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/numa_node", low);
    int present = 0;
    if (svc->read_if(plat, path, buf, sizeof buf, &present) < 0 || !present)
        return -1;
    char *end;
    long v = strtol(buf, &end, 10);
    return end != buf && v >= 0 && v < MB_MAX_NODES ? (int)v : -1;
}

static int dump_mem_info(struct cuda_state *s, cuda_dev *d, mb_meminfo *out)
{
    (void)out;
    return svc->error(MB_ENOTSUP, "cuda:%d (%s) comes from the machine dump %s, whose NVIDIA "
                                  "driver files state no memory figures; measure on the "
                                  "machine itself", d->ordinal, d->name, svc->root(s->plat));
}

const cuda_dev_ops mb__cuda_dump_ops = {"cuda", dump_mem_info};

int mb__cuda_dump_probe(const mb_platform *plat, void **state, mb_probe_result *res)
{
    *state = NULL;
    bus_list l;
    int rc = gpu_folders(plat, &l);
    if (rc < 0) {
        if (rc == MB_ENOMEM)
            return rc;
        res->state = MB_PROBE_BROKEN;
        snprintf(res->reason, sizeof res->reason, "%s", svc->detail());
        return MB_OK;
    }
    if (l.n == 0) {
        res->state = MB_PROBE_ABSENT;
        snprintf(res->reason, sizeof res->reason,
                 "the machine dump %s holds no NVIDIA GPU (%s is missing or empty); under a "
                 "sysroot this machine's driver is not asked (MEMBUDGET_CUDA_FORCE_DRIVER=1 "
                 "asks it)", svc->root(plat), GPUS_DIR);
        return MB_OK;
    }
    cuda_state *s = svc->calloc(1, sizeof *s + (size_t)l.n * sizeof(cuda_dev));
    if (!s)
        return svc->error(MB_ENOMEM, "cuda probe: out of memory");
    s->plat = plat;
    s->dump = 1;
    pthread_mutex_init(&s->lock, NULL);
    for (int i = 0; i < l.n; i++) {
        char path[128], text[4096];
        snprintf(path, sizeof path, "%s/%s/information", GPUS_DIR, l.bus[i]);
        int present = 0;
        long n = svc->read_if(plat, path, text, sizeof text, &present);
        if (n < 0 || !present)
            continue; /* a folder without its information file is no GPU the dump shows */
        cuda_dev *d = &s->devs[s->n];
        memset(d, 0, sizeof *d);
        d->ordinal = s->n;
        if (!svc->text_field(text, "Model", d->name, sizeof d->name))
            snprintf(d->name, sizeof d->name, "NVIDIA GPU");
        svc->text_field(text, "GPU UUID", d->uuid, sizeof d->uuid);
        if (!svc->text_field(text, "Bus Location", d->pci, sizeof d->pci))
            snprintf(d->pci, sizeof d->pci, "%s", l.bus[i]);
        d->numa_node = numa_of(plat, d->pci);
        d->ops = &mb__cuda_dump_ops;
        s->n++;
    }
    if (s->n == 0) {
        pthread_mutex_destroy(&s->lock);
        svc->free(s);
        res->state = MB_PROBE_ABSENT;
        snprintf(res->reason, sizeof res->reason, "the machine dump %s has GPU folders in %s "
                 "but no information file in any", svc->root(plat), GPUS_DIR);
        return MB_OK;
    }
    res->state = MB_PROBE_PRESENT;
    snprintf(res->reason, sizeof res->reason,
             "%d GPU%s from the machine dump's %s (static facts only: the driver's files "
             "state no memory figures)", s->n, s->n == 1 ? "" : "s", GPUS_DIR);
    *state = s;
    return MB_OK;
}

/* ---- the files slot ----------------------------------------------------------------- */

typedef struct emit_ctx {
    const mb_platform *plat;
    int (*each)(void *user, const char *path);
    void *user;
    const char *dir;
} emit_ctx;

static int emit(const emit_ctx *e, const char *path)
{
    return svc->exists(e->plat, path) ? e->each(e->user, path) : 0;
}

static int emit_gpu(void *user, const char *bus)
{
    const emit_ctx *e = user;
    char path[160];
    snprintf(path, sizeof path, "%s/%s/information", GPUS_DIR, bus);
    int rc = emit(e, path);
    if (rc)
        return rc;
    char low[32];
    size_t k = 0;
    for (; bus[k] && k + 1 < sizeof low; k++)
        low[k] = (char)tolower((unsigned char)bus[k]);
    low[k] = '\0';
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/numa_node", low);
    return emit(e, path);
}

static int emit_huge(void *user, const char *name)
{
    const emit_ctx *e = user;
    if (strncmp(name, "hugepages-", 10) != 0)
        return 0;
    char path[160];
    snprintf(path, sizeof path, "/sys/kernel/mm/hugepages/%s/nr_hugepages", name);
    return emit(e, path);
}

int mb__cuda_files(const mb_platform *plat, const mb_backend_services *services,
                   int (*each)(void *user, const char *path), void *user)
{
    svc = services;
    emit_ctx e = {plat, each, user, NULL};
    int rc;
    if ((rc = emit(&e, "/proc/driver/nvidia/version")))
        return rc;
    if ((rc = svc->list(plat, GPUS_DIR, emit_gpu, &e)))
        return rc < 0 ? 0 : rc; /* an unreadable folder lists nothing */
    rc = svc->list(plat, "/sys/kernel/mm/hugepages", emit_huge, &e);
    return rc < 0 ? 0 : rc;
}
