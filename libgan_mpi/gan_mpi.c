/*
 * gan_mpi.c -- libgan_mpi: a gan_reducer_config over an MPI communicator
 * (gan_mpi.h), built on libgan's public API only.
 *
 * The reducer's callbacks map one to one onto MPI:
 *   sum_start    MPI_Iallreduce(MPI_IN_PLACE, ..., MPI_SUM) per bucket (a
 *                blocking MPI_Allreduce when overlap is off)
 *   progress     MPI_Testall over the pending requests: Open MPI advances
 *                non-blocking collectives only inside MPI calls, so the
 *                trainer calls this between the layers of a backward pass
 *   sum_wait     MPI_Waitall; the time blocked here is the communication
 *                the backward pass did not hide
 *   sum_doubles  MPI_Allreduce on doubles (the step's agreement, losses)
 * With MPI_THREAD_MULTIPLE a progress thread can do sum_start's and
 * progress's work instead (gan_mpi_set_progress_thread; off by default):
 * it posts the buckets' MPI_Iallreduce and polls them (MPI_Testsome, then
 * a 50 us sleep) while the trainer's thread computes, and sum_wait waits
 * for it on a condition variable.  The
 * buckets travel on a communicator of their own (gcomm), so the thread's
 * calls never interleave with the trainer's collectives on comm.
 * Counts are chunked below INT_MAX.  Every MPI call's result is checked;
 * with the default error handler (MPI_ERRORS_ARE_FATAL) MPI ends the job
 * itself on a failure, which is also what happens when a rank dies.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gan_mpi.h"

#define GAN_MPI_MAGIC 0x6d706931u   /* "mpi1" */
#define GAN_MPI_DEAD 0xdeadbeefu
#define GAN_MPI_CHUNK ((size_t)1 << 30)   /* elements per MPI call */
#define GAN_MPI_MSG 512

struct gan_mpi {
    uint32_t magic;
    MPI_Comm comm;              /* the agreement, losses, attach, save */
    MPI_Comm gcomm;             /* the gradient buckets */
    int rank, size;
    gan_trainer *t;
    int overlap;
    size_t bucket_bytes;
    int broken;                 /* out_of_step was called */
    MPI_Request *req;
    double *req_bytes;          /* bytes of each pending request */
    int *done;                  /* MPI_Testsome's indices */
    size_t n_req, cap_req;
    double first_start;         /* of the buckets since the last wait; 0: none */
    /* The progress thread.  Under mu: the queue of buckets to post
       (q_buf, q_n; q_next handed to MPI), finished (requests completed)
       and finished_bytes, quit, thread_rc.  req, req_bytes and done are
       the thread's alone while it runs. */
    int threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work, done_cv;
    float **q_buf;
    size_t *q_n;
    size_t q_len, q_next, q_cap, finished;
    double finished_bytes;
    int quit, thread_rc;
    gan_mpi_stats st;
};

static double now(void)
{
    return MPI_Wtime();
}

static gan_status mpi_failed(const char *what, int rc)
{
    char text[MPI_MAX_ERROR_STRING], msg[GAN_MPI_MSG];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", rc);
    snprintf(msg, sizeof msg, "libgan_mpi: %s failed: %s", what, text);
    return gan_set_error(GAN_EIO, msg);
}

static gan_status set_errorf(gan_status st, const char *fmt, const char *a)
{
    char msg[GAN_MPI_MSG];
    snprintf(msg, sizeof msg, fmt, a);
    return gan_set_error(st, msg);
}

/* ---- the reducer's callbacks ------------------------------------------------- */

static gan_status grow_requests(gan_mpi *m, size_t need)
{
    MPI_Request *r;
    double *b;
    int *d;
    size_t cap;
    if (m->n_req + need <= m->cap_req)
        return GAN_OK;
    cap = (m->n_req + need) * 2;
    r = realloc(m->req, cap * sizeof *r);
    if (r)
        m->req = r;
    b = realloc(m->req_bytes, cap * sizeof *b);
    if (b)
        m->req_bytes = b;
    d = realloc(m->done, cap * sizeof *d);
    if (d)
        m->done = d;
    if (!r || !b || !d)
        return gan_set_error(GAN_ENOMEM, "libgan_mpi: out of memory for MPI requests");
    m->cap_req = cap;
    return GAN_OK;
}

