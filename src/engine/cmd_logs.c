/* brig logs [-f] [--tail N|all] [--since T] [--until T] [-t] CONTAINER
 *
 * The container's json-file log (logfile.h), stdout entries to our stdout
 * and stderr entries to our stderr, as docker prints them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "engine.h"
#include "logfile.h"

static const char logs_usage[] =
    "Usage:  brig logs [OPTIONS] CONTAINER\n"
    "\n"
    "Fetch the logs of a container\n"
    "\n"
    "Options:\n"
    "  -f, --follow         Follow log output\n"
    "      --since string   Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or\n"
    "                       relative (e.g. \"42m\" for 42 minutes)\n"
    "  -n, --tail string    Number of lines to show from the end of the logs (default \"all\")\n"
    "  -t, --timestamps     Show timestamps\n"
    "      --until string   Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or\n"
    "                       relative (e.g. \"42m\" for 42 minutes)\n";

struct running_ctx {
    struct engine *e;
    const char *id;
};

static bool logs_running(void *data)
{
    struct running_ctx *c = data;
    return engine_ctr_is_running(c->e, c->id);
}

int cmd_logs(struct engine *e, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"follow", no_argument, NULL, 'f'},      {"tail", required_argument, NULL, 'n'},
        {"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
        {"timestamps", no_argument, NULL, 't'},  {"details", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    struct log_read_opts o = {.tail = -1};
    _cleanup_free_ char *id = NULL, *dir = NULL;
    brig_error err = NULL;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":fn:th", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o.follow = true;
            break;
        case 't':
            o.timestamps = true;
            break;
        case 'D':
            break; /* docker's --details: no log attributes in brig's logs */
        case 'n': {
            int64_t n;
            if (strcmp(optarg, "all") == 0)
                o.tail = -1;
            else if (brig_parse_i64(optarg, &n) == 0 && n >= 0)
                o.tail = (long)n;
            else
                return engine_fail("brig logs: --tail: `%s` is not a number of lines", optarg);
            break;
        }
        case 's':
            if (engine_parse_time(optarg, &o.since) < 0)
                return engine_fail("brig logs: --since: `%s` is not a time", optarg);
            break;
        case 'u':
            if (engine_parse_time(optarg, &o.until) < 0)
                return engine_fail("brig logs: --until: `%s` is not a time", optarg);
            break;
        case 'h':
            fputs(logs_usage, stdout);
            return 0;
        case ':':
            return engine_fail("brig logs: flag needs an argument: %s", argv[optind - 1]);
        default:
            if (optopt)
                return engine_fail("brig logs: unknown shorthand flag: '%c'", optopt);
            return engine_fail("brig logs: unknown flag: %s", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        fputs(logs_usage, stderr);
        return engine_fail("brig logs: requires exactly 1 argument");
    }
    if (engine_ctr_lookup(e, argv[optind], &id, &err) < 0)
        return engine_fail_error(&err);
    dir = engine_ctr_dir(e, id);
    struct running_ctx rc = {.e = e, .id = id};
    o.running = logs_running;
    o.running_data = &rc;
    fflush(stdout);
    if (logfile_read(dir, &o, STDOUT_FILENO, STDERR_FILENO, &err) < 0)
        return engine_fail_error(&err);
    return 0;
}
