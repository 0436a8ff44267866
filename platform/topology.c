/*
 * platform/topology.c: layer 4, the NUMA topology, read from sysfs under the sysroot.
 *
 * Why sysfs and not hwloc (docs/numa.md has the long form): hwloc 2.9 reads a foreign
 * file-system root only from the HWLOC_FSROOT environment variable, which library code
 * must not set; and hwloc gives node totals only, while every snapshot needs each node's
 * free memory from its meminfo anyway. The facts that decide devices are a few small files:
 *   /sys/devices/system/node/{online,has_cpu,has_memory|has_normal_memory}  node lists
 *   /sys/devices/system/node/nodeN/{meminfo,cpulist}                        per node
 *   /sys/devices/system/cpu/online                                          offline CPUs
 *   /proc/self/status and the cpuset cgroup                                 (cpuset.c)
 * hwloc is kept for what only it knows: what kind of memory a CPU-less node holds (its
 * "GPUMemory", "HBM", "SPM", "NVM" subtypes, from DAX, CXL and NVIDIA driver data). It is
 * asked only when a memory-only node exists, with every object type filtered out except
 * the mandatory ones (so no I/O, PCI or GPU discovery runs and no driver initialises):
 * on the live machine from the system (and only when hwloc agrees that it describes this
 * system), under a sysroot from a "hwloc.xml" beside the dump, read through the sysroot
 * helpers and handed over as a buffer.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef MEMBUDGET_HAVE_HWLOC
#include <hwloc.h>
#endif

#include "topology.h"
#include "cpuset.h"
#include "parse.h"


/* Reads a node list file into bits: 1 read, 0 file missing (bits cleared), <0 error. */
static int read_list(const mb_platform *plat, const char *path, unsigned char *bits, int nbits)
{
    memset(bits, 0, (size_t)nbits);
    char buf[8192];
    int present;
    long n = mb__plat_read_if(plat, path, buf, sizeof buf, &present);
    if (n < 0)
        return (int)n;
    if (!present)
        return 0;
    int rc = mb__parse_list(buf, bits, nbits);
    if (rc)
        return mb__error(MB_EPARSE, "%s%s: '%.60s' is not a %s list", plat->foreign ? plat->root : "",
                         path, buf, nbits == MB_MAX_NODES ? "node" : "CPU");
    return 1;
}

static void topology_free(mb_topology *t)
{
    if (!t)
        return;
    mb__free(t->nodes);
    mb__free(t->cpu_node);
    mb__free(t->cpu_allowed);
    mb__free(t);
}

int mb__node_meminfo(const mb_platform *plat, const mb_topo_node *n, int64_t *free,
                     int64_t *total)
{
    *free = *total = 0;
    char buf[MB_NODE_MEMINFO_MAX];
    long len = mb__plat_read(plat, n->meminfo, buf, sizeof buf);
    if (len < 0)
        return (int)len;
    return mb__node_meminfo_parse(buf, n->meminfo, free, total);
}

#ifdef MEMBUDGET_HAVE_HWLOC
/* Names the kind of memory of CPU-less nodes with hwloc's subtypes. Best effort: any
 * failure leaves the labels empty and says why in labels_from. */
static void label_nodes(const mb_platform *plat, mb_topology *t)
{
    char *xml = NULL;
    long xml_len = 0;
    if (plat->foreign) {
        xml = mb__malloc(8 << 20);
        if (!xml)
            return;
        int present;
        xml_len = mb__plat_read_if(plat, "/hwloc.xml", xml, 8 << 20, &present);
        if (xml_len >= 0 && !present) {
            mb__free(xml);
            snprintf(t->labels_from, sizeof t->labels_from,
                     "none: the dump has no hwloc.xml to name memory-only nodes");
            return;
        }
        if (xml_len < 0) {
            snprintf(t->labels_from, sizeof t->labels_from, "none: %s", mb_error_detail());
            mb__free(xml);
            return;
        }
    }
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0) {
        mb__free(xml);
        return;
    }
    /* Only Machine, NUMANode and PU remain (they cannot be filtered): no I/O discovery. */
    hwloc_topology_set_all_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
    static const char *const gpu_components[] = {"cuda", "nvml", "opencl", "rsmi",
                                                 "levelzero", "gl"};
    for (size_t i = 0; i < sizeof gpu_components / sizeof gpu_components[0]; i++)
        (void)hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST,
                                            gpu_components[i]); /* -1 when not built in */
    int ok = 1;
    if (xml)
        ok = hwloc_topology_set_xmlbuffer(topo, xml, (int)xml_len + 1) == 0;
    if (ok)
        ok = hwloc_topology_load(topo) == 0;
    if (ok && !xml && !hwloc_topology_is_thissystem(topo)) {
        /* HWLOC_FSROOT, HWLOC_XMLFILE or HWLOC_SYNTHETIC in the caller's environment */
        snprintf(t->labels_from, sizeof t->labels_from,
                 "none: hwloc was pointed at another machine by the environment");
        ok = 0;
    } else if (!ok) {
        snprintf(t->labels_from, sizeof t->labels_from, "none: hwloc could not load %s",
                 xml ? "hwloc.xml" : "this machine's topology");
    }
    if (ok) {
        snprintf(t->labels_from, sizeof t->labels_from, "hwloc %s",
                 xml ? "(hwloc.xml in the dump)" : "(this machine)");
        for (hwloc_obj_t o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, NULL); o;
             o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, o)) {
            for (int i = 0; i < t->nnodes; i++)
                if ((unsigned)t->nodes[i].id == o->os_index && o->subtype)
                    snprintf(t->nodes[i].kind, sizeof t->nodes[i].kind, "%s", o->subtype);
        }
    }
    hwloc_topology_destroy(topo);
    mb__free(xml);
}
#endif