/* ---- the progress thread ---------------------------------------------------------- */

static void *progress_main(void *arg)
{
    gan_mpi *m = arg;
    const struct timespec poll = {0, 50000};   /* 50 us between polls */
    pthread_mutex_lock(&m->mu);
    for (;;) {
        while (!m->quit && m->q_next == m->q_len && m->n_req == 0)
            pthread_cond_wait(&m->work, &m->mu);
        if (m->quit && m->q_next == m->q_len && m->n_req == 0)
            break;
        /* Post what was queued, in order (the same on every rank). */
        while (m->q_next < m->q_len) {
            float *buf = m->q_buf[m->q_next];
            const int n = (int)m->q_n[m->q_next];
            MPI_Request r;
            int rc;
            m->q_next++;
            if (grow_requests(m, 1) != GAN_OK) {
                m->thread_rc = MPI_ERR_NO_MEM;
                break;
            }
            pthread_mutex_unlock(&m->mu);
            rc = MPI_Iallreduce(MPI_IN_PLACE, buf, n, MPI_FLOAT, MPI_SUM, m->gcomm, &r);
            pthread_mutex_lock(&m->mu);
            if (rc != MPI_SUCCESS) {
                m->thread_rc = rc;
                m->finished++;                  /* nothing to wait for */
                continue;
            }
            m->req[m->n_req] = r;
            m->req_bytes[m->n_req++] = (double)n * sizeof(float);
        }
        if (m->n_req) {
            int k = 0, rc;
            size_t j = 0;
            pthread_mutex_unlock(&m->mu);
            rc = MPI_Testsome((int)m->n_req, m->req, &k, m->done, MPI_STATUSES_IGNORE);
            pthread_mutex_lock(&m->mu);
            if (rc != MPI_SUCCESS)
                m->thread_rc = rc;
            for (int i = 0; rc == MPI_SUCCESS && k != MPI_UNDEFINED && i < k; i++) {
                m->finished++;
                m->finished_bytes += m->req_bytes[m->done[i]];
            }
            /* Keep the pending requests (MPI set the finished ones to NULL). */
            for (size_t i = 0; i < m->n_req; i++)
                if (m->req[i] != MPI_REQUEST_NULL) {
                    m->req[j] = m->req[i];
                    m->req_bytes[j++] = m->req_bytes[i];
                }
            m->n_req = rc == MPI_SUCCESS ? j : 0;
        }
        if (m->finished == m->q_len)
            pthread_cond_broadcast(&m->done_cv);
        if (m->n_req && !m->quit) {
            pthread_mutex_unlock(&m->mu);
            nanosleep(&poll, NULL);
            pthread_mutex_lock(&m->mu);
        }
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* Queue one chunk for the thread (under mu). */
static gan_status enqueue(gan_mpi *m, float *buf, size_t n)
{
    if (m->q_len == m->q_cap) {
        const size_t cap = m->q_cap ? 2 * m->q_cap : 64;
        float **b = realloc(m->q_buf, cap * sizeof *b);
        size_t *c;
        if (!b)
            return gan_set_error(GAN_ENOMEM, "libgan_mpi: out of memory for the bucket queue");
        m->q_buf = b;
        if (!(c = realloc(m->q_n, cap * sizeof *c)))
            return gan_set_error(GAN_ENOMEM, "libgan_mpi: out of memory for the bucket queue");
        m->q_n = c;
        m->q_cap = cap;
    }
    m->q_buf[m->q_len] = buf;
    m->q_n[m->q_len++] = n;
    return GAN_OK;
}

static void stop_thread(gan_mpi *m)
{
    if (!m->threaded)
        return;
    pthread_mutex_lock(&m->mu);
    m->quit = 1;
    pthread_cond_signal(&m->work);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->work);
    pthread_cond_destroy(&m->done_cv);
    m->threaded = 0;
    m->quit = 0;
}

/* Start the thread on every rank or on none (0 or 1 on every rank). */
static int start_thread(gan_mpi *m)
{
    int provided = MPI_THREAD_SINGLE, ok, all = 0;
    MPI_Query_thread(&provided);
    ok = provided == MPI_THREAD_MULTIPLE;
    if (ok && (pthread_mutex_init(&m->mu, NULL) != 0 ||
               pthread_cond_init(&m->work, NULL) != 0 || pthread_cond_init(&m->done_cv, NULL) != 0))
        ok = 0;
    m->q_len = m->q_next = m->finished = 0;
    m->finished_bytes = 0.0;
    m->quit = m->thread_rc = 0;
    if (ok && pthread_create(&m->thread, NULL, progress_main, m) != 0) {
        pthread_mutex_destroy(&m->mu);
        pthread_cond_destroy(&m->work);
        pthread_cond_destroy(&m->done_cv);
        ok = 0;
    }
    m->threaded = ok;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, m->comm);
    if (ok && !all)
        stop_thread(m);
    return all;
}

