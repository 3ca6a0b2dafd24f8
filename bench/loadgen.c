// loadgen: an HTTP/1.1 keep-alive load generator for bench/run.
//
// N threads, each with one keep-alive connection (TCP or Unix socket), send a templated request, read
// the answer (Content-Length or chunked), and record each request's latency in ns. Prints one line of
// JSON: requests, duration, req/s, p50/p90/p99/max latency, non-2xx count, status counts.
//
//   loadgen (--unix PATH | --tcp HOST:PORT) [-c CONNS] [-d SECS] [-w WARMUP_SECS] [-n TOTAL]
//           [-r RATE] [-m METHOD] [-p PATH] [-b BODY] [-H "Name: value"]... [--range N] [--seq-base N]
//
// -r RATE paces the connections to RATE requests/s in total (each connection RATE/CONNS, staggered);
// latency is then measured from the scheduled send time, so a server that falls behind is charged for
// the queueing it causes (no coordinated omission).
//
// Templates in PATH and BODY: {seq} a number unique within the run (from --seq-base), {ts} the send
// time (CLOCK_REALTIME, ns), {rand} a uniform integer 1..--range, {word} one word and {words} four
// words of a fixed 2,000-word vocabulary (the same one sqlite_ceiling uses), {tid} the thread index.
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vocab.h"

static const char *unix_path, *tcp_host, *tcp_port;
static int conns = 16;
static double duration = 5, warmup = 0, rate = 0;
static int duration_set;
static long total = -1, range = 1000, seq_base = 0;
static const char *method = "GET", *path_t = "/", *body_t = NULL;
static char extra_headers[4096];

static atomic_long tickets;
static atomic_int stop_flag, finished;
static uint64_t t_start, t_measure, t_end;

static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
static uint64_t mono(void) { return now_ns(CLOCK_MONOTONIC); }

typedef struct {
    int id;
    uint64_t *lat;
    size_t n, cap;
    long status[600];
    long errors, reconnects;
    uint64_t rng;
} worker;

static uint64_t xrand(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int dial(void) {
    int fd;
    if (unix_path) {
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strncpy(a.sun_path, unix_path, sizeof a.sun_path - 1);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
        return fd;
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(tcp_host, tcp_port, &hints, &res) != 0) return -1;
    fd = socket(res->ai_family, res->ai_socktype, 0);
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) { close(fd); freeaddrinfo(res); return -1; }
    freeaddrinfo(res);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Expands a template into out; returns the length.
static size_t expand(const char *t, char *out, size_t cap, worker *w, long seq) {
    size_t o = 0;
    char tmp[128];
    while (*t && o + 128 < cap) {
        if (*t == '{') {
            const char *e = strchr(t, '}');
            if (e) {
                size_t k = e - t - 1;
                const char *v = NULL;
                if (k == 3 && !strncmp(t + 1, "seq", 3)) { snprintf(tmp, sizeof tmp, "%ld", seq); v = tmp; }
                else if (k == 2 && !strncmp(t + 1, "ts", 2)) { snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)now_ns(CLOCK_REALTIME)); v = tmp; }
                else if (k == 4 && !strncmp(t + 1, "rand", 4)) { snprintf(tmp, sizeof tmp, "%ld", 1 + (long)(xrand(&w->rng) % range)); v = tmp; }
                else if (k == 3 && !strncmp(t + 1, "tid", 3)) { snprintf(tmp, sizeof tmp, "%d", w->id); v = tmp; }
                else if (k == 4 && !strncmp(t + 1, "word", 4)) { vocab_word(xrand(&w->rng) % VOCAB_SIZE, tmp); v = tmp; }
                else if (k == 5 && !strncmp(t + 1, "words", 5)) { vocab_words(&w->rng, tmp); v = tmp; }
                if (v) {
                    size_t l = strlen(v);
                    memcpy(out + o, v, l);
                    o += l;
                    t = e + 1;
                    continue;
                }
            }
        }
        out[o++] = *t++;
    }
    out[o] = 0;
    return o;
}

static int write_all(int fd, const char *b, size_t n) {
    while (n) {
        ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
        if (k < 0) { if (errno == EINTR) continue; return -1; }
        b += k; n -= k;
    }
    return 0;
}