static int any(const unsigned char *bits, int n)
{
    for (int i = 0; i < n; i++)
        if (bits[i])
            return 1;
    return 0;
}

/* mb__plat_list callback: marks on[N] for a "nodeN" folder name. */
static int node_entry(void *user, const char *name)
{
    unsigned char *on = user;
    if (strncmp(name, "node", 4) != 0 || !name[4])
        return 0;
    uint64_t id;
    if (mb__parse_u64(name + 4, strlen(name + 4), &id) == MB_OK && id < MB_MAX_NODES)
        on[id] = 1;
    return 0;
}

/* The CPUs of node id from its cpulist, else its cpumap: 1 read, 0 neither file, <0. */
static int node_cpus(const mb_platform *plat, int id, unsigned char *bits)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d/cpulist", id);
    int k = read_list(plat, path, bits, MB_MAX_CPUS);
    if (k != 0)
        return k;
    snprintf(path, sizeof path, "/sys/devices/system/node/node%d/cpumap", id);
    memset(bits, 0, MB_MAX_CPUS);
    char buf[8192];
    int present;
    long n = mb__plat_read_if(plat, path, buf, sizeof buf, &present);
    if (n < 0)
        return (int)n;
    if (!present)
        return 0;
    if (mb__parse_mask(buf, bits, MB_MAX_CPUS) != MB_OK)
        return mb__error(MB_EPARSE, "%s%s: '%.60s' is not a CPU mask",
                         plat->foreign ? plat->root : "", path, buf);
    return 1;
}

