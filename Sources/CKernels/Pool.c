// The worker threads of parallelFor (see th_pool_run in CKernels.h).
//
// Why not GCD's concurrentPerform: a pose makes a few hundred parallel calls of 0.1-3 ms each,
// and between them GCD's worker parks on a futex; waking it again costs tens of microseconds in
// this VM (an idle vCPU must be rescheduled), during which the calling thread starts alone and
// the bands split unevenly. These workers spin for a while after each job, so the next one
// finds them awake.
//
// A job is published as `next` = (generation << 32) | index: a worker claims item `index` of
// generation g by a compare-and-swap from (g, index) to (g, index + 1), so a worker that is late
// for one job can never take an item of the next (the generation differs). The submitter runs
// items too and returns when `remaining` (items not yet finished) is 0; it publishes the next
// job only after that, so `fn`, `ctx` and `count` are stable while any claimed item runs.

#include "CKernels.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#include <x86intrin.h>
#endif

#define TH_POOL_MAX_WORKERS 63

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    long workers;
    atomic_int busy;            // a job is being submitted or run (one submitter at a time)
    atomic_long next;           // (generation << 32) | next index
    atomic_long remaining;      // items of the current job not yet finished
    atomic_int sleepers;        // workers waiting on `wake`
    atomic_long count;          // items of the current job (read by late workers, so atomic)
    th_pool_task fn;
    void *ctx;
} pool = {.once = PTHREAD_ONCE_INIT, .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static long requested_workers;

// Runs items of generation `gen` until none are left (or the job changed).
static void run_items(long gen) {
    long v = atomic_load(&pool.next);
    for (;;) {
        if ((v >> 32) != gen) return;
        long i = v & 0xffffffffL;
        if (i >= atomic_load_explicit(&pool.count, memory_order_relaxed)) return;
        if (!atomic_compare_exchange_weak(&pool.next, &v, v + 1)) continue;
        pool.fn(pool.ctx, i);
        atomic_fetch_sub(&pool.remaining, 1);
        v = atomic_load(&pool.next);
    }
}

// The spin budget before a worker sleeps: about 0.2 ms, in TSC ticks on x86-64 (the TSC runs at
// 2-4 GHz), in nanoseconds of the monotonic clock elsewhere.
#if defined(__x86_64__)
#define TH_SPIN_BUDGET 600000
static inline uint64_t ticks(void) { return __rdtsc(); }
#else
#include <time.h>
#define TH_SPIN_BUDGET 200000
static inline uint64_t ticks(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

static inline void relax(void) {
#if defined(__x86_64__)
    _mm_pause();
#endif
}

static void *worker_main(void *arg) {
    (void)arg;
    long seen = atomic_load(&pool.next) >> 32;
    for (;;) {
        // Spin about 0.2 ms (TH_SPIN_BUDGET) for the next job, then sleep.
        uint64_t start = ticks();
        long gen;
        while ((gen = atomic_load(&pool.next) >> 32) == seen) {
            relax();
            if (ticks() - start > TH_SPIN_BUDGET) {
                pthread_mutex_lock(&pool.lock);
                atomic_fetch_add(&pool.sleepers, 1);
                while ((atomic_load(&pool.next) >> 32) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
                atomic_fetch_sub(&pool.sleepers, 1);
                pthread_mutex_unlock(&pool.lock);
                start = ticks();
            }
        }
        seen = gen;
        run_items(gen);
    }
    return 0;
}

static void start_workers(void) {
    long n = requested_workers < TH_POOL_MAX_WORKERS ? requested_workers : TH_POOL_MAX_WORKERS;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker_main, 0) == 0) pool.workers++;
        pthread_attr_destroy(&attr);
    }
}

int th_pool_run(long workers, long count, th_pool_task fn, void *ctx) {
    if (workers < 1 || count < 1 || count > 0x7fffffffL) return 0;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&pool.busy, &expected, 1)) return 0;
    requested_workers = workers;
    pthread_once(&pool.once, start_workers);
    if (pool.workers == 0) {
        atomic_store(&pool.busy, 0);
        return 0;
    }
    atomic_store_explicit(&pool.count, count, memory_order_relaxed);
    pool.fn = fn;
    pool.ctx = ctx;
    atomic_store(&pool.remaining, count);
    long gen = (atomic_load(&pool.next) >> 32) + 1;
    atomic_store(&pool.next, gen << 32);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    run_items(gen);
    while (atomic_load(&pool.remaining) > 0) relax();
    atomic_store(&pool.busy, 0);
    return 1;
}
