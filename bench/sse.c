// sse: N subscribers of katad's event stream, read with epoll on one thread.
//
//   sse (--unix PATH | --tcp HOST:PORT) [-c SUBSCRIBERS] [-d SECONDS] [--ready-file PATH] [-H "Name: value"]...
//
// Opens SUBSCRIBERS connections, sends GET /api/v1/events/stream (Accept: text/event-stream) on each,
// touches --ready-file once every one has its ": connected" comment, then reads for SECONDS. Each
// `data:` line holding "ssemark <ns>" (the writer puts its send time, CLOCK_REALTIME, in the issue
// title) gives one lag sample: receive time - send time. Prints one line of JSON: subscribers, frames,
// first/last frame times, delivered frames/s, lag p50/p99/max, and the fewest/most frames one
// subscriber got.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *unix_path, *tcp_host, *tcp_port;

static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
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
    return fd;
}

typedef struct {
    int fd, connected, closed;
    long frames;
    size_t have;
    char buf[8192];
} sub;

static uint32_t *lags;
static size_t nlags, caplags;
static long frames;
static uint64_t first_frame, last_frame;

// Handles complete lines in s->buf.
static void lines(sub *s) {
    char *p = s->buf, *end = s->buf + s->have;
    for (;;) {
        char *nl = memchr(p, '\n', end - p);
        if (!nl) break;
        if (nl - p > 6 && !memcmp(p, "data: ", 6)) {
            uint64_t t = now_ns(CLOCK_REALTIME);
            frames++;
            s->frames++;
            if (!first_frame) first_frame = t;
            last_frame = t;
            char *m = memmem(p, nl - p, "ssemark ", 8);
            if (m) {
                uint64_t sent = strtoull(m + 8, NULL, 10);
                uint64_t lag = t > sent ? (t - sent) / 1000 : 0;
                if (nlags == caplags) { caplags = caplags ? caplags * 2 : 1 << 20; lags = realloc(lags, caplags * sizeof *lags); }
                lags[nlags++] = lag > UINT32_MAX ? UINT32_MAX : (uint32_t)lag;
            }
        } else if (nl - p >= 11 && !memcmp(p, ": connected", 11)) {
            s->connected = 1;
        }
        p = nl + 1;
    }
    s->have = end - p;
    memmove(s->buf, p, s->have);
    if (s->have == sizeof s->buf) s->have = 0;  // a line longer than the buffer: drop it
}

static int cmp32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int n = 1000;
    double secs = 10;
    const char *ready = NULL;
    char headers[2048] = "";
    size_t hl = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--unix")) unix_path = v;
        else if (!strcmp(a, "--tcp")) { char *c = strdup(v); char *q = strrchr(c, ':'); *q = 0; tcp_host = c; tcp_port = q + 1; }
        else if (!strcmp(a, "-c")) n = atoi(v);
        else if (!strcmp(a, "-d")) secs = atof(v);
        else if (!strcmp(a, "--ready-file")) ready = v;
        else if (!strcmp(a, "-H")) hl += snprintf(headers + hl, sizeof headers - hl, "%s\r\n", v);
        else { fprintf(stderr, "sse: unknown argument %s\n", a); return 2; }
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)n + 64) { rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64; setrlimit(RLIMIT_NOFILE, &rl); }
    int ep = epoll_create1(0);
    sub *subs = calloc(n, sizeof *subs);
    char req[4096];
    int rl2 = snprintf(req, sizeof req, "GET /api/v1/events/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n%s\r\n", headers);
    int opened = 0;
    for (int i = 0; i < n; i++) {
        int fd = dial();
        if (fd < 0) { fprintf(stderr, "sse: connect %d failed: %s\n", i, strerror(errno)); break; }
        if (write(fd, req, rl2) != rl2) { close(fd); break; }
        fcntl(fd, F_SETFL, O_NONBLOCK);
        subs[i].fd = fd;
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        opened++;
    }
    struct epoll_event evs[256];
    char rbuf[65536];
    int connected = 0, is_ready = 0, closed = 0;
    uint64_t deadline = now_ns(CLOCK_MONOTONIC) + 30000000000ull;  // 30 s to connect them all
    for (;;) {
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        if (now >= deadline) {
            if (!is_ready) { fprintf(stderr, "sse: only %d of %d subscribers connected\n", connected, opened); is_ready = 1; deadline = now + (uint64_t)(secs * 1e9); frames = 0; nlags = 0; first_frame = last_frame = 0; continue; }
            break;
        }
        int k = epoll_wait(ep, evs, 256, (int)((deadline - now) / 1000000) + 1);
        for (int j = 0; j < k; j++) {
            sub *s = &subs[evs[j].data.u32];
            for (;;) {
                ssize_t r = read(s->fd, rbuf, sizeof rbuf);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) {
                    if (r == 0 || errno != EAGAIN) { epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL); close(s->fd); s->closed = 1; closed++; }
                    break;
                }
                // Feed the bytes through the line buffer.
                size_t off = 0;
                while (off < (size_t)r) {
                    size_t room = sizeof s->buf - s->have, take = (size_t)r - off < room ? (size_t)r - off : room;
                    memcpy(s->buf + s->have, rbuf + off, take);
                    s->have += take;
                    off += take;
                    int was = s->connected;
                    lines(s);
                    if (!was && s->connected) connected++;
                }
            }
        }
        if (!is_ready && connected == opened) {
            is_ready = 1;
            if (ready) { FILE *f = fopen(ready, "w"); if (f) { fprintf(f, "%d\n", connected); fclose(f); } }
            deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)(secs * 1e9);
            frames = 0; nlags = 0; first_frame = last_frame = 0;
            for (int i = 0; i < n; i++) subs[i].frames = 0;
        }
    }
    qsort(lags, nlags, sizeof *lags, cmp32);
    long minf = -1, maxf = 0;
    for (int i = 0; i < opened; i++) {
        if (minf < 0 || subs[i].frames < minf) minf = subs[i].frames;
        if (subs[i].frames > maxf) maxf = subs[i].frames;
    }
    double span = last_frame > first_frame ? (last_frame - first_frame) / 1e9 : 0;
#define PCT(p) (nlags ? lags[(size_t)((nlags - 1) * (p))] / 1e3 : 0)
    printf("{\"subscribers\":%d,\"connected\":%d,\"closed\":%d,\"frames\":%ld,\"lag_samples\":%zu,\"span_s\":%.3f,"
           "\"frames_per_s\":%.1f,\"lag_p50_ms\":%.3f,\"lag_p99_ms\":%.3f,\"lag_max_ms\":%.3f,\"min_frames_per_sub\":%ld,"
           "\"max_frames_per_sub\":%ld}\n",
           opened, connected, closed, frames, nlags, span, span > 0 ? frames / span : 0, PCT(0.5), PCT(0.99),
           nlags ? lags[nlags - 1] / 1e3 : 0, minf < 0 ? 0 : minf, maxf);
    return 0;
}
