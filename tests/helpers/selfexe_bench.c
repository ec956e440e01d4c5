/* What brig_selfexe_ensure_cloned() costs one process (not a test): the
 * CPU (user+sys, CLOCK_PROCESS_CPUTIME_ID) and wall time of moving onto the
 * read-only clone, as bench/exec.sh reports it.  Prints "CPU_US WALL_US".
 * A process can move once: run it once per sample.
 * Usage: selfexe_bench */
#include <stdio.h>
#include <time.h>

#include "sandbox/selfexe.h"

static double usec(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    _cleanup_error_ brig_error err = NULL;
    double c0 = usec(CLOCK_PROCESS_CPUTIME_ID), w0 = usec(CLOCK_MONOTONIC), c1, w1;

    if (brig_selfexe_ensure_cloned(argv, &err) < 0) {
        fprintf(stderr, "selfexe_bench: %s\n", err->msg);
        return 1;
    }
    c1 = usec(CLOCK_PROCESS_CPUTIME_ID);
    w1 = usec(CLOCK_MONOTONIC);
    printf("%.1f %.1f\n", c1 - c0, w1 - w0);
    return 0;
}
