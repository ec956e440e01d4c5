/* brig-runtime update [options] <container-id>: change the cgroup limits of
 * a live container, from a LinuxResources JSON (-r FILE, "-" = stdin)
 * and/or flags; flags win over the file. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/util.h"
#include "sandbox/container.h"
#include "spec/spec.h"

static const char usage[] = "Usage: brig-runtime update [options] <container-id>\n\n"
                            "Update container resource constraints.  Byte values take k, m, g\n"
                            "suffixes (binary units); -1 means unlimited.\n\n"
                            "Options:\n"
                            "   --resources, -r FILE      LinuxResources JSON as in config.json's\n"
                            "                             linux.resources (\"-\" reads stdin)\n"
                            "   --blkio-weight N          relative block IO weight (10-1000)\n"
                            "   --cpu-period N            CPU CFS period (microseconds)\n"
                            "   --cpu-quota N             CPU CFS quota (microseconds, -1 = none)\n"
                            "   --cpu-share N             CPU shares (relative weight)\n"
                            "   --cpu-idle N              cgroup v2 cpu.idle (0 or 1)\n"
                            "   --cpuset-cpus LIST        CPUs allowed (0-3, 0,1)\n"
                            "   --cpuset-mems LIST        memory nodes allowed (0-3, 0,1)\n"
                            "   --memory BYTES            memory limit\n"
                            "   --memory-reservation BYTES  memory soft limit\n"
                            "   --memory-swap BYTES       memory plus swap limit\n"
                            "   --pids-limit N            maximum number of pids (-1 = none)\n";

#define RESOURCES_MAX (4u << 20)

static void resources_clear(struct brig_spec_resources *r)
{
    free(r->cpu_cpus);
    free(r->cpu_mems);
    free(r->devices);
    for (size_t i = 0; i < r->n_unified; i++) {
        free(r->unified[i].key);
        free(r->unified[i].value);
    }
    free(r->unified);
    memset(r, 0, sizeof(*r));
}

static int read_stdin(char **ret, size_t *ret_len)
{
    size_t len = 0, cap = 4096;
    char *buf = brig_xmalloc0(cap + 1);

    for (;;) {
        ssize_t r;
        if (len == cap) {
            if (cap >= RESOURCES_MAX) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            cap *= 2;
            buf = brig_xrealloc(buf, cap + 1);
        }
        r = read(STDIN_FILENO, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    *ret = buf;
    *ret_len = len;
    return 0;
}

/* spec.h has no parser for a bare LinuxResources object, but the config
 * parser validates exactly that object under linux.resources.  So the
 * file is wrapped in the smallest valid config and parsed there: the
 * same field names, the same validation and the same errors as
 * config.json, with no second parser to drift apart.  The wrapper is
 * built with json-c around the parsed object (not by pasting text), so
 * the file cannot inject anything outside linux.resources. */
static int resources_from_file(struct cli_global *g, const char *path,
                               struct brig_spec_resources *ret)
{
    _cleanup_free_ char *buf = NULL;
    _cleanup_spec_ struct brig_spec *spec = NULL;
    struct json_object *res, *cfg, *root, *process, *args, *linux_obj;
    struct json_tokener *tok;
    brig_error err = NULL;
    size_t len = 0;
    const char *doc;