// Reads one HTTP/1.1 response; returns its status, or -1 when the connection failed.
static int read_response(int fd, char *buf, size_t cap) {
    size_t have = 0;
    char *hend = NULL;
    for (;;) {
        ssize_t k = recv(fd, buf + have, cap - have - 1, 0);
        if (k <= 0) { if (k < 0 && errno == EINTR) continue; return -1; }
        have += k;
        buf[have] = 0;
        if ((hend = strstr(buf, "\r\n\r\n"))) break;
        if (have >= cap - 1) return -1;
    }
    int status = atoi(buf + 9);
    size_t hlen = hend + 4 - buf;
    long clen = -1;
    int chunked = 0;
    for (char *p = buf; p < hend; ) {
        char *eol = strstr(p, "\r\n");
        if (!strncasecmp(p, "content-length:", 15)) clen = atol(p + 15);
        else if (!strncasecmp(p, "transfer-encoding:", 18) && strcasestr(p, "chunked") && strcasestr(p, "chunked") < eol) chunked = 1;
        p = eol + 2;
    }
    size_t body = have - hlen;
    if (clen >= 0) {
        while ((long)body < clen) {
            ssize_t k = recv(fd, buf, cap, 0);
            if (k <= 0) return -1;
            body += k;
        }
        return status;
    }
    if (chunked) {
        // A small reader over buf: the body bytes already read start at hlen.
        size_t pos = hlen;
        for (;;) {
            char *eol;
            for (;;) {
                buf[have] = 0;
                if ((eol = strstr(buf + pos, "\r\n"))) break;
                memmove(buf, buf + pos, have - pos); have -= pos; pos = 0;
                ssize_t k = recv(fd, buf + have, cap - have - 1, 0);
                if (k <= 0) return -1;
                have += k;
            }
            long sz = strtol(buf + pos, NULL, 16);
            pos = eol + 2 - buf;
            size_t need = (size_t)sz + 2;  // the data and its CRLF (after the last chunk: the final CRLF)
            while (have - pos < need) {
                need -= have - pos;
                pos = have = 0;
                ssize_t k = recv(fd, buf, cap - 1, 0);
                if (k <= 0) return -1;
                have = k;
            }
            pos += need;
            if (sz == 0) return status;
        }
    }
    return status;  // no body framing: assume none (204/304)
}