static int topology_build(const mb_platform *plat, mb_topology **out)
{
    *out = NULL;
    mb_topology *t = mb__calloc(1, sizeof *t);
    unsigned char *work = mb__malloc(3 * MB_MAX_NODES + 3 * MB_MAX_CPUS);
    if (!t || !work) {
        mb__free(t);
        mb__free(work);
        return mb__error(MB_ENOMEM, "out of memory reading the NUMA topology");
    }
    unsigned char *on = work, *cpu = on + MB_MAX_NODES, *mem = cpu + MB_MAX_NODES;
    unsigned char *cpu_on = mem + MB_MAX_NODES, *list = cpu_on + MB_MAX_CPUS;
    unsigned char *mems_ok = list + MB_MAX_CPUS; /* MB_MAX_NODES of MB_MAX_CPUS used */
    int rc = MB_OK;
    t->cpu_node = mb__malloc(MB_MAX_CPUS * sizeof *t->cpu_node);
    t->cpu_allowed = mb__malloc(MB_MAX_CPUS);
    if (!t->cpu_node || !t->cpu_allowed) {
        rc = mb__error(MB_ENOMEM, "out of memory reading the NUMA topology");
        goto fail;
    }
    memset(t->cpu_node, 0xff, MB_MAX_CPUS * sizeof *t->cpu_node);
    int have_mems, have_cpus;
    rc = mb__cpuset_allowed(plat, mems_ok, &have_mems, t->cpu_allowed, &have_cpus,
                            t->mems_from, sizeof t->mems_from);
    if (rc)
        goto fail;
    if (!have_mems)
        t->mems_from[0] = '\0';
    t->have_nodes = mb__plat_exists(plat, "/sys/devices/system/node");
    if (!t->have_nodes) {
        mb__free(work);
        *out = t;
        return MB_OK;
    }
    int k_on, k_cpu, k_mem, k_cpu_on;
    if ((k_on = rc = read_list(plat, "/sys/devices/system/node/online", on, MB_MAX_NODES)) < 0 ||
        (k_cpu = rc = read_list(plat, "/sys/devices/system/node/has_cpu", cpu, MB_MAX_NODES)) < 0 ||
        (k_mem = rc = read_list(plat, "/sys/devices/system/node/has_memory", mem,
                                MB_MAX_NODES)) < 0)
        goto fail;
    if (!k_mem && /* kernels before 2.6.35 and some dumps have only has_normal_memory */
        (k_mem = rc = read_list(plat, "/sys/devices/system/node/has_normal_memory", mem,
                                MB_MAX_NODES)) < 0)
        goto fail;
    if ((k_cpu_on = rc = read_list(plat, "/sys/devices/system/cpu/online", cpu_on,
                                   MB_MAX_CPUS)) < 0)
        goto fail;
    rc = MB_OK;
    /* The node lists are hints: an old kernel leaves has_cpu empty (before about 4.9) or
     * has no online file at all. A list that is missing or empty says nothing. */
    k_on = k_on && any(on, MB_MAX_NODES);
    k_cpu = k_cpu && any(cpu, MB_MAX_NODES);
    k_mem = k_mem && any(mem, MB_MAX_NODES);
    if (!k_on) { /* the nodeN folders are the nodes */
        if ((rc = mb__plat_list(plat, "/sys/devices/system/node", node_entry, on)) < 0)
            goto fail;
        rc = MB_OK;
        k_on = any(on, MB_MAX_NODES);
        if (!k_on) /* neither a list nor a folder: the lists' union, if any */
            for (int i = 0; i < MB_MAX_NODES; i++)
                on[i] = (unsigned char)(cpu[i] || mem[i]);
    }
    t->have_lists = k_on || k_cpu || k_mem;
    int count = 0;
    for (int i = 0; i < MB_MAX_NODES; i++)
        count += on[i];
    t->nodes = mb__calloc((size_t)(count ? count : 1), sizeof *t->nodes);
    if (!t->nodes) {
        rc = mb__error(MB_ENOMEM, "out of memory for %d NUMA nodes", count);
        goto fail;
    }
    for (int i = 0; i < MB_MAX_NODES && t->nnodes < count; i++) {
        if (!on[i])
            continue;
        mb_topo_node *n = &t->nodes[t->nnodes++];
        n->id = i;
        n->allowed = mems_ok[i];
        n->ncpus = n->ncpus_allowed = n->first_cpu = -1;
        snprintf(n->meminfo, sizeof n->meminfo, "/sys/devices/system/node/node%d/meminfo", i);
        /* the node's CPUs as the kernel states them: cpulist, else cpumap, met with
         * cpu/online */
        int k_list;
        if ((k_list = rc = node_cpus(plat, i, list)) < 0)
            goto fail;
        rc = MB_OK;
        if (k_list) {
            t->cpus_known = 1;
            n->ncpus = n->ncpus_allowed = 0;
            for (int c = 0; c < MB_MAX_CPUS; c++) {
                if (!list[c] || (k_cpu_on && !cpu_on[c]))
                    continue; /* offline CPUs do not count */
                t->cpu_node[c] = (unsigned short)i;
                if (n->first_cpu < 0)
                    n->first_cpu = c;
                n->ncpus++;
                n->ncpus_allowed += t->cpu_allowed[c] ? 1 : 0;
            }
            n->has_cpu = n->ncpus > 0;
        } else {
            n->has_cpu = k_cpu ? cpu[i] : 1; /* nothing better than the hint */
        }
        /* memory: the node's own meminfo when it has one, else the hint */
        n->has_memory = k_mem ? mem[i] : 0;
        char buf[MB_NODE_MEMINFO_MAX];
        int present;
        long len = mb__plat_read_if(plat, n->meminfo, buf, sizeof buf, &present);
        if (len < 0) {
            rc = (int)len;
            goto fail;
        }
        if (len > 0) {
            if ((rc = mb__meminfo_value(buf, "MemTotal", &n->total)))
                goto fail;
            if (n->total == MB_UNKNOWN || n->total < 0) {
                rc = mb__error(MB_EPARSE, "%s%s has no MemTotal line",
                               plat->foreign ? plat->root : "", n->meminfo);
                goto fail;
            }
            n->has_memory = n->total > 0;
        } else {
            n->has_memory = 0; /* no meminfo: nothing can be measured there */
        }
    }
#ifdef MEMBUDGET_HAVE_HWLOC
    for (int i = 0; i < t->nnodes; i++)
        if (t->nodes[i].has_memory && !t->nodes[i].has_cpu) {
            label_nodes(plat, t);
            break;
        }
#endif
    mb__free(work);
    *out = t;
    return MB_OK;

fail:
    mb__free(work);
    topology_free(t);
    return rc;
}

static void topology_release(void *v) { topology_free(v); }

int mb__topology_get(const mb_platform *plat, const mb_topology **out)
{
    *out = NULL;
    mb_topology *t = mb__plat_cache_get(plat, MB_CACHE_TOPOLOGY);
    if (!t) {
        mb_topology *mine;
        int rc = topology_build(plat, &mine);
        if (rc)
            return rc;
        t = mb__plat_cache_put(plat, MB_CACHE_TOPOLOGY, mine, topology_release);
        if (t != mine)
            topology_free(mine); /* another thread built it first */
    }
    *out = t;
    return MB_OK;
}

const mb_topo_node *mb__topology_node(const mb_topology *t, int id)
{
    for (int i = 0; i < t->nnodes; i++)
        if (t->nodes[i].id == id)
            return &t->nodes[i];
    return NULL;
}