    if (strcmp(path, "-") == 0) {
        if (read_stdin(&buf, &len) < 0)
            return cli_fail(g, "read resources from stdin: %m");
    } else if (brig_read_file_at(AT_FDCWD, path, RESOURCES_MAX, &buf, &len, &err) < 0) {
        brig_error_wrap(&err, "read resources");
        return cli_fail_error(g, &err);
    }
    tok = json_tokener_new();
    res = json_tokener_parse_ex(tok, buf, (int)len);
    if (res == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        enum json_tokener_error e = json_tokener_get_error(tok);
        json_object_put(res);
        json_tokener_free(tok);
        /* An empty or cut-off file leaves the tokener waiting for more. */
        return cli_fail(g, "resources `%s`: invalid JSON: %s", path,
                        e == json_tokener_continue ? "unexpected end of input"
                                                   : json_tokener_error_desc(e));
    }
    json_tokener_free(tok);
    if (!json_object_is_type(res, json_type_object)) {
        json_object_put(res);
        return cli_fail(g, "resources `%s`: must be a JSON object", path);
    }
    cfg = json_object_new_object();
    json_object_object_add(cfg, "ociVersion", json_object_new_string("1.1.0"));
    root = json_object_new_object();
    json_object_object_add(root, "path", json_object_new_string("x"));
    json_object_object_add(cfg, "root", root);
    process = json_object_new_object();
    args = json_object_new_array();
    json_object_array_add(args, json_object_new_string("x"));
    json_object_object_add(process, "args", args);
    json_object_object_add(process, "cwd", json_object_new_string("/"));
    json_object_object_add(cfg, "process", process);
    linux_obj = json_object_new_object();
    json_object_object_add(linux_obj, "resources", res);
    json_object_object_add(cfg, "linux", linux_obj);
    doc = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_PLAIN);
    spec = brig_spec_load_data(doc, strlen(doc), &err);
    json_object_put(cfg);
    if (spec == NULL) {
        brig_error_wrap(&err, "resources `%s`", path);
        return cli_fail_error(g, &err);
    }
    /* Take the parsed resources over; the spec no longer owns them. */
    *ret = spec->linux_.resources;
    memset(&spec->linux_.resources, 0, sizeof(spec->linux_.resources));
    spec->linux_.has_resources = false;
    return 0;
}

struct update_flags {
    const char *blkio_weight, *cpu_period, *cpu_quota, *cpu_share, *cpu_idle, *cpuset_cpus,
        *cpuset_mems, *memory, *memory_reservation, *memory_swap, *pids_limit, *cpu_rt_period,
        *cpu_rt_runtime, *kernel_memory, *kernel_memory_tcp, *l3_cache_schema, *mem_bw_schema;
};

static int flag_u64(struct cli_global *g, const char *name, const char *v, uint64_t *ret)
{
    if (brig_parse_u64(v, ret) < 0)
        return cli_fail(g, "--%s `%s`: not a non-negative number", name, v);
    return 0;
}

static int flag_i64(struct cli_global *g, const char *name, const char *v, int64_t *ret)
{
    if (brig_parse_i64(v, ret) < 0)
        return cli_fail(g, "--%s `%s`: not a number", name, v);
    return 0;
}

static int flag_bytes(struct cli_global *g, const char *name, const char *v, int64_t *ret)
{
    if (cli_parse_bytes(v, ret) < 0)
        return cli_fail(g, "--%s `%s`: not a byte count (like 1048576, 512k, 64m, 1g or -1)", name,
                        v);
    return 0;
}

static int apply_flags(struct cli_global *g, const struct update_flags *f,
                       struct brig_spec_resources *r)
{
    uint64_t u;

