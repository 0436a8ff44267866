/* tests/mpi/mpi_quitter.c: a rank that leaves an mpirun job before the agreement, as an
 * engine rank that failed early does: `mpi_quitter` joins MPI and finalizes cleanly (the
 * others must time out and name it); `mpi_quitter --crash` exits with status 3 without
 * finalizing (mpirun must end the job). */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    if (argc > 1 && strcmp(argv[1], "--crash") == 0)
        exit(3);
    MPI_Finalize();
    return 0;
}
