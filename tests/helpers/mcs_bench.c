/* MCS allocator benchmark (not a test): allocate+release cycles on a root
 * that already holds many live reservations, as on a busy host.
 * Usage: mcs_bench [LIVE [CYCLES [DIR]]]   (defaults 10000, 1000, /tmp) */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "selinux/mcs.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    long live = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    long cycles = argc > 2 ? strtol(argv[2], NULL, 10) : 1000;
    const char *base = argc > 3 ? argv[3] : "/tmp";
    char path[4096];
    double sum = 0, max = 0;
    brig_error err = NULL;
    size_t n = 0;
    int rootfd, rc = 1;

    if (live < 0 || live > 500000 || cycles <= 0) {
        fprintf(stderr, "usage: mcs_bench [LIVE (0..500000) [CYCLES [DIR]]]\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/brig-mcs-bench-XXXXXX", base);
    if (mkdtemp(path) == NULL) {
        fprintf(stderr, "mcs_bench: mkdtemp `%s`: %s\n", path, strerror(errno));
        return 1;
    }
    rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        fprintf(stderr, "mcs_bench: open `%s`: %s\n", path, strerror(errno));
        goto out;
    }
    for (long i = 0; i < live; i++) {
        char owner[32], *level = NULL;
        snprintf(owner, sizeof(owner), "live%ld", i);
        if (brig_mcs_allocate(rootfd, owner, &level, &err) < 0)
            goto fail;
        free(level);
    }
    for (long i = 0; i < cycles; i++) {
        char *level = NULL;
        double t0 = now_us(), dt;
        if (brig_mcs_allocate(rootfd, "bench", &level, &err) < 0)
            goto fail;
        dt = now_us() - t0;
        sum += dt;
        if (dt > max)
            max = dt;
        if (brig_mcs_release(rootfd, "bench", level, &err) < 0)
            goto fail;
        free(level);
    }
    if (brig_mcs_count(rootfd, &n, &err) < 0)
        goto fail;
    printf("mcs: %zu live reservations, allocate mean %.1f us, max %.1f us\n", n,
           sum / (double)cycles, max);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "mcs_bench: %s\n", err->msg);
    brig_error_free(&err);
out:
    if (rootfd >= 0)
        close(rootfd);
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
