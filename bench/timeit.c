// timeit: whole-process timing of commands run in turn (paired run by run), for `kata create`/`kata list`
// against curl on the same socket. Used because hyperfine is not on the machine.
//
//   timeit [-n RUNS] [-w WARMUPS] -- CMD_A ARGS... [::: CMD_B ARGS...]...
//
// Each round runs A, then B, ... once (stdout and stderr to /dev/null); WARMUPS rounds are not counted.
// "{i}" in an argument becomes a number unique to the run (so each create has its own title). Prints one
// line of JSON: for each command the median, p90, min and max wall time in ms and the failures (non-zero
// exits).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int runs = 30, warm = 3, i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i += 2) {
        if (!strcmp(argv[i], "-n")) runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-w")) warm = atoi(argv[i + 1]);
    }
    i++;
    char **cmds[16];
    int ncmd = 0;
    cmds[ncmd++] = &argv[i];
    for (int j = i; j < argc; j++)
        if (!strcmp(argv[j], ":::")) { argv[j] = NULL; cmds[ncmd++] = &argv[j + 1]; }
    double *t[16];
    int fails[16] = {0};
    for (int c = 0; c < ncmd; c++) t[c] = calloc(runs, sizeof(double));
    int devnull = open("/dev/null", O_WRONLY);
    long serial = 0;
    for (int r = 0; r < warm + runs; r++) {
        for (int c = 0; c < ncmd; c++) {
            char *args[256];
            char bufs[256][512];
            int k = 0;
            serial++;
            for (char **a = cmds[c]; *a && k < 255; a++, k++) {
                char *p = strstr(*a, "{i}");
                if (p) {
                    snprintf(bufs[k], sizeof bufs[k], "%.*s%ld-%d%s", (int)(p - *a), *a, serial, getpid(), p + 3);
                    args[k] = bufs[k];
                } else args[k] = *a;
            }
            args[k] = NULL;
            uint64_t t0 = mono();
            pid_t pid = fork();
            if (pid == 0) {
                dup2(devnull, 1);
                dup2(devnull, 2);
                execvp(args[0], args);
                _exit(127);
            }
            int st;
            waitpid(pid, &st, 0);
            double ms = (mono() - t0) / 1e6;
            if (r >= warm) {
                t[c][r - warm] = ms;
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fails[c]++;
            }
        }
    }
    printf("{\"runs\":%d,\"warmups\":%d,\"cmds\":[", runs, warm);
    for (int c = 0; c < ncmd; c++) {
        qsort(t[c], runs, sizeof(double), cmpd);
        double med = runs % 2 ? t[c][runs / 2] : (t[c][runs / 2 - 1] + t[c][runs / 2]) / 2;
        printf("%s{\"cmd\":\"%s\",\"median_ms\":%.3f,\"p90_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f,\"failures\":%d}",
               c ? "," : "", cmds[c][0], med, t[c][(int)((runs - 1) * 0.9)], t[c][0], t[c][runs - 1], fails[c]);
    }
    printf("]}\n");
    return 0;
}