static gan_status cb_sum_start(float *buf, size_t count, void *user)
{
    gan_mpi *m = user;
    const double t0 = now();
    gan_status st = GAN_OK;
    int rc;
    if (m->first_start == 0.0)
        m->first_start = t0;
    if (m->overlap && m->threaded) {
        pthread_mutex_lock(&m->mu);
        for (size_t off = 0; off < count && st == GAN_OK; off += GAN_MPI_CHUNK)
            st = enqueue(m, buf + off, count - off < GAN_MPI_CHUNK ? count - off : GAN_MPI_CHUNK);
        pthread_cond_signal(&m->work);
        pthread_mutex_unlock(&m->mu);
        m->st.buckets++;
        m->st.bytes += (double)count * sizeof(float);
        m->st.start_seconds += now() - t0;
        return st;
    }
    if (m->overlap && (st = grow_requests(m, count / GAN_MPI_CHUNK + 1)) != GAN_OK)
        return st;
    for (size_t off = 0; off < count && st == GAN_OK; off += GAN_MPI_CHUNK) {
        const int n = (int)(count - off < GAN_MPI_CHUNK ? count - off : GAN_MPI_CHUNK);
        if (m->overlap) {
            m->req_bytes[m->n_req] = (double)n * sizeof(float);
            rc = MPI_Iallreduce(MPI_IN_PLACE, buf + off, n, MPI_FLOAT, MPI_SUM, m->gcomm,
                                &m->req[m->n_req++]);
        }
        else
            rc = MPI_Allreduce(MPI_IN_PLACE, buf + off, n, MPI_FLOAT, MPI_SUM, m->gcomm);
        if (rc != MPI_SUCCESS)
            st = mpi_failed(m->overlap ? "MPI_Iallreduce" : "MPI_Allreduce", rc);
    }
    m->st.buckets++;
    m->st.bytes += (double)count * sizeof(float);
    m->st.start_seconds += now() - t0;
    return st;
}

static void cb_progress(void *user)
{
    gan_mpi *m = user;
    int flag = 0;
    double t0;
    if (m->threaded || !m->n_req)
        return;                 /* the thread polls */
    t0 = now();
    if (MPI_Testall((int)m->n_req, m->req, &flag, MPI_STATUSES_IGNORE) == MPI_SUCCESS && flag) {
        for (size_t i = 0; i < m->n_req; i++)    /* all done behind compute */
            m->st.hidden_bytes += m->req_bytes[i];
        m->n_req = 0;
    }
    m->st.progress_seconds += now() - t0;
}

