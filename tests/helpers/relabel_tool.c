/* relabel_tool: drive brig_relabel() from the command line (bench/relabel.sh).
 *
 *   relabel_tool [-t THREADS] [-f] [-p] CONTEXT PATH
 *
 * Prints "visited=N changed=N seconds=S" on success; -p also prints each
 * progress report to stderr.  Not part of brig. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "selinux/relabel.h"

static void on_progress(const struct brig_relabel_progress *p, void *data)
{
    (void)data;
    fprintf(stderr, "progress: visited=%llu changed=%llu\n", (unsigned long long)p->visited,
            (unsigned long long)p->changed);
}

int main(int argc, char **argv)
{
    struct brig_relabel_opts opts = {0};
    struct brig_relabel_progress stats;
    brig_error err = NULL;
    struct timespec t0, t1;
    int c;

    while ((c = getopt(argc, argv, "t:fp")) != -1) {
        switch (c) {
        case 't':
            opts.threads = atoi(optarg);
            break;
        case 'f':
            opts.force = true;
            break;
        case 'p':
            opts.progress = on_progress;
            break;
        default:
            fprintf(stderr, "usage: relabel_tool [-t THREADS] [-f] [-p] CONTEXT PATH\n");
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: relabel_tool [-t THREADS] [-f] [-p] CONTEXT PATH\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (brig_relabel(argv[optind + 1], argv[optind], &opts, &stats, &err) < 0) {
        fprintf(stderr, "relabel_tool: %s\n", err->msg);
        brig_error_free(&err);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("visited=%llu changed=%llu seconds=%.3f\n", (unsigned long long)stats.visited,
           (unsigned long long)stats.changed,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
