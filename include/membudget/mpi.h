/*
 * membudget/mpi.h: the MPI adapter (libmembudget_mpi, built when MPI is found), so that
 * `mpirun` jobs and MPI engines (TensorRT-LLM) agree through membudget/cluster.h. The core
 * library never links MPI; this one links MPI and nothing of membudget's.
 *
 * The exchange is point to point on the communicator itself: every rank sends its record
 * to every other and polls for theirs until the deadline, so that a rank that never
 * arrives is named instead of waited for. (No collective is used at all, not even
 * MPI_Comm_dup, because a collective hangs on a rank that never comes.) Agreement k (0,
 * 1, ... counted per mb_mpi) uses tag 0x4d00 + k % 256, so a late record of an earlier
 * agreement that timed out is never taken by a later one (all ranks must make the same
 * agreements in the same order, as with any collective; tags 0x4d00..0x4dff are
 * membudget's on that communicator, and the program must not receive with MPI_ANY_TAG on
 * it during an agreement). The communicator's error handler is set to MPI_ERRORS_RETURN
 * while m lives and the caller's own is restored by mb_mpi_free. After MB_ETIMEOUT the
 * missing rank may never come: the communicator cannot be trusted to finalize, and a
 * program should MPI_Abort (mb_mpi_abort) once it has said why. Not thread-safe: one
 * agreement at a time per mb_mpi, from the thread that initialised MPI.
 */
#ifndef MEMBUDGET_MPI_H
#define MEMBUDGET_MPI_H

#include "cluster.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mb_mpi mb_mpi;

/* The default deadline of one agreement, in seconds (MEMBUDGET_MPI_TIMEOUT is not read:
 * the library never reads the environment for this; the CLI's --mpi-timeout sets it). */
#define MB_MPI_TIMEOUT_DEFAULT 30.0

/* Over MPI_COMM_WORLD. Initialises MPI (MPI_Init with argc/argv, which may be NULL) when
 * it is not yet, and then finalizes it in mb_mpi_free. timeout_s <= 0: the default. On
 * failure *out is NULL and why (why_size bytes) says what failed. */
MB_EXPORT int mb_mpi_init(mb_mpi **out, int *argc, char ***argv, double timeout_s, char *why,
                          size_t why_size);
#ifdef MPI_VERSION
/* Over comm (the caller keeps it and has initialised MPI). */
MB_EXPORT int mb_mpi_init_comm(mb_mpi **out, MPI_Comm comm, double timeout_s, char *why,
                               size_t why_size);
#endif
/* This process's rank, the world size and the rank among the processes of its host, as
 * the launcher says it (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, PMI_LOCAL_RANK,
 * SLURM_LOCALID; 0 in a world of one; -1 when unknown): what picks a device by default. */
MB_EXPORT int mb_mpi_rank(const mb_mpi *m);
MB_EXPORT int mb_mpi_world_size(const mb_mpi *m);
MB_EXPORT int mb_mpi_local_rank(const mb_mpi *m);
/* The collective for mb_cluster_agree (valid while m lives). */
MB_EXPORT void mb_mpi_collective(mb_mpi *m, mb_collective *out);
/* Frees m: gives the communicator back its own error handler, and finalizes MPI when
 * mb_mpi_init initialised it. NULL is a no-op. */
MB_EXPORT void mb_mpi_free(mb_mpi *m);
/* MPI_Abort(comm, code): ends every rank of the job (the one way out after a timeout). */
MB_EXPORT void mb_mpi_abort(mb_mpi *m, int code);

#ifdef __cplusplus
}
#endif
#endif /* MEMBUDGET_MPI_H */
