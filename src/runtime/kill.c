/* brig-runtime kill [--all] <container-id> [signal] */
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "sandbox/container.h"

static const char usage[] = "Usage: brig-runtime kill [options] <container-id> [signal]\n\n"
                            "Send a signal (default SIGTERM) to the container's init process.\n"
                            "The signal is a number or a name, with or without SIG, in any case\n"
                            "(9, KILL, SIGKILL, kill, RTMIN+3).\n\n"
                            "Options:\n"
                            "   --all, -a   send the signal to every process in the container\n";

/* "9", "KILL", "SIGKILL", "kill", "SIGRTMIN+3" -> signal number; -1 if
 * unknown.  Names come from the C library, so every signal it knows works. */
static int parse_signal(const char *s)
{
    _cleanup_free_ char *up = NULL;
    const char *name;
    uint64_t n;

    if (brig_parse_u64(s, &n) == 0)
        return n <= (uint64_t)SIGRTMAX ? (int)n : -1;
    up = brig_xstrdup(s);
    for (char *p = up; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    name = brig_str_has_prefix(up, "SIG") ? up + 3 : up;
    if (brig_str_has_prefix(name, "RTMIN") || brig_str_has_prefix(name, "RTMAX")) {
        bool min = name[3] == 'I';
        int64_t off = 0;
        const char *rest = name + 5;
        if (*rest != '\0') {
            if ((*rest != '+' && *rest != '-') || brig_parse_i64(rest + 1, &off) < 0)
                return -1;
            if (*rest == '-')
                off = -off;
        }
        off += min ? SIGRTMIN : SIGRTMAX;
        return off >= SIGRTMIN && off <= SIGRTMAX ? (int)off : -1;
    }
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev != NULL && strcmp(abbrev, name) == 0)
            return sig;
    }
    return -1;
}

int cmd_kill(struct cli_global *g, int argc, char **argv)
{
    bool all = false;
    const struct cli_opt opts[] = {
        {"all", 'a', CLI_BOOL, &all, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    brig_error err = NULL;
    const char *id;
    int idx, sig = SIGTERM;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    id = cli_require_id(g, argv[0], argc, argv, idx, false);
    if (id == NULL)
        return 1;
    if (idx + 2 < argc)
        return cli_fail(g, "`kill` takes a container id and a signal, got extra argument `%s`",
                        argv[idx + 2]);
    if (idx + 1 < argc) {
        sig = parse_signal(argv[idx + 1]);
        if (sig < 0)
            return cli_fail(g, "unknown signal `%s`", argv[idx + 1]);
    }
    if (brig_container_kill(g->root, id, sig, all, &err) < 0)
        return cli_fail_error(g, &err);
    return 0;
}
