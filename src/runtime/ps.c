/* brig-runtime ps [--format table|json] <container-id> [ps options]
 *
 * json prints the container's pids.  table runs the host's ps(1) (default
 * "-ef") and keeps the header plus the lines whose PID column is one of
 * the container's processes, as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "core/util.h"
#include "sandbox/container.h"

static const char usage[] =
    "Usage: brig-runtime ps [options] <container-id> [ps options]\n\n"
    "Display the processes running inside a container.\n\n"
    "Options:\n"
    "   --format, -f table|json   output format (default: table); table runs\n"
    "                             ps(1) with [ps options] (default: -ef)\n";

#define PS_OUTPUT_MAX (64u << 20)

/* Run ps with `args` and collect its stdout.  No shell is involved. */
static int run_ps(struct cli_global *g, char **args, char **ret_out)
{
    _cleanup_strv_ char **argv = NULL;
    _cleanup_free_ char *out = NULL;
    int fds[2], status;
    size_t len = 0, cap = 0;
    pid_t pid;

    brig_strv_append(&argv, "ps");
    if (args[0] == NULL)
        brig_strv_append(&argv, "-ef");
    for (char **a = args; *a; a++)
        brig_strv_append(&argv, *a);
    if (pipe2(fds, O_CLOEXEC) < 0)
        return cli_fail(g, "run ps: pipe: %m");
    pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        return cli_fail(g, "run ps: fork: %s", strerror(saved));
    }
    if (pid == 0) {
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execvp("ps", argv);
        _exit(127);
    }
    close(fds[1]);
    for (;;) {
        ssize_t r;
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            out = brig_xrealloc(out, cap + 1);
        }
        r = read(fds[0], out + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len > PS_OUTPUT_MAX)
            break;
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return cli_fail(g, "run ps: exited with status %d",
                        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    out[len] = '\0';
    *ret_out = TAKE_PTR(out);
    return 0;
}

/* Index of the whitespace-separated field named PID in the header. */
static int pid_column(const char *header)
{
    _cleanup_free_ char *h = brig_xstrdup(header);
    char *save = NULL;
    int i = 0;

    for (char *t = strtok_r(h, " \t", &save); t; t = strtok_r(NULL, " \t", &save), i++)
        if (strcmp(t, "PID") == 0)
            return i;
    return -1;
}

static bool line_has_pid(const char *line, int col, const pid_t *pids, size_t n)
{
    _cleanup_free_ char *l = brig_xstrdup(line);
    char *save = NULL, *t;
    int i = 0;
    int64_t v;

    for (t = strtok_r(l, " \t", &save); t && i < col; t = strtok_r(NULL, " \t", &save))
        i++;
    if (t == NULL || brig_parse_i64(t, &v) < 0)
        return false;
    for (size_t k = 0; k < n; k++)
        if (pids[k] == v)
            return true;
    return false;
}

int cmd_ps(struct cli_global *g, int argc, char **argv)
{
    const char *format = "table";
    const struct cli_opt opts[] = {
        {"format", 'f', CLI_STRING, &format, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    _cleanup_free_ pid_t *pids = NULL;
    _cleanup_free_ char *out = NULL;
    brig_error err = NULL;
    const char *id;
    char *line, *next;
    size_t n = 0;
    int idx, col;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return cli_fail(g, "invalid format `%s` (want table or json)", format);
    id = cli_require_id(g, argv[0], argc, argv, idx, false);
    if (id == NULL)
        return 1;
    if (brig_container_ps(g->root, id, &pids, &n, &err) < 0)
        return cli_fail_error(g, &err);

    if (strcmp(format, "json") == 0) {
        fputc('[', stdout);
        for (size_t i = 0; i < n; i++)
            printf("%s%d", i ? "," : "", (int)pids[i]);
        fputs("]\n", stdout);
        return 0;
    }
    if (run_ps(g, argv + idx + 1, &out) != 0)
        return 1;
    next = strchr(out, '\n');
    if (next != NULL)
        *next++ = '\0';
    col = pid_column(out);
    if (col < 0)
        return cli_fail(g, "ps output has no PID column");
    printf("%s\n", out);
    for (line = next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (line_has_pid(line, col, pids, n))
            printf("%s\n", line);
    }
    return 0;
}