    if (f->cpu_rt_period || f->cpu_rt_runtime)
        return cli_fail(g, "--cpu-rt-period and --cpu-rt-runtime are not supported");
    if (f->l3_cache_schema || f->mem_bw_schema)
        return cli_fail(g, "Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported");
    if (f->kernel_memory || f->kernel_memory_tcp)
        brig_log(BRIG_LOG_WARNING, "kernel memory limits are deprecated in the kernel; ignored");
    if (f->blkio_weight) {
        if (flag_u64(g, "blkio-weight", f->blkio_weight, &u) != 0)
            return 1;
        if (u > 1000)
            return cli_fail(g, "--blkio-weight `%s`: must be at most 1000", f->blkio_weight);
        r->has_blkio_weight = true;
        r->blkio_weight = (uint16_t)u;
    }
    if (f->cpu_period) {
        if (flag_u64(g, "cpu-period", f->cpu_period, &r->cpu_period) != 0)
            return 1;
        r->has_cpu_period = true;
    }
    if (f->cpu_quota) {
        if (flag_i64(g, "cpu-quota", f->cpu_quota, &r->cpu_quota) != 0)
            return 1;
        r->has_cpu_quota = true;
    }
    if (f->cpu_share) {
        if (flag_u64(g, "cpu-share", f->cpu_share, &r->cpu_shares) != 0)
            return 1;
        r->has_cpu_shares = true;
    }
    if (f->cpu_idle) {
        if (flag_i64(g, "cpu-idle", f->cpu_idle, &r->cpu_idle) != 0)
            return 1;
        r->has_cpu_idle = true;
    }
    if (f->cpuset_cpus) {
        free(r->cpu_cpus);
        r->cpu_cpus = brig_xstrdup(f->cpuset_cpus);
    }
    if (f->cpuset_mems) {
        free(r->cpu_mems);
        r->cpu_mems = brig_xstrdup(f->cpuset_mems);
    }
    if (f->memory) {
        if (flag_bytes(g, "memory", f->memory, &r->memory_limit) != 0)
            return 1;
        r->has_memory_limit = true;
    }
    if (f->memory_reservation) {
        if (flag_bytes(g, "memory-reservation", f->memory_reservation, &r->memory_reservation) != 0)
            return 1;
        r->has_memory_reservation = true;
    }
    if (f->memory_swap) {
        if (flag_bytes(g, "memory-swap", f->memory_swap, &r->memory_swap) != 0)
            return 1;
        r->has_memory_swap = true;
    }
    if (f->pids_limit) {
        if (flag_i64(g, "pids-limit", f->pids_limit, &r->pids_limit) != 0)
            return 1;
        r->has_pids_limit = true;
    }
    return 0;
}

int cmd_update(struct cli_global *g, int argc, char **argv)
{
    struct update_flags f = {0};
    const char *resources = NULL;
    const struct cli_opt opts[] = {
        {"resources", 'r', CLI_STRING, &resources, NULL},
        {"blkio-weight", 0, CLI_STRING, &f.blkio_weight, NULL},
        {"cpu-period", 0, CLI_STRING, &f.cpu_period, NULL},
        {"cpu-quota", 0, CLI_STRING, &f.cpu_quota, NULL},
        {"cpu-share", 0, CLI_STRING, &f.cpu_share, NULL},
        {"cpu-idle", 0, CLI_STRING, &f.cpu_idle, NULL},
        {"cpu-rt-period", 0, CLI_STRING, &f.cpu_rt_period, NULL},
        {"cpu-rt-runtime", 0, CLI_STRING, &f.cpu_rt_runtime, NULL},
        {"cpuset-cpus", 0, CLI_STRING, &f.cpuset_cpus, NULL},
        {"cpuset-mems", 0, CLI_STRING, &f.cpuset_mems, NULL},
        {"memory", 0, CLI_STRING, &f.memory, NULL},
        {"memory-reservation", 0, CLI_STRING, &f.memory_reservation, NULL},
        {"memory-swap", 0, CLI_STRING, &f.memory_swap, NULL},
        {"pids-limit", 0, CLI_STRING, &f.pids_limit, NULL},
        {"kernel-memory", 0, CLI_STRING, &f.kernel_memory, NULL},
        {"kernel-memory-tcp", 0, CLI_STRING, &f.kernel_memory_tcp, NULL},
        {"l3-cache-schema", 0, CLI_STRING, &f.l3_cache_schema, NULL},
        {"mem-bw-schema", 0, CLI_STRING, &f.mem_bw_schema, NULL},
        {NULL, 0, 0, NULL, NULL},
    };
    struct brig_spec_resources res = {0};
    brig_error err = NULL;
    const char *id;
    int idx, r;

    idx = cli_parse_opts(g, argv[0], usage, opts, argc, argv, 1);
    if (idx < 0)
        return idx == CLI_HELP ? 0 : 1;
    id = cli_require_id(g, argv[0], argc, argv, idx, true);
    if (id == NULL)
        return 1;
    if (resources != NULL && resources_from_file(g, resources, &res) != 0)
        return 1;
    r = apply_flags(g, &f, &res);
    if (r == 0 && brig_container_update(g->root, id, &res, &err) < 0)
        r = cli_fail_error(g, &err);
    resources_clear(&res);
    return r;
}