static gan_status cb_sum_wait(void *user)
{
    gan_mpi *m = user;
    const double t0 = now();
    int rc = MPI_SUCCESS, n_done = 0;
    if (m->threaded) {
        pthread_mutex_lock(&m->mu);
        m->st.hidden_bytes += m->finished_bytes;     /* done before the wait */
        while (m->finished < m->q_len && !m->thread_rc)
            pthread_cond_wait(&m->done_cv, &m->mu);
        rc = m->thread_rc;
        m->q_len = m->q_next = m->finished = 0;
        m->finished_bytes = 0.0;
        pthread_mutex_unlock(&m->mu);
        m->st.waits++;
        m->st.wait_seconds += now() - t0;
        if (m->first_start != 0.0)
            m->st.window_seconds += t0 - m->first_start;
        m->first_start = 0.0;
        if (rc == MPI_ERR_NO_MEM)
            return gan_set_error(GAN_ENOMEM, "libgan_mpi: out of memory for MPI requests");
        return rc == MPI_SUCCESS ? GAN_OK : mpi_failed("MPI_Iallreduce", rc);
    }
    /* What already arrived was hidden behind compute; the rest is waited. */
    if (m->n_req &&
        MPI_Testsome((int)m->n_req, m->req, &n_done, m->done, MPI_STATUSES_IGNORE) == MPI_SUCCESS)
        for (int i = 0; i < n_done && n_done != MPI_UNDEFINED; i++)
            m->st.hidden_bytes += m->req_bytes[m->done[i]];
    if (m->n_req)
        rc = MPI_Waitall((int)m->n_req, m->req, MPI_STATUSES_IGNORE);
    m->n_req = 0;
    m->st.waits++;
    m->st.wait_seconds += now() - t0;
    if (m->first_start != 0.0)
        m->st.window_seconds += t0 - m->first_start;
    m->first_start = 0.0;
    return rc == MPI_SUCCESS ? GAN_OK : mpi_failed("MPI_Waitall", rc);
}

static gan_status cb_sum_doubles(double *buf, size_t count, void *user)
{
    gan_mpi *m = user;
    const double t0 = now();
    for (size_t off = 0; off < count; off += GAN_MPI_CHUNK) {
        const int n = (int)(count - off < GAN_MPI_CHUNK ? count - off : GAN_MPI_CHUNK);
        int rc = MPI_Allreduce(MPI_IN_PLACE, buf + off, n, MPI_DOUBLE, MPI_SUM, m->comm);
        if (rc != MPI_SUCCESS)
            return mpi_failed("MPI_Allreduce", rc);
    }
    m->st.scalar_sums++;
    m->st.scalar_seconds += now() - t0;
    return GAN_OK;
}

static void cb_out_of_step(gan_status status, void *user)
{
    gan_mpi *m = user;
    (void)status;
    m->broken = 1;
}

static gan_status install(gan_mpi *m)
{
    gan_reducer_config rc;
    gan_status st;
    if ((st = GAN_REDUCER_CONFIG_INIT(&rc)) != GAN_OK)
        return st;
    rc.rank = m->rank;
    rc.size = m->size;
    rc.sum_start = cb_sum_start;
    rc.sum_wait = cb_sum_wait;
    rc.sum_doubles = cb_sum_doubles;
    rc.progress = cb_progress;
    rc.out_of_step = cb_out_of_step;
    rc.bucket_bytes = m->bucket_bytes;
    rc.user = m;
    return gan_trainer_set_reducer(m->t, &rc);
}

/* ---- agreement ------------------------------------------------------------------ */

static gan_status check(const gan_mpi *m, const char *func)
{
    if (m == NULL || m->magic != GAN_MPI_MAGIC)
        return set_errorf(m == NULL ? GAN_EINVAL : GAN_ESTATE,
                          "%s: invalid gan_mpi handle (NULL, freed or not a gan_mpi)", func);
    return GAN_OK;
}

static gan_status agree_on(MPI_Comm comm, int rank, int size, gan_status status)
{
    int mine = status < 0 ? rank : size, first = size, code = (int)status, rc;
    char msg[GAN_MPI_MSG], text[GAN_MPI_MSG + 64];
    if ((rc = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm)) != MPI_SUCCESS)
        return mpi_failed("MPI_Allreduce", rc);
    if (first == size)
        return status;
    memset(msg, 0, sizeof msg);
    if (rank == first)
        snprintf(msg, sizeof msg, "%s", gan_last_error());
    if ((rc = MPI_Bcast(&code, 1, MPI_INT, first, comm)) != MPI_SUCCESS ||
        (rc = MPI_Bcast(msg, GAN_MPI_MSG, MPI_CHAR, first, comm)) != MPI_SUCCESS)
        return mpi_failed("MPI_Bcast", rc);
    if (rank == first)
        return status;
    msg[GAN_MPI_MSG - 1] = '\0';
    snprintf(text, sizeof text, "rank %d of %d: %s", first, size, msg);
    return gan_set_error(code < 0 ? (gan_status)code : GAN_EINTERNAL, text);
}

