/* Measures the two ways to run blocking background tasks off a libuv loop and get
 * the completion back on the loop: libuv's uv_queue_work versus a dedicated pool
 * (mutex + condition variable queue, N threads, completions batched through one
 * uv_async_t), which is what Eventide's WorkerPool does.
 *
 *   gcc -O2 pool_choice.c -o pool_choice $(pkg-config --cflags --libs libuv) && ./pool_choice
 *
 * Each job appends one line to a file (open/append/close), as the benchmark's
 * notification task does, or does nothing (pure overhead). */
#include <uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

#define JOBS 200000
static int real_work = 0;
static const char *path = "/tmp/pool_choice.log";
static int completed = 0;

static void job(void) {
    if (!real_work) return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    const char line[] = "notification for someone@example.com: some notification\n";
    if (write(fd, line, sizeof(line) - 1) < 0) abort();
    close(fd);
}

/* --- uv_queue_work --- */
static void work_cb(uv_work_t *req) { (void)req; job(); }
static void after_cb(uv_work_t *req, int status) { (void)status; free(req); completed++; }

static double run_queue_work(void) {
    uv_loop_t loop; uv_loop_init(&loop);
    completed = 0;
    uint64_t start = uv_hrtime();
    for (int i = 0; i < JOBS; i++) {
        uv_work_t *req = malloc(sizeof *req);
        uv_queue_work(&loop, req, work_cb, after_cb);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t end = uv_hrtime();
    uv_loop_close(&loop);
    return (end - start) / 1e3 / JOBS;
}

/* --- dedicated pool --- */
static uv_mutex_t lock; static uv_cond_t ready;
static int queued = 0, stopping = 0, done_pending = 0;
static uv_async_t done_async;

static void worker(void *arg) {
    (void)arg;
    for (;;) {
        uv_mutex_lock(&lock);
        while (queued == 0 && !stopping) uv_cond_wait(&ready, &lock);
        if (queued == 0 && stopping) { uv_mutex_unlock(&lock); return; }
        queued--;
        uv_mutex_unlock(&lock);
        job();
        uv_mutex_lock(&lock);
        done_pending++;
        uv_mutex_unlock(&lock);
        uv_async_send(&done_async);
    }
}

static void done_cb(uv_async_t *h) {
    uv_mutex_lock(&lock);
    int n = done_pending; done_pending = 0;
    uv_mutex_unlock(&lock);
    completed += n;
    if (completed == JOBS) uv_close((uv_handle_t *)h, NULL);
}

static double run_pool(int threads) {
    uv_loop_t loop; uv_loop_init(&loop);
    uv_mutex_init(&lock); uv_cond_init(&ready);
    uv_async_init(&loop, &done_async, done_cb);
    completed = 0; stopping = 0; queued = 0;
    uv_thread_t tids[16];
    for (int i = 0; i < threads; i++) uv_thread_create(&tids[i], worker, NULL);
    uint64_t start = uv_hrtime();
    for (int i = 0; i < JOBS; i++) {
        uv_mutex_lock(&lock); queued++; uv_mutex_unlock(&lock);
        uv_cond_signal(&ready);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t end = uv_hrtime();
    uv_mutex_lock(&lock); stopping = 1; uv_mutex_unlock(&lock);
    uv_cond_broadcast(&ready);
    for (int i = 0; i < threads; i++) uv_thread_join(&tids[i]);
    uv_loop_close(&loop);
    return (end - start) / 1e3 / JOBS;
}

int main(void) {
    for (real_work = 0; real_work <= 1; real_work++) {
        unlink(path);
        printf("%s jobs: uv_queue_work %.2f us/job, dedicated pool (4 threads) %.2f us/job\n",
               real_work ? "append-to-file" : "empty", run_queue_work(), run_pool(4));
    }
    return 0;
}
