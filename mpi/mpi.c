/* mpi/mpi.c: the MPI adapter: an all-gather with a deadline that names the ranks it did
 * not hear from (membudget/mpi.h). */
#include <mpi.h>

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "membudget/mpi.h"

/* Each agreement's messages carry tag MB_MPI_TAG + (its round number % 256), so that a
 * late record of an earlier round (one that timed out) is never taken by a later one. Every
 * tag stays below 32767, the least MPI_TAG_UB the standard allows. */
#define MB_MPI_TAG 0x4d00 /* "M" */
#define MB_MPI_ROUNDS 256

struct mb_mpi {
    MPI_Comm comm;     /* the caller's (or MPI_COMM_WORLD): not duplicated, because
                        * MPI_Comm_dup is a collective that a missing rank would hang */
    int rank, size, local_rank;
    int finalize;      /* 1: mb_mpi_init initialised MPI */
    double timeout_s;
    unsigned round;    /* agreements so far: the tag of the next */
    MPI_Errhandler saved; /* the communicator's own, given back by mb_mpi_free */
    int have_saved;
};

static void say(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t size, const char *fmt, ...)
{
    if (!why || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}

static void mpi_says(int err, char *buf, size_t size)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, s, &len) != MPI_SUCCESS)
        snprintf(s, sizeof s, "MPI error %d", err);
    snprintf(buf, size, "%s", s);
}

/* The rank among the processes of its host, from the launcher (a collective such as
 * MPI_Comm_split_type would hang on a rank that never comes): Open MPI's, MPICH's and
 * Slurm's variables; -1 when none says. */
static int launcher_local_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                                       "PMI_LOCAL_RANK", "SLURM_LOCALID", NULL};
    for (int i = 0; vars[i]; i++) {
        const char *v = getenv(vars[i]);
        char *end;
        long n = v && *v ? strtol(v, &end, 10) : -1;
        if (v && *v && !*end && n >= 0 && n < 1 << 20)
            return (int)n;
    }
    return -1;
}

/* Gives the communicator its own error handler back. */
static void restore(mb_mpi *m)
{
    if (m->have_saved) {
        MPI_Comm_set_errhandler(m->comm, m->saved);
        MPI_Errhandler_free(&m->saved);
        m->have_saved = 0;
    }
}

static int setup(mb_mpi *m, MPI_Comm comm, char *why, size_t why_size)
{
    int e;
    m->comm = comm;
    /* errors come back as codes, not as the default abort; the caller's handler is
     * restored by mb_mpi_free */
    if ((e = MPI_Comm_get_errhandler(m->comm, &m->saved)) == MPI_SUCCESS)
        m->have_saved = 1;
    if (e != MPI_SUCCESS ||
        (e = MPI_Comm_set_errhandler(m->comm, MPI_ERRORS_RETURN)) != MPI_SUCCESS ||
        (e = MPI_Comm_rank(m->comm, &m->rank)) != MPI_SUCCESS ||
        (e = MPI_Comm_size(m->comm, &m->size)) != MPI_SUCCESS) {
        char s[MPI_MAX_ERROR_STRING];
        mpi_says(e, s, sizeof s);
        say(why, why_size, "the communicator: %s", s);
        restore(m);
        return MB_EBACKEND;
    }
    m->local_rank = m->size == 1 ? 0 : launcher_local_rank();
    return MB_OK;
}

/* A zeroed adapter with its deadline (timeout_s <= 0: the default); NULL, said in why,
 * without memory. */
static mb_mpi *adapter_new(double timeout_s, char *why, size_t why_size)
{
    mb_mpi *m = calloc(1, sizeof *m);
    if (!m) {
        say(why, why_size, "no memory for the MPI adapter");
        return NULL;
    }
    m->timeout_s = timeout_s > 0 ? timeout_s : MB_MPI_TIMEOUT_DEFAULT;
    return m;
}

int mb_mpi_init(mb_mpi **out, int *argc, char ***argv, double timeout_s, char *why,
                size_t why_size)
{
    if (!out)
        return MB_EINVAL;
    *out = NULL;
    mb_mpi *m = adapter_new(timeout_s, why, why_size);
    if (!m)
        return MB_ENOMEM;
    int inited = 0, e;
    MPI_Initialized(&inited);
    if (!inited) {
        if ((e = MPI_Init(argc, argv)) != MPI_SUCCESS) {
            char s[MPI_MAX_ERROR_STRING];
            mpi_says(e, s, sizeof s);
            say(why, why_size, "MPI_Init: %s (run under mpirun)", s);
            free(m);
            return MB_EBACKEND;
        }
        m->finalize = 1;
    }
    int rc = setup(m, MPI_COMM_WORLD, why, why_size);
    if (rc) {
        if (m->finalize)
            MPI_Finalize();
        free(m);
        return rc;
    }
    *out = m;
    return MB_OK;
}

int mb_mpi_init_comm(mb_mpi **out, MPI_Comm comm, double timeout_s, char *why,
                     size_t why_size)
{
    if (!out)
        return MB_EINVAL;
    *out = NULL;
    mb_mpi *m = adapter_new(timeout_s, why, why_size);
    if (!m)
        return MB_ENOMEM;
    int rc = setup(m, comm, why, why_size);
    if (rc) {
        free(m);
        return rc;
    }
    *out = m;
    return MB_OK;
}