gan_status gan_mpi_agree(gan_mpi *m, gan_status status)
{
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    return agree_on(m->comm, m->rank, m->size, status);
}

/* ---- attach ------------------------------------------------------------------------ */

/* Rank 0's checkpoint of t (and ds) into every other rank's t (and ds). */
static gan_status copy_rank0(gan_mpi *m, gan_dataset *ds)
{
    void *buf = NULL;
    size_t len = 0;
    unsigned long long n = 0;
    gan_status st = GAN_OK;
    int rc;
    if (m->rank == 0)
        st = gan_trainer_save_mem(m->t, ds, &buf, &len);
    if ((st = agree_on(m->comm, m->rank, m->size, st)) != GAN_OK) {
        gan_free(buf);
        return st;
    }
    n = (unsigned long long)len;
    if ((rc = MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, m->comm)) != MPI_SUCCESS) {
        gan_free(buf);
        return mpi_failed("MPI_Bcast", rc);
    }
    if (m->rank != 0 && (buf = malloc(n ? (size_t)n : 1)) == NULL)
        st = gan_set_error(GAN_ENOMEM, "gan_mpi_attach: out of memory for rank 0's checkpoint");
    if ((st = agree_on(m->comm, m->rank, m->size, st)) != GAN_OK) {
        if (m->rank == 0)
            gan_free(buf);
        else
            free(buf);
        return st;
    }
    for (size_t off = 0; off < (size_t)n; off += GAN_MPI_CHUNK) {
        const int c = (int)((size_t)n - off < GAN_MPI_CHUNK ? (size_t)n - off : GAN_MPI_CHUNK);
        if ((rc = MPI_Bcast((char *)buf + off, c, MPI_BYTE, 0, m->comm)) != MPI_SUCCESS) {
            st = mpi_failed("MPI_Bcast", rc);
            break;
        }
    }
    if (st == GAN_OK && m->rank != 0)
        st = gan_trainer_restore_mem(m->t, ds, buf, (size_t)n);
    if (m->rank == 0)
        gan_free(buf);
    else
        free(buf);
    return agree_on(m->comm, m->rank, m->size, st);
}

gan_status gan_mpi_attach(gan_mpi **out, gan_trainer *t, gan_dataset *ds, MPI_Comm comm)
{
    gan_mpi *m;
    gan_status st = GAN_OK;
    int init = 0, fin = 0, rank = 0, size = 1, rc;
    MPI_Comm dup;
    if (out == NULL)
        return gan_set_error(GAN_EINVAL, "gan_mpi_attach: invalid argument: 'out != NULL'");
    *out = NULL;
    if (MPI_Initialized(&init) != MPI_SUCCESS || !init || MPI_Finalized(&fin) != MPI_SUCCESS || fin)
        return gan_set_error(GAN_EINVAL, "gan_mpi_attach: MPI is not initialised (call MPI_Init "
                             "first)");
    if (comm == MPI_COMM_NULL)
        return gan_set_error(GAN_EINVAL, "gan_mpi_attach: the communicator is MPI_COMM_NULL");
    if ((rc = MPI_Comm_dup(comm, &dup)) != MPI_SUCCESS)
        return mpi_failed("MPI_Comm_dup", rc);
    MPI_Comm_rank(dup, &rank);
    MPI_Comm_size(dup, &size);
    /* Local checks, then everyone learns the first failure. */
    if (t == NULL)
        st = gan_set_error(GAN_EINVAL, "gan_mpi_attach: invalid argument: 't != NULL'");
    else if ((st = gan_trainer_progress(t, NULL, NULL)) == GAN_OK && ds != NULL)
        st = gan_dataset_size(ds, &(size_t){0});
    m = st == GAN_OK ? calloc(1, sizeof *m) : NULL;
    if (st == GAN_OK && !m)
        st = gan_set_error(GAN_ENOMEM, "gan_mpi_attach: out of memory");
    if ((st = agree_on(dup, rank, size, st)) != GAN_OK) {
        free(m);
        MPI_Comm_free(&dup);
        return st;
    }
    m->magic = GAN_MPI_MAGIC;
    m->comm = dup;
    m->gcomm = MPI_COMM_NULL;
    m->rank = rank;
    m->size = size;
    m->t = t;
    m->overlap = 1;
    m->bucket_bytes = (size_t)4 << 20;
    GAN_MPI_STATS_INIT(&m->st);
    /* Rank 0's state everywhere, then the shards and the reducer. */
    st = copy_rank0(m, ds);
    if (st == GAN_OK) {
        if (ds)
            st = gan_dataset_set_shard(ds, (size_t)rank, (size_t)size);
        if (st == GAN_OK)
            st = grow_requests(m, 64);
        if (st == GAN_OK)
            st = install(m);
        st = agree_on(dup, rank, size, st);
    }
    if (st == GAN_OK) {
        /* The buckets' own communicator (the progress thread's, when
           gan_mpi_set_progress_thread starts one). */
        if ((rc = MPI_Comm_dup(dup, &m->gcomm)) != MPI_SUCCESS)
            st = mpi_failed("MPI_Comm_dup", rc);
    }
    if (st != GAN_OK) {
        gan_trainer_set_reducer(t, NULL);
        if (ds)
            gan_dataset_set_shard(ds, 0, 1);
        free(m->req);
        free(m->req_bytes);
        free(m->done);
        m->magic = GAN_MPI_DEAD;
        free(m);
        MPI_Comm_free(&dup);
        return st;
    }
    *out = m;
    return GAN_OK;
}

