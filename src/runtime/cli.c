/* Option parsing, error reporting and logging shared by every verb. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/util.h"
#include "sandbox/container.h"

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len)
{
    for (; opts->name != NULL; opts++)
        if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
    for (; opts->name != NULL; opts++)
        if (opts->short_name != 0 && opts->short_name == c)
            return opts;
    return NULL;
}

static int parse_bool(const char *v, bool *ret)
{
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *ret = true;
    else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *ret = false;
    else
        return -1;
    return 0;
}

/* Store `value` for `o`; `shown` is how the user spelled the flag. */
static int apply_opt(struct cli_global *g, const struct cli_opt *o, const char *shown,
                     const char *value)
{
    uint64_t n;

    switch (o->type) {
    case CLI_BOOL:
        if (value == NULL)
            *(bool *)o->target = true;
        else if (parse_bool(value, (bool *)o->target) < 0)
            return cli_fail(g, "flag `%s`: invalid boolean `%s`", shown, value);
        break;
    case CLI_STRING:
        *(const char **)o->target = value;
        break;
    case CLI_STRV:
        brig_strv_append((char ***)o->target, value);
        break;
    case CLI_INT:
        if (brig_parse_u64(value, &n) < 0 || n > INT32_MAX)
            return cli_fail(g, "flag `%s`: invalid number `%s`", shown, value);
        *(int *)o->target = (int)n;
        break;
    case CLI_IGNORE:
        break;
    }
    if (o->seen != NULL)
        *o->seen = true;
    return 0;
}

static bool opt_takes_value(const struct cli_opt *o)
{
    return o->type != CLI_BOOL;
}

int cli_parse_opts(struct cli_global *g, const char *verb, const char *usage,
                   const struct cli_opt *opts, int argc, char **argv, int start)
{
    int i = start;

    while (i < argc) {
        const char *arg = argv[i], *body, *eq, *value = NULL;
        const struct cli_opt *o = NULL;
        _cleanup_free_ char *shown = NULL;
        bool dashdash;
        size_t namelen;

        if (strcmp(arg, "--") == 0)
            return i + 1;
        if (arg[0] != '-' || arg[1] == '\0')
            return i;
        dashdash = arg[1] == '-';
        body = arg + (dashdash ? 2 : 1);
        eq = strchr(body, '=');
        namelen = eq ? (size_t)(eq - body) : strlen(body);
        shown = brig_xasprintf("%s%.*s", dashdash ? "--" : "-", (int)namelen, body);

        if ((namelen == 4 && strncmp(body, "help", 4) == 0) ||
            (!dashdash && namelen == 1 && body[0] == 'h')) {
            printf("%s", usage);
            return CLI_HELP;
        }
        /* As runc's flag library: "-x" is the short form, and long names
         * work with one dash or two ("-root" == "--root"). */
        if (!dashdash && namelen == 1)
            o = find_short(opts, body[0]);
        else
            o = find_long(opts, body, namelen);
        if (o == NULL && !dashdash && eq == NULL && namelen > 1) {
            /* "-dt": a bundle of short boolean flags. */
            bool all = true;
            for (size_t k = 0; k < namelen && all; k++) {
                const struct cli_opt *s = find_short(opts, body[k]);
                all = s != NULL && s->type == CLI_BOOL;
            }
            if (all) {
                for (size_t k = 0; k < namelen; k++)
                    apply_opt(g, find_short(opts, body[k]), shown, NULL);
                i++;
                continue;
            }
        }
        if (o == NULL) {
            cli_fail(g, "unknown flag `%s`", shown);
            return -1;
        }
        i++;
        if (eq != NULL) {
            value = eq + 1;
        } else if (opt_takes_value(o)) {
            if (i >= argc) {
                cli_fail(g, "flag `%s` needs a value", shown);
                return -1;
            }
            value = argv[i++];
        }
        if (apply_opt(g, o, shown, value) != 0)
            return -1;
    }
    return i;
}

const char *cli_require_id(struct cli_global *g, const char *verb, int argc, char **argv, int idx,
                           bool exact)
{
    if (idx < 0 || idx >= argc || argv[idx][0] == '\0') {
        cli_fail(g, "`%s` requires a container id", verb);
        return NULL;
    }
    if (exact && idx + 1 < argc) {
        cli_fail(g, "`%s` takes one container id, got extra argument `%s`", verb, argv[idx + 1]);
        return NULL;
    }
    return argv[idx];
}