int mb_mpi_rank(const mb_mpi *m) { return m ? m->rank : -1; }
int mb_mpi_world_size(const mb_mpi *m) { return m ? m->size : -1; }
int mb_mpi_local_rank(const mb_mpi *m) { return m ? m->local_rank : -1; }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* "2, 5 and 7" (at most a line of them) */
static void list_missing(const mb_mpi *m, const MPI_Request *recv, char *buf, size_t size)
{
    size_t len = 0;
    int n = 0;
    buf[0] = '\0';
    for (int r = 0; r < m->size && len + 16 < size; r++)
        if (r != m->rank && recv[r] != MPI_REQUEST_NULL)
            len += (size_t)snprintf(buf + len, size - len, "%s%d", n++ ? ", " : "", r);
}

static int allgather(void *user, const void *send, void *recv, size_t bytes, double timeout_s,
                     char *why, size_t why_size)
{
    mb_mpi *m = user;
    int n = m->size, rc = MB_OK, e = MPI_SUCCESS;
    int tag = MB_MPI_TAG + (int)(m->round++ % MB_MPI_ROUNDS); /* counted even on failure */
    if (bytes > (size_t)INT32_MAX / (size_t)n) {
        say(why, why_size, "%zu bytes per rank is too much for one exchange", bytes);
        return MB_ERANGE;
    }
    MPI_Request *req = malloc(2 * (size_t)n * sizeof *req);
    if (!req) {
        say(why, why_size, "no memory for %d MPI requests", 2 * n);
        return MB_ENOMEM;
    }
    MPI_Request *rreq = req, *sreq = req + n;
    unsigned char *out = recv;
    memcpy(out + (size_t)m->rank * bytes, send, bytes);
    for (int r = 0; r < n; r++)
        rreq[r] = sreq[r] = MPI_REQUEST_NULL;
    for (int r = 0; r < n && e == MPI_SUCCESS; r++)
        if (r != m->rank)
            e = MPI_Irecv(out + (size_t)r * bytes, (int)bytes, MPI_BYTE, r, tag, m->comm, &rreq[r]);
    for (int r = 0; r < n && e == MPI_SUCCESS; r++)
        if (r != m->rank)
            e = MPI_Isend(send, (int)bytes, MPI_BYTE, r, tag, m->comm, &sreq[r]);
    double start = now(), deadline = start + timeout_s;
    int pending = 2 * (n - 1);
    long polls = 0;
    int *idx = malloc(2 * (size_t)n * sizeof *idx);
    if (!idx && e == MPI_SUCCESS) {
        say(why, why_size, "no memory for %d MPI requests", 2 * n);
        rc = MB_ENOMEM;
    }
    while (e == MPI_SUCCESS && rc == MB_OK && pending > 0) {
        /* Testsome, not Testall: it sets each completed request to MPI_REQUEST_NULL,
         * which is how the ranks still missing are told apart at the deadline */
        int got = 0;
        e = MPI_Testsome(2 * n, req, &got, idx, MPI_STATUSES_IGNORE);
        if (e != MPI_SUCCESS)
            break;
        if (got != MPI_UNDEFINED)
            pending -= got;
        if (pending <= 0)
            break;
        if (now() > deadline) {
            char miss[256];
            list_missing(m, rreq, miss, sizeof miss);
            if (miss[0])
                say(why, why_size, "rank %d heard nothing from rank%s %s within %g s: it "
                    "exited early, hangs or never called the agreement", m->rank,
                    strchr(miss, ',') ? "s" : "", miss, timeout_s);
            else
                say(why, why_size, "rank %d could not deliver its record within %g s",
                    m->rank, timeout_s);
            rc = MB_ETIMEOUT;
            break;
        }
        /* spin briefly (the records are small and usually already there), then let the
         * other ranks of an oversubscribed node run */
        if (++polls > 64) {
            if (now() - start < 1e-3) {
                sched_yield();
            } else {
                struct timespec ts = {0, 100000};
                nanosleep(&ts, NULL);
            }
        }
    }
    if (e != MPI_SUCCESS) {
        char s[MPI_MAX_ERROR_STRING];
        mpi_says(e, s, sizeof s);
        say(why, why_size, "MPI on rank %d: %s", m->rank, s);
        rc = MB_EBACKEND;
    }
    if (rc) {
        /* the late ranks' receives are cancelled; sends of 512 bytes are eager and done */
        for (int i = 0; i < 2 * n; i++)
            if (req[i] != MPI_REQUEST_NULL) {
                MPI_Cancel(&req[i]);
                MPI_Request_free(&req[i]);
            }
    }
    free(idx);
    free(req);
    return rc;
}

void mb_mpi_collective(mb_mpi *m, mb_collective *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!m)
        return;
    out->rank = m->rank;
    out->world_size = m->size;
    out->allgather = allgather;
    out->user = m;
    out->timeout_s = m->timeout_s;
}

void mb_mpi_free(mb_mpi *m)
{
    if (!m)
        return;
    restore(m);
    if (m->finalize)
        MPI_Finalize();
    free(m);
}

void mb_mpi_abort(mb_mpi *m, int code)
{
    MPI_Abort(m ? m->comm : MPI_COMM_WORLD, code);
}
