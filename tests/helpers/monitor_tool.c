/* monitor_tool: drive the engine's monitor (src/engine/monitor.h) and log
 * reader without the rest of the engine, for tests/engine/monitor.bats and
 * for measuring the monitor's own start cost beside brig-runtime.
 *
 *   monitor_tool start [-d] [-t] [-i] [--max-size N] [--max-files N]
 *                RUN_ROOT ID BUNDLE CTR_DIR
 *       start the container through a monitor; attached (no -d) exits with
 *       the container's exit code.  The cleanup callback writes
 *       CTR_DIR/cleanup.code.  Errors: "monitor_tool: MSG", exit 125.
 *   monitor_tool exit CTR_DIR        print "CODE FINISHED_AT OOM" (exit 1: none)
 *   monitor_tool pid CTR_DIR         print the live monitor's pid, or 0
 *   monitor_tool wait CTR_DIR [MS]   until the monitor is done (exit 1: timeout)
 *   monitor_tool logs [-f] [-t] [--tail N] [--since UNIX] [--until UNIX] CTR_DIR */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "logfile.h"
#include "monitor.h"

static void cleanup_cb(void *data, int code)
{
    const char *dir = data;
    _cleanup_free_ char *path = brig_xasprintf("%s/cleanup.code", dir);
    _cleanup_free_ char *txt = brig_xasprintf("%d\n", code);
    _cleanup_error_ brig_error err = NULL;
    brig_write_file_atomic_at(AT_FDCWD, path, txt, strlen(txt), 0644, &err);
}

static int die(brig_error err)
{
    fprintf(stderr, "monitor_tool: %s\n", err->msg);
    brig_error_free(&err);
    return 125;
}

static int cmd_start(int argc, char **argv)
{
    struct monitor_opts o = {.attach = true, .log_max_size = 10 << 20, .log_max_files = 3};
    static const struct option longopts[] = {{"max-size", required_argument, NULL, 'S'},
                                             {"max-files", required_argument, NULL, 'F'},
                                             {NULL, 0, NULL, 0}};
    brig_error err = NULL;
    uint64_t v;
    int c, code = 0;

    while ((c = getopt_long(argc, argv, "+dti", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.attach = false;
            break;
        case 't':
            o.tty = true;
            break;
        case 'i':
            o.open_stdin = true;
            break;
        case 'S':
            if (brig_parse_u64(optarg, &v) < 0)
                return fprintf(stderr, "monitor_tool: bad --max-size\n"), 2;
            o.log_max_size = v;
            break;
        case 'F':
            if (brig_parse_u64(optarg, &v) < 0 || v == 0 || v > 100)
                return fprintf(stderr, "monitor_tool: bad --max-files\n"), 2;
            o.log_max_files = (unsigned)v;
            break;
        default:
            return 2;
        }
    }
    if (argc - optind != 4)
        return fprintf(stderr, "usage: monitor_tool start [-dti] RUN_ROOT ID BUNDLE CTR_DIR\n"), 2;
    o.run_root = argv[optind];
    o.id = argv[optind + 1];
    o.bundle = argv[optind + 2];
    o.ctr_dir = argv[optind + 3];
    o.cleanup = cleanup_cb;
    o.cleanup_data = (void *)o.ctr_dir;
    if (monitor_start(&o, &code, &err) < 0)
        return die(err);
    return code;
}

static bool still_running(void *data)
{
    return monitor_pid(data) != 0;
}

static int cmd_logs(int argc, char **argv)
{
    struct log_read_opts o = {.tail = -1};
    static const struct option longopts[] = {{"tail", required_argument, NULL, 'n'},
                                             {"since", required_argument, NULL, 's'},
                                             {"until", required_argument, NULL, 'u'},
                                             {NULL, 0, NULL, 0}};
    brig_error err = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+ft", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.follow = true;
            break;
        case 't':
            o.timestamps = true;
            break;
        case 'n':
            o.tail = strcmp(optarg, "all") == 0 ? -1 : atol(optarg);
            break;
        case 's':
            o.since = atof(optarg);
            break;
        case 'u':
            o.until = atof(optarg);
            break;
        default:
            return 2;
        }
    }
    if (argc - optind != 1)
        return fprintf(stderr, "usage: monitor_tool logs [-f] [-t] [--tail N] CTR_DIR\n"), 2;
    o.running = still_running;
    o.running_data = argv[optind];
    if (logfile_read(argv[optind], &o, 1, 2, &err) < 0)
        return die(err);
    return 0;
}

int main(int argc, char **argv)
{
    brig_error err = NULL;
    if (argc < 3)
        return fprintf(stderr, "usage: monitor_tool start|exit|pid|wait|logs ...\n"), 2;
    const char *cmd = argv[1];
    if (strcmp(cmd, "start") == 0)
        return cmd_start(argc - 1, argv + 1);
    if (strcmp(cmd, "logs") == 0)
        return cmd_logs(argc - 1, argv + 1);
    if (strcmp(cmd, "exit") == 0) {
        struct monitor_exit x;
        int r = monitor_read_exit(argv[2], &x, &err);
        if (r < 0)
            return die(err);
        if (r == 1)
            return 1;
        printf("%d %s %s\n", x.exit_code, x.finished_at ? x.finished_at : "-",
               x.oom_killed ? "true" : "false");
        monitor_exit_clear(&x);
        return 0;
    }
    if (strcmp(cmd, "pid") == 0) {
        printf("%d\n", (int)monitor_pid(argv[2]));
        return 0;
    }
    if (strcmp(cmd, "wait") == 0)
        return monitor_wait_done(argv[2], argc > 3 ? atoi(argv[3]) : -1);
    if (strcmp(cmd, "clear") == 0) {
        monitor_clear_exit(argv[2]);
        return 0;
    }
    fprintf(stderr, "monitor_tool: unknown command `%s`\n", cmd);
    return 2;
}