static void *run(void *arg) {
    worker *w = arg;
    static __thread char req[65536], body[32768], path[8192], rbuf[1 << 20];
    int fd = dial();
    double per = rate > 0 ? rate / conns : 0;
    uint64_t interval = per > 0 ? (uint64_t)(1e9 / per) : 0;
    uint64_t next = t_start + (interval ? (uint64_t)w->id * interval / conns : 0);
    while (!atomic_load(&stop_flag)) {
        long ticket = atomic_fetch_add(&tickets, 1);
        if (total >= 0 && ticket >= total) break;
        uint64_t sched;
        if (interval) {
            uint64_t n = mono();
            while (n < next) {
                uint64_t d = next - n;
                struct timespec ts = {d / 1000000000ull, d % 1000000000ull};
                nanosleep(&ts, NULL);
                n = mono();
            }
            sched = next;
            next += interval;
        }
        expand(path_t, path, sizeof path, w, seq_base + ticket);
        size_t blen = body_t ? expand(body_t, body, sizeof body, w, seq_base + ticket) : 0;
        int hl = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: bench\r\nUser-Agent: kata-bench\r\n%s", method, path, extra_headers);
        if (body_t) hl += snprintf(req + hl, sizeof req - hl, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
        hl += snprintf(req + hl, sizeof req - hl, "\r\n");
        if (body_t) { memcpy(req + hl, body, blen); hl += blen; }
        uint64_t t0 = mono();
        if (!interval) sched = t0;
        int status = -1;
        for (int attempt = 0; attempt < 2 && status < 0; attempt++) {
            if (fd < 0) { fd = dial(); w->reconnects++; if (fd < 0) { usleep(10000); continue; } }
            if (write_all(fd, req, hl) == 0) status = read_response(fd, rbuf, sizeof rbuf);
            if (status < 0) { close(fd); fd = -1; }
        }
        uint64_t t1 = mono();
        if (t1 > t_end) break;
        if (t0 < t_measure) continue;
        if (status < 0) { w->errors++; continue; }
        if (status >= 100 && status < 600) w->status[status]++;
        if (w->n == w->cap) { w->cap = w->cap ? w->cap * 2 : 65536; w->lat = realloc(w->lat, w->cap * sizeof *w->lat); }
        w->lat[w->n++] = t1 - sched;
    }
    if (fd >= 0) close(fd);
    atomic_fetch_add(&finished, 1);
    return NULL;
}

static int cmp64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    size_t eh = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--unix")) unix_path = v;
        else if (!strcmp(a, "--tcp")) { char *c = strdup(v); char *p = strrchr(c, ':'); *p = 0; tcp_host = c; tcp_port = p + 1; }
        else if (!strcmp(a, "-c")) conns = atoi(v);
        else if (!strcmp(a, "-d")) { duration = atof(v); duration_set = 1; }
        else if (!strcmp(a, "-w")) warmup = atof(v);
        else if (!strcmp(a, "-n")) total = atol(v);
        else if (!strcmp(a, "-r")) rate = atof(v);
        else if (!strcmp(a, "-m")) method = v;
        else if (!strcmp(a, "-p")) path_t = v;
        else if (!strcmp(a, "-b")) body_t = v;
        else if (!strcmp(a, "-H")) eh += snprintf(extra_headers + eh, sizeof extra_headers - eh, "%s\r\n", v);
        else if (!strcmp(a, "--range")) range = atol(v);
        else if (!strcmp(a, "--seq-base")) seq_base = atol(v);
        else { fprintf(stderr, "loadgen: unknown argument %s\n", a); return 2; }
        i++;
    }
    if (!unix_path && !tcp_host) { fprintf(stderr, "loadgen: --unix PATH or --tcp HOST:PORT\n"); return 2; }
    worker *ws = calloc(conns, sizeof *ws);
    pthread_t *th = calloc(conns, sizeof *th);
    t_start = mono();
    t_measure = t_start + (uint64_t)(warmup * 1e9);
    t_end = total >= 0 && !duration_set ? UINT64_MAX : t_measure + (uint64_t)(duration * 1e9);
    for (int i = 0; i < conns; i++) {
        ws[i].id = i;
        ws[i].rng = 0x9E3779B97F4A7C15ull * (i + 1) ^ now_ns(CLOCK_REALTIME);
        pthread_create(&th[i], NULL, run, &ws[i]);
    }
    while (atomic_load(&finished) < conns && mono() < t_end) usleep(20000);
    atomic_store(&stop_flag, 1);
    for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
    uint64_t fin = mono();
    double secs = ((fin < t_end ? fin : t_end) - t_measure) / 1e9;
    size_t n = 0;
    long errors = 0, non2xx = 0, reconnects = 0, status[600] = {0};
    for (int i = 0; i < conns; i++) {
        n += ws[i].n; errors += ws[i].errors; reconnects += ws[i].reconnects;
        for (int s = 0; s < 600; s++) status[s] += ws[i].status[s];
    }
    uint64_t *all = malloc((n + 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < conns; i++) { memcpy(all + k, ws[i].lat, ws[i].n * sizeof *all); k += ws[i].n; }
    qsort(all, n, sizeof *all, cmp64);
#define PCT(p) (n ? all[(size_t)((n - 1) * (p))] / 1e6 : 0)
    for (int s = 0; s < 600; s++) if (status[s] && (s < 200 || s > 299)) non2xx += status[s];
    printf("{\"requests\":%zu,\"duration_s\":%.3f,\"rps\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"non2xx\":%ld,\"errors\":%ld,\"reconnects\":%ld,\"connections\":%d,\"target_rate\":%.1f,\"status\":{",
           n, secs, n / secs, PCT(0.5), PCT(0.9), PCT(0.99), n ? all[n - 1] / 1e6 : 0, non2xx, errors, reconnects, conns, rate);
    int first = 1;
    for (int s = 0; s < 600; s++) if (status[s]) { printf("%s\"%d\":%ld", first ? "" : ",", s, status[s]); first = 0; }
    printf("}}\n");
    return 0;
}
