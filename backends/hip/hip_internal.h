/*
 * backends/hip/hip_internal.h: what hip.c and hip_sysfs.c share (internal to the backend).
 */
#ifndef MB_HIP_INTERNAL_H
#define MB_HIP_INTERNAL_H

#include <stdint.h>

#include "membudget/backend.h"

/* /sys/class/drm/card0 .. card63 are looked at (the kernel's DRM minor limit for primary
 * nodes is 64); KFD topology nodes 0 .. 255. */
#define MB_HIP_MAX_CARDS 64
#define MB_HIP_MAX_KFD_NODES 256

/* The sysfs heuristic for an APU without the runtime's word: no mem_info_vram_vendor
 * (discrete boards name their memory maker there), VRAM no larger than this BIOS
 * carve-out, and GTT at least MB_HIP_APU_GTT_RATIO times the VRAM. */
#define MB_HIP_APU_MAX_CARVEOUT (4 * MB_GiB)
#define MB_HIP_APU_GTT_RATIO 8

/* One amdgpu card under /sys/class/drm (vendor 0x1002). Sizes in bytes, MB_UNKNOWN when
 * the file is missing (older kernels lack the mem_info_* files). */
typedef struct mb_hip_card {
    int card;           /* N of /sys/class/drm/cardN */
    char pci[32];       /* PCI_SLOT_NAME from device/uevent ("0000:03:00.0"), or "" */
    char pci_id[16];    /* PCI_ID ("1002:74A1"), or "" */
    int64_t vram_total, vram_used, gtt_total, gtt_used;
    int has_vram_vendor; /* device/mem_info_vram_vendor exists */
    int numa_node;       /* device/numa_node; -1 when unknown */
    int apu;             /* the sysfs heuristic above says APU */
} mb_hip_card;

/* What the cheap probe saw. No heap: fits on the backend state. */
typedef struct mb_hip_sysfs {
    int ncards;
    mb_hip_card cards[MB_HIP_MAX_CARDS];
    int kfd_dev;  /* /dev/kfd exists */
    int kfd_gpus; /* KFD topology nodes with SIMDs (GPUs) */
} mb_hip_sysfs;

/* Scans /sys/class/drm/cardN/device and the KFD topology under the sysroot. Files that do
 * not exist are not errors; a file that exists but cannot be read or parsed is (MB_EIO or
 * MB_EPARSE, the detail names the path). */
/* The services table the probe received (hip.c sets it before any other call). */
extern const mb_backend_services *_Atomic mb__hip_svc;

/* The files slot: every sysfs file the backend reads that exists under the sysroot. */
int mb__hip_files(const mb_platform *plat, const mb_backend_services *services,
                  int (*each)(void *user, const char *path), void *user);

int mb__hip_sysfs_scan(const mb_platform *plat, mb_hip_sysfs *out);

/* Reads the card's mem_info_<name> (e.g. "vram_used") now, into *out (MB_UNKNOWN when the
 * file is missing). No heap. */
int mb__hip_card_mem(const mb_platform *plat, const mb_hip_card *c, const char *name,
                     int64_t *out);

/* The card whose PCI slot name equals pci (case-insensitive), or NULL. */
const mb_hip_card *mb__hip_card_by_pci(const mb_hip_sysfs *s, const char *pci);

/* "card1 (0000:03:00.0), card2 (0000:83:00.0)" into buf (snprintf rules). */
void mb__hip_cards_describe(const mb_hip_sysfs *s, char *buf, size_t size);

#endif
