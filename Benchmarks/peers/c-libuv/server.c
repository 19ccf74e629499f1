/*
 * Raw libuv HTTP/1.1 server: the C ceiling for any libuv-based design in the
 * Eventide benchmarks. It serves only the benchmark routes, with just enough
 * HTTP/1.1 to be correct for them:
 *   - keep-alive and pipelining: every complete request in a read is answered,
 *     in order, and the responses of one read go out in one write;
 *   - request framing: headers end at CRLFCRLF, bodies by Content-Length
 *     (read and discarded); no chunked bodies (answered 501, then close);
 *   - writes: uv_try_write first, uv_write for whatever did not fit
 *     (uv_try_write refuses while earlier writes are queued, so order holds);
 *   - a cached Date header refreshed by a 1 s timer.
 *
 * Routes:
 *   GET  /plaintext                 "Hello, World!" (text/plain)
 *   GET  /json                      {"message":"Hello, World!"}
 *   POST /send-notification/{email} 200, then appends
 *                                   "notification for {email}: some notification\n"
 *                                   to WORKDIR/log.txt on the thread pool
 *   POST /slow/{ms}                 202, then a thread-pool task sleeps ms and
 *                                   appends a line to WORKDIR/slow.txt;
 *                                   503 when MAX_PENDING_TASKS are pending
 * Background tasks are queued (uv_queue_work) only once the response that
 * announced them has been written, i.e. "after the response".
 *
 * Build: gcc -O2 -o server server.c $(pkg-config --cflags --libs libuv)
 * Run:   ./server --host 127.0.0.1 --port 8080 --workdir DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define READ_CHUNK 65536
#define MAX_HEADER_BYTES 65536
#define MAX_PENDING_TASKS 1024 /* slow tasks queued or running */

static char date_header[64]; /* "Date: ...\r\n" */
static char workdir[4096] = ".";
static int pending_slow_tasks;

/* ---- background tasks ------------------------------------------------- */

enum task_kind { TASK_NOTIFY, TASK_SLOW };

typedef struct task {
    uv_work_t work;
    enum task_kind kind;
    int ms;
    char email[256];
    struct task *next;
} task_t;

static void append_line(const char *file, const char *line, size_t len) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", workdir, file);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return;
    ssize_t ignored = write(fd, line, len);
    (void)ignored;
    close(fd);
}

static void task_run(uv_work_t *work) { /* on a thread-pool thread */
    task_t *t = work->data;
    char line[512];
    int n;
    if (t->kind == TASK_NOTIFY) {
        n = snprintf(line, sizeof line, "notification for %s: some notification\n", t->email);
        append_line("log.txt", line, (size_t)n);
    } else {
        usleep((useconds_t)t->ms * 1000);
        n = snprintf(line, sizeof line, "slow task of %d ms done\n", t->ms);
        append_line("slow.txt", line, (size_t)n);
    }
}

static void task_done(uv_work_t *work, int status) { /* back on the loop */
    (void)status;
    task_t *t = work->data;
    if (t->kind == TASK_SLOW) pending_slow_tasks--;
    free(t);
}

static void queue_tasks(task_t *list) {
    while (list) {
        task_t *next = list->next;
        list->work.data = list;
        uv_queue_work(uv_default_loop(), &list->work, task_run, task_done);
        list = next;
    }
}

/* ---- connections ------------------------------------------------------ */

typedef struct {
    uv_tcp_t tcp;
    char *in;          /* unparsed input */
    size_t in_len, in_cap;
    char *out;         /* responses produced by the current read */
    size_t out_len, out_cap;
    task_t *tasks;     /* tasks announced by those responses */
    int closing;       /* close once the pending writes are done */
} conn_t;

typedef struct {
    uv_write_t req;
    conn_t *conn;
    task_t *tasks;
    char data[];
} write_req_t;

static void on_close(uv_handle_t *h) {
    conn_t *c = (conn_t *)h;
    free(c->in);
    free(c->out);
    /* tasks of responses never written are dropped with the connection */
    while (c->tasks) { task_t *n = c->tasks->next; pending_slow_tasks -= c->tasks->kind == TASK_SLOW; free(c->tasks); c->tasks = n; }
    free(c);
}