gan_status gan_mpi_attach_f(gan_mpi **out, gan_trainer *t, gan_dataset *ds, MPI_Fint comm)
{
    return gan_mpi_attach(out, t, ds, MPI_Comm_f2c(comm));
}

void gan_mpi_free(gan_mpi *m)
{
    int fin = 0;
    if (m == NULL || m->magic != GAN_MPI_MAGIC)
        return;
    gan_trainer_set_reducer(m->t, NULL);
    /* An idle progress thread waits on a condition variable, with no MPI
       call pending: stopping it is safe even after MPI_Finalize. */
    stop_thread(m);
    if (MPI_Finalized(&fin) == MPI_SUCCESS && !fin) {
        if (m->n_req)
            MPI_Waitall((int)m->n_req, m->req, MPI_STATUSES_IGNORE);
        if (m->gcomm != MPI_COMM_NULL)
            MPI_Comm_free(&m->gcomm);
        MPI_Comm_free(&m->comm);
    }
    free(m->q_buf);
    free(m->q_n);
    free(m->req);
    free(m->req_bytes);
    free(m->done);
    m->magic = GAN_MPI_DEAD;
    free(m);
}

gan_status gan_mpi_rank(const gan_mpi *m, int *rank, int *size)
{
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    if (rank)
        *rank = m->rank;
    if (size)
        *size = m->size;
    return GAN_OK;
}

int gan_mpi_in_step(const gan_mpi *m)
{
    return m != NULL && m->magic == GAN_MPI_MAGIC && !m->broken;
}

gan_status gan_mpi_save(gan_mpi *m, const gan_dataset *ds, const char *path)
{
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    if (m->rank == 0)
        st = path ? gan_trainer_save(m->t, ds, path)
                  : gan_set_error(GAN_EINVAL, "gan_mpi_save: invalid argument: 'path != NULL'");
    return agree_on(m->comm, m->rank, m->size, st);
}

gan_status gan_mpi_set_overlap(gan_mpi *m, int on)
{
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    m->overlap = on != 0;
    return GAN_OK;
}

gan_status gan_mpi_set_progress_thread(gan_mpi *m, int on)
{
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    stop_thread(m);
    if (on && !start_thread(m))
        return gan_set_error(GAN_EUNSUPPORTED, "gan_mpi_set_progress_thread: MPI does not "
                             "provide MPI_THREAD_MULTIPLE on every rank (MPI_Init_thread)");
    return GAN_OK;
}

int gan_mpi_progress_thread(const gan_mpi *m)
{
    return m != NULL && m->magic == GAN_MPI_MAGIC && m->threaded;
}