void cli_log_write(struct cli_global *g, const char *level, const char *msg)
{
    _cleanup_free_ char *ts = NULL;

    if (g == NULL || g->log == NULL)
        return;
    ts = brig_now_rfc3339();
    if (g->log_format != NULL && strcmp(g->log_format, "json") == 0) {
        /* containerd and CRI-O read this file after a failure to find the
         * error: one JSON object per line, logrus's field names. */
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "level", json_object_new_string(level));
        json_object_object_add(o, "msg", json_object_new_string(msg));
        json_object_object_add(o, "time", json_object_new_string(ts));
        fprintf(g->log, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        fprintf(g->log, "time=\"%s\" level=%s msg=\"", ts, level);
        for (const char *p = msg; *p; p++) {
            if (*p == '"' || *p == '\\')
                fprintf(g->log, "\\%c", *p);
            else if (*p == '\n')
                fputs("\\n", g->log);
            else
                fputc(*p, g->log);
        }
        fputs("\"\n", g->log);
    }
    fflush(g->log);
}

static int cli_failv(struct cli_global *g, const char *fmt, va_list ap)
{
    _cleanup_free_ char *msg = NULL;

    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    fprintf(stderr, "%s: %s\n", CLI_NAME, msg ? msg : "out of memory");
    cli_log_write(g, "error", msg ? msg : "out of memory");
    return 1;
}

int cli_fail(struct cli_global *g, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = cli_failv(g, fmt, ap);
    va_end(ap);
    return r;
}

int cli_fail_error(struct cli_global *g, brig_error *err)
{
    int r = cli_fail(g, "%s", (err && *err && (*err)->msg) ? (*err)->msg : "unknown error");
    brig_error_free(err);
    return r;
}

void cli_log_cb(int level, const char *msg, void *data)
{
    struct cli_global *g = data;

    switch (level) {
    case BRIG_LOG_ERROR:
        fprintf(stderr, "%s: %s\n", CLI_NAME, msg);
        cli_log_write(g, "error", msg);
        break;
    case BRIG_LOG_WARNING:
        fprintf(stderr, "%s: warning: %s\n", CLI_NAME, msg);
        cli_log_write(g, "warning", msg);
        break;
    default:
        if (g == NULL || !g->debug)
            break;
        if (g->log != NULL)
            cli_log_write(g, level == BRIG_LOG_INFO ? "info" : "debug", msg);
        else
            fprintf(stderr, "%s: %s: %s\n", CLI_NAME, level == BRIG_LOG_INFO ? "info" : "debug",
                    msg);
        break;
    }
}

int cli_print_json(struct cli_global *g, const char *json)
{
    struct json_object *o = json_tokener_parse(json);

    if (o == NULL) {
        /* Still show what the library produced rather than nothing. */
        fputs(json, stdout);
        if (*json && json[strlen(json) - 1] != '\n')
            fputc('\n', stdout);
        return 0;
    }
    printf("%s\n",
           json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return fflush(stdout) == 0 ? 0 : cli_fail(g, "write output: %s", strerror(errno));
}

int cli_parse_bytes(const char *s, int64_t *ret)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {
        {"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
        {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40},
        {"tb", 40}, {"tib", 40}, {"p", 50}, {"pb", 50}, {"pib", 50},
    };
    char *end = NULL;
    unsigned long long v;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    /* -1 is the spec's "unlimited"; no other negative makes sense. */
    if (strcmp(s, "-1") == 0) {
        *ret = -1;
        return 0;
    }
    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    for (size_t i = 0; i < BRIG_ARRAY_SIZE(units); i++) {
        if (strcasecmp(end, units[i].suffix) != 0)
            continue;
        if (units[i].shift > 0 && v > ((unsigned long long)INT64_MAX >> units[i].shift))
            return -ERANGE;
        v <<= units[i].shift;
        if (v > INT64_MAX)
            return -ERANGE;
        *ret = (int64_t)v;
        return 0;
    }
    return -EINVAL;
}