static void conn_close(conn_t *c) {
    if (!uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void out_append(conn_t *c, const char *s, size_t n) {
    if (c->out_len + n > c->out_cap) {
        while (c->out_len + n > c->out_cap) c->out_cap = c->out_cap ? c->out_cap * 2 : 4096;
        c->out = realloc(c->out, c->out_cap);
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static void respond(conn_t *c, const char *status, const char *type, const char *body) {
    char head[256];
    size_t blen = strlen(body);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
                     status, type, blen, date_header, c->closing ? "Connection: close\r\n" : "");
    out_append(c, head, (size_t)n);
    out_append(c, body, blen);
}

static void on_write(uv_write_t *req, int status) {
    write_req_t *w = (write_req_t *)req;
    if (status == 0) queue_tasks(w->tasks);
    else while (w->tasks) { task_t *n = w->tasks->next; pending_slow_tasks -= w->tasks->kind == TASK_SLOW; free(w->tasks); w->tasks = n; }
    if (status != 0 || (w->conn->closing && w->conn->tcp.write_queue_size == 0)) conn_close(w->conn);
    free(w);
}

/* Sends the responses of this read: try_write, then uv_write the rest. */
static void flush(conn_t *c) {
    if (c->out_len == 0) return;
    size_t done = 0;
    uv_buf_t buf = uv_buf_init(c->out, (unsigned)c->out_len);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &buf, 1);
    if (r > 0) done = (size_t)r;
    else if (r != UV_EAGAIN) { c->out_len = 0; conn_close(c); return; }
    if (done == c->out_len) { /* written: the tasks may start now */
        queue_tasks(c->tasks);
        c->tasks = NULL;
        c->out_len = 0;
        if (c->closing && c->tcp.write_queue_size == 0) conn_close(c);
        return;
    }
    size_t rest = c->out_len - done;
    write_req_t *w = malloc(sizeof *w + rest);
    memcpy(w->data, c->out + done, rest);
    w->conn = c;
    w->tasks = c->tasks;
    c->tasks = NULL;
    c->out_len = 0;
    buf = uv_buf_init(w->data, (unsigned)rest);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write) != 0) {
        on_write(&w->req, UV_EPIPE);
    }
}