gan_status gan_mpi_set_bucket_bytes(gan_mpi *m, size_t bytes)
{
    gan_status st;
    size_t old;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    old = m->bucket_bytes;
    m->bucket_bytes = bytes;
    if ((st = install(m)) != GAN_OK) {
        m->bucket_bytes = old;
        install(m);
    }
    return agree_on(m->comm, m->rank, m->size, st);
}

gan_status gan_mpi_get_stats(const gan_mpi *m, gan_mpi_stats *stats)
{
    gan_mpi_stats s;
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    if (stats == NULL || stats->struct_size < sizeof(uint32_t) || stats->struct_size > sizeof s)
        return gan_set_error(GAN_EINVAL, "gan_mpi_get_stats: stats is NULL or its struct_size "
                             "is not set (GAN_MPI_STATS_INIT)");
    s = m->st;
    s.struct_size = stats->struct_size;
    memcpy(stats, &s, stats->struct_size);
    return GAN_OK;
}

gan_status gan_mpi_reset_stats(gan_mpi *m)
{
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    GAN_MPI_STATS_INIT(&m->st);
    return GAN_OK;
}

/* The trainer's buckets of one model (as libgan cuts them: whole layers
   from the top down, each at least bucket_bytes), summed blocking. */
static gan_status reduce_model(gan_mpi *m, gan_model *model, float *buf, double *bytes)
{
    size_t layers = 0, acc = 0;
    const size_t floats = m->bucket_bytes / sizeof(float);
    gan_status st;
    int rc;
    if ((st = gan_model_layer_count(model, &layers)) != GAN_OK)
        return st;
    for (size_t i = layers; i-- > 0;) {
        size_t np = 0;
        gan_model_layer_sizes(model, i, &np, NULL);
        acc += np;
        if (acc > 0 && (acc >= floats || i == 0)) {
            for (size_t off = 0; off < acc; off += GAN_MPI_CHUNK) {
                const int c = (int)(acc - off < GAN_MPI_CHUNK ? acc - off : GAN_MPI_CHUNK);
                if ((rc = MPI_Allreduce(MPI_IN_PLACE, buf, c, MPI_FLOAT, MPI_SUM, m->comm)) !=
                    MPI_SUCCESS)
                    return mpi_failed("MPI_Allreduce", rc);
            }
            *bytes += (double)acc * sizeof(float);
            acc = 0;
        }
    }
    return GAN_OK;
}

gan_status gan_mpi_time_reduction(gan_mpi *m, int reps, double *seconds, double *bytes)
{
    gan_model *g = NULL, *d = NULL;
    size_t ng = 0, nd = 0, n, layers;
    float *buf = NULL;
    double b = 0.0, t0, dt, worst = 0.0;
    gan_status st;
    if ((st = check(m, __func__)) != GAN_OK)
        return st;
    if (seconds == NULL || reps < 1)
        return gan_set_error(GAN_EINVAL, "gan_mpi_time_reduction: seconds is NULL or reps < 1");
    gan_trainer_models(m->t, &g, &d, NULL, NULL);
    for (int k = 0; k < 2; k++) {
        gan_model *model = k ? d : g;
        size_t *total = k ? &nd : &ng;
        gan_model_layer_count(model, &layers);
        for (size_t i = 0; i < layers; i++) {
            size_t np = 0;
            gan_model_layer_sizes(model, i, &np, NULL);
            *total += np;
        }
    }
    n = ng > nd ? ng : nd;
    buf = calloc(n ? n : 1, sizeof *buf);
    st = agree_on(m->comm, m->rank, m->size,
                  buf ? GAN_OK : gan_set_error(GAN_ENOMEM, "gan_mpi_time_reduction: out of memory"));
    if (st != GAN_OK) {
        free(buf);
        return st;
    }
    MPI_Barrier(m->comm);
    t0 = now();
    for (int r = 0; r < reps && st == GAN_OK; r++) {
        b = 0.0;
        if ((st = reduce_model(m, g, buf, &b)) == GAN_OK)
            st = reduce_model(m, d, buf, &b);
    }
    dt = (now() - t0) / reps;
    free(buf);
    if (st != GAN_OK)
        return st;
    MPI_Allreduce(&dt, &worst, 1, MPI_DOUBLE, MPI_MAX, m->comm);
    *seconds = worst;
    if (bytes)
        *bytes = b;
    return GAN_OK;
}