static const char *find_crlfcrlf(const char *p, size_t n) {
    for (size_t i = 0; i + 3 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') return p + i;
    return NULL;
}

static int prefix(const char *s, size_t n, const char *p) {
    size_t pl = strlen(p);
    return n >= pl && memcmp(s, p, pl) == 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Copies a path segment percent-decoded (user%40example.com → user@example.com). */
static void percent_decode(char *out, const char *in, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (in[i] == '%' && i + 2 < n && (hi = hex_digit(in[i + 1])) >= 0 && (lo = hex_digit(in[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
}

/* Routes one request. */
static void handle(conn_t *c, const char *method, size_t mlen, const char *path, size_t plen) {
    static const char *json = "application/json";
    int is_get = mlen == 3 && memcmp(method, "GET", 3) == 0;
    int is_post = mlen == 4 && memcmp(method, "POST", 4) == 0;
    if (is_get && plen == 10 && memcmp(path, "/plaintext", 10) == 0) {
        respond(c, "200 OK", "text/plain", "Hello, World!");
    } else if (is_get && plen == 5 && memcmp(path, "/json", 5) == 0) {
        respond(c, "200 OK", json, "{\"message\":\"Hello, World!\"}");
    } else if (is_post && prefix(path, plen, "/send-notification/") && plen > 19 && plen - 19 < 256) {
        task_t *t = calloc(1, sizeof *t);
        t->kind = TASK_NOTIFY;
        percent_decode(t->email, path + 19, plen - 19);
        t->next = NULL;
        /* keep the order of the tasks: append at the tail */
        task_t **tail = &c->tasks;
        while (*tail) tail = &(*tail)->next;
        *tail = t;
        respond(c, "200 OK", json, "{\"message\":\"Notification sent in the background\"}");
    } else if (is_post && prefix(path, plen, "/slow/") && plen > 6) {
        if (pending_slow_tasks >= MAX_PENDING_TASKS) {
            respond(c, "503 Service Unavailable", json, "{\"message\":\"task queue full\"}");
            return;
        }
        task_t *t = calloc(1, sizeof *t);
        t->kind = TASK_SLOW;
        t->ms = atoi(path + 6 > path + plen ? "0" : path + 6);
        pending_slow_tasks++;
        task_t **tail = &c->tasks;
        while (*tail) tail = &(*tail)->next;
        *tail = t;
        respond(c, "202 Accepted", json, "{\"message\":\"accepted\"}");
    } else {
        respond(c, "404 Not Found", "text/plain", "Not Found");
    }
}

/* Answers every complete request in c->in; keeps the incomplete tail. */
static void parse(conn_t *c) {
    size_t off = 0;
    while (!c->closing) {
        const char *start = c->in + off;
        size_t avail = c->in_len - off;
        const char *end = find_crlfcrlf(start, avail);
        if (!end) {
            if (avail > MAX_HEADER_BYTES) { c->closing = 1; respond(c, "431 Request Header Fields Too Large", "text/plain", ""); }
            break;
        }
        size_t head_len = (size_t)(end - start) + 4;
        /* request line: METHOD SP TARGET SP VERSION CRLF */
        const char *eol = memchr(start, '\r', head_len);
        const char *sp1 = memchr(start, ' ', (size_t)(eol - start));
        const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
        if (!sp1 || !sp2) { c->closing = 1; respond(c, "400 Bad Request", "text/plain", ""); break; }
        /* headers: Content-Length, Transfer-Encoding, Connection */
        size_t body_len = 0;
        int chunked = 0, close_after = (size_t)(eol - sp2 - 1) == 8 && memcmp(sp2 + 1, "HTTP/1.0", 8) == 0;
        for (const char *line = eol + 2; line < end; ) {
            const char *le = memchr(line, '\r', (size_t)(end + 2 - line));
            size_t ll = (size_t)(le - line);
            if (ll > 15 && strncasecmp(line, "content-length:", 15) == 0) body_len = strtoul(line + 15, NULL, 10);
            else if (ll > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) chunked = 1;
            else if (ll > 11 && strncasecmp(line, "connection:", 11) == 0) {
                const char *v = line + 11;
                while (*v == ' ') v++;
                if (strncasecmp(v, "close", 5) == 0) close_after = 1;
                else if (strncasecmp(v, "keep-alive", 10) == 0) close_after = 0;
            }
            line = le + 2;
        }
        if (chunked) { c->closing = 1; respond(c, "501 Not Implemented", "text/plain", ""); break; }
        if (avail < head_len + body_len) break; /* body not all here yet */
        if (close_after) c->closing = 1;
        /* the path ends at the query string */
        const char *path = sp1 + 1;
        size_t plen = (size_t)(sp2 - path);
        const char *q = memchr(path, '?', plen);
        if (q) plen = (size_t)(q - path);
        handle(c, start, (size_t)(sp1 - start), path, plen);
        off += head_len + body_len;
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    conn_t *c = (conn_t *)h;
    if (c->in_cap - c->in_len < READ_CHUNK) {
        c->in_cap = c->in_len + READ_CHUNK;
        c->in = realloc(c->in, c->in_cap);
    }
    *buf = uv_buf_init(c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    conn_t *c = (conn_t *)s;
    if (nread < 0) { conn_close(c); return; }
    if (c->closing) return; /* ignore input after a request that closes */
    c->in_len += (size_t)nread;
    parse(c);
    flush(c);
    if (c->closing) uv_read_stop(s);
}

static void on_connection(uv_stream_t *server, int status) {
    if (status < 0) return;
    conn_t *c = calloc(1, sizeof *c);
    uv_tcp_init(uv_default_loop(), &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) { conn_close(c); return; }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void update_date(uv_timer_t *t) {
    (void)t;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date_header, sizeof date_header, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 8080;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--host") == 0) host = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--workdir") == 0) snprintf(workdir, sizeof workdir, "%s", argv[i + 1]);
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();

    uv_timer_t date_timer;
    update_date(NULL);
    uv_timer_init(loop, &date_timer);
    uv_timer_start(&date_timer, update_date, 1000, 1000);

    uv_tcp_t server;
    struct sockaddr_in addr;
    uv_tcp_init(loop, &server);
    uv_ip4_addr(host, port, &addr);
    int r = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (r == 0) r = uv_listen((uv_stream_t *)&server, 4096, on_connection);
    if (r != 0) {
        fprintf(stderr, "listen on %s:%d: %s\n", host, port, uv_strerror(r));
        return 1;
    }
    return uv_run(loop, UV_RUN_DEFAULT);
}
