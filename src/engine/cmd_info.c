/* brig info: the effective settings (brig.conf + BRIG_* over the defaults)
 * and the host's state, in docker info's shape: "Key: value" lines, nested
 * ones indented by one space; --format json gives one object with docker's
 * field names where docker has one (ServerVersion, Driver, CgroupVersion,
 * SecurityOptions, KernelVersion, ...) and brig's own for the rest.
 *
 * Everything here is read-only and best effort about the host: a fact that
 * cannot be read is shown as "unknown", never a failure, so `brig info`
 * works on a broken host, which is when people run it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "core/util.h"
#include "ctr.h"
#include "engine.h"
#include "image/image.h"
#include "selinux/context.h"
#include "selinux/mcs.h"
#include "selinux_tools.h"

/* Everything `brig info` shows, gathered first and printed second, so the
 * text and JSON forms cannot disagree. */
struct host_info {
    struct utsname uts;
    char *os_name;       /* PRETTY_NAME from /etc/os-release */
    const char *selinux; /* "disabled", "permissive", "enforcing" */
    char *policy;        /* selinux_getpolicytype(), NULL when disabled */
    char *process_label; /* the effective container process/file labels */
    char *file_label;
    const char *label_source;
    const char *cgroup; /* "v1", "v2", "hybrid", "unknown" */
    bool overlay;       /* overlayfs in /proc/filesystems */
    bool seccomp;       /* the kernel has seccomp filters */
    long ncpu;
    uint64_t mem_total;
    bool have_mcs;
    size_t mcs_in_use;
    /* -1 when the store could not be read (shown as "unknown") */
    long containers, running, paused, stopped, images;
};

static void host_info_clear(struct host_info *h)
{
    free(h->os_name);
    free(h->policy);
    free(h->process_label);
    free(h->file_label);
}

static char *os_pretty_name(void)
{
    _cleanup_free_ char *buf = NULL;
    _cleanup_error_ brig_error ignored = NULL;
    size_t len;
    char *p, *end;

    if (brig_read_file_at(AT_FDCWD, "/etc/os-release", 1 << 16, &buf, &len, &ignored) < 0 &&
        brig_read_file_at(AT_FDCWD, "/usr/lib/os-release", 1 << 16, &buf, &len, &ignored) < 0)
        return NULL;
    p = strstr(buf, "PRETTY_NAME=");
    if (p == NULL || (p != buf && p[-1] != '\n'))
        return NULL;
    p += strlen("PRETTY_NAME=");
    end = strchrnul(p, '\n');
    if (*p == '"' || *p == '\'') {
        p++;
        if (end > p && (end[-1] == '"' || end[-1] == '\''))
            end--;
    }
    return brig_xasprintf("%.*s", (int)(end - p), p);
}

static bool overlay_listed(void)
{
    _cleanup_free_ char *buf = NULL;
    _cleanup_error_ brig_error ignored = NULL;
    size_t len;

    if (brig_read_file_at(AT_FDCWD, "/proc/filesystems", 1 << 16, &buf, &len, &ignored) < 0)
        return false;
    return strstr(buf, "\toverlay\n") != NULL;
}

/* PR_GET_SECCOMP fails with EINVAL on a kernel built without seccomp; the
 * "Seccomp_filters" line is absent there too. */
static bool seccomp_supported(void)
{
    return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
}

static void selinux_state(const struct engine *e, struct host_info *h)
{
    struct brig_label_defaults d = {0};
    _cleanup_error_ brig_error ignored = NULL;
    char *type = NULL;

    if (is_selinux_enabled() <= 0) {
        h->selinux = "disabled";
        return;
    }
    h->selinux = security_getenforce() == 1 ? "enforcing" : "permissive";
    if (selinux_getpolicytype(&type) == 0) {
        h->policy = brig_xstrdup(type);
        free(type);
    }
    if (brig_label_defaults_load(&d, &ignored) == 0) {
        h->process_label = brig_xstrdup(d.process);
        h->file_label = brig_xstrdup(d.file);
        h->label_source = strcmp(d.source, "lxc_contexts") == 0 ? "lxc_contexts" : "brig";
        brig_label_defaults_clear(&d);
    }
    (void)e;
}

/* The counts are the store's: each container's live state is computed (as
 * `brig ps -a` does), so this is O(containers) and reads no more than ps. */
static void count_containers(struct engine *e, struct host_info *h)
{
    _cleanup_strv_ char **ids = NULL;
    _cleanup_error_ brig_error ignored = NULL;

    h->containers = h->running = h->paused = h->stopped = -1;
    if (ctr_list(e, &ids, &ignored) < 0)
        return;
    h->containers = h->running = h->paused = h->stopped = 0;
    for (size_t i = 0; ids != NULL && ids[i] != NULL; i++) {
        _cleanup_ctr_ struct ctr *c = NULL;
        struct ctr_state st = {0};
        _cleanup_error_ brig_error err = NULL;

        if (ctr_open(e, ids[i], &c, &err) < 0 || ctr_state_get(e, c, &st, &err) < 0)
            continue; /* removed meanwhile, or half made: not a container yet */
        h->containers++;
        if (strcmp(st.status, "running") == 0 || strcmp(st.status, "restarting") == 0)
            h->running++;
        else if (strcmp(st.status, "paused") == 0)
            h->paused++;
        else
            h->stopped++;
        ctr_state_clear(&st);
    }
}

static void count_images(struct engine *e, struct host_info *h)
{
    struct brig_image_store *s;
    struct brig_image **v = NULL;
    size_t n = 0;
    _cleanup_error_ brig_error ignored = NULL;

    h->images = -1;
    if (engine_images(e, &s, &ignored) < 0 || brig_image_list(s, &v, &n, &ignored) < 0)
        return;
    h->images = (long)n;
    brig_image_list_free(v, n);
}

static void host_info_gather(struct engine *e, struct host_info *h)
{
    enum brig_cgroup_mode mode;
    _cleanup_error_ brig_error ignored = NULL;
    struct sysinfo si;

    if (uname(&h->uts) < 0)
        memset(&h->uts, 0, sizeof(h->uts));
    h->os_name = os_pretty_name();
    selinux_state(e, h);
    h->cgroup =
        brig_cgroup_detect_mode(&mode, &ignored) == 0 ? brig_cgroup_mode_name(mode) : "unknown";
    h->overlay = overlay_listed();
    h->seccomp = seccomp_supported();
    h->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    h->mem_total = sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
    h->have_mcs = brig_mcs_count(e->run_fd, &h->mcs_in_use, &ignored) == 0;
    count_containers(e, h);
    count_images(e, h);
}

/* ---- what the settings mean --------------------------------------------- */

/* The effective storage driver: overlay falls back to copies without
 * overlayfs (storage.c does the same at container creation). */
static const char *effective_driver(const struct engine *e, const struct host_info *h)
{
    if (strcmp(e->conf.storage_driver, "overlay") == 0 && !h->overlay)
        return "vfs";
    return e->conf.storage_driver;
}

static const char *seccomp_profile_name(const struct engine *e)
{
    return e->conf.seccomp_profile != NULL ? e->conf.seccomp_profile : "builtin";
}

static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
    "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
    "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", NULL,
};

static const char *const *effective_caps(const struct engine *e)
{
    return e->conf.default_caps != NULL ? (const char *const *)e->conf.default_caps : default_caps;
}

/* The container label brig would start from, with brig.conf's type
 * overrides applied to the policy's defaults. */
static char *with_type(const char *context, const char *type)
{
    _cleanup_free_ char *copy = NULL;
    char *parts[4] = {0}, *save = NULL;
    size_t n = 0;

    if (context == NULL)
        return NULL;
    if (type == NULL)
        return brig_xstrdup(context);
    copy = brig_xstrdup(context);
    for (char *t = strtok_r(copy, ":", &save); t != NULL && n < 3; t = strtok_r(NULL, ":", &save))
        parts[n++] = t;
    if (n < 3)
        return brig_xstrdup(context);
    /* user:role:type:level... where the level may itself contain ':' */
    return brig_xasprintf("%s:%s:%s%s%s", parts[0], parts[1], type, save && *save ? ":" : "",
                          save ? save : "");
}

/* brig.conf's sizes are binary ("10m" is 10 MiB): show them the same way. */
static char *binary_size(uint64_t n)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    const char *unit = NULL;

    for (size_t i = 0; i < BRIG_ARRAY_SIZE(units) && n >= 1024 && n % 1024 == 0; i++) {
        n /= 1024;
        unit = units[i];
    }
    return unit ? brig_xasprintf("%" PRIu64 "%s", n, unit) : brig_xasprintf("%" PRIu64 "B", n);
}

/* ---- text ----------------------------------------------------------------- */

static void print_count(const char *indent, const char *key, long n)
{
    if (n < 0)
        printf("%s%s: unknown\n", indent, key);
    else
        printf("%s%s: %ld\n", indent, key, n);
}

static void print_text(struct engine *e, const struct host_info *h)
{
    const struct engine_conf *c = &e->conf;
    _cleanup_free_ char *log_size = binary_size(c->log_max_size);
    _cleanup_free_ char *mem = engine_human_size(h->mem_total);
    _cleanup_free_ char *plabel = with_type(h->process_label, c->label_process_type);
    _cleanup_free_ char *flabel = with_type(h->file_label, c->label_file_type);
    const char *const *caps = effective_caps(e);

    printf("Server Version: %s\n", BRIG_VERSION);
    printf("Config File: %s\n", c->conf_path ? c->conf_path : "none (built-in defaults)");
    print_count("", "Containers", h->containers);
    print_count(" ", "Running", h->running);
    print_count(" ", "Paused", h->paused);
    print_count(" ", "Stopped", h->stopped);
    print_count("", "Images", h->images);
    printf("Storage Driver: %s\n", effective_driver(e, h));
    if (strcmp(c->storage_driver, effective_driver(e, h)) != 0)
        printf(" Configured: %s (overlayfs is not available on this kernel)\n", c->storage_driver);
    printf(" Overlay Supported: %s\n", h->overlay ? "true" : "false");
    printf("Storage Root: %s\n", c->storage_root);
    printf("Run Root: %s\n", c->run_root);
    printf("Logging Driver: json-file\n");
    printf(" Max Size: %s\n", log_size);
    printf(" Max Files: %u\n", c->log_max_files);
    printf("Cgroup Driver: cgroupfs\n");
    printf("Cgroup Version: %s\n", strcmp(h->cgroup, "v2") == 0   ? "2"
                                   : strcmp(h->cgroup, "unknown") ? "1"
                                                                  : "unknown");
    printf(" Layout: %s\n", h->cgroup);
    printf("Security Options:\n");
    printf(" seccomp\n");
    printf("  Kernel Support: %s\n", h->seccomp ? "true" : "false");
    printf("  Profile: %s\n", seccomp_profile_name(e));
    printf(" selinux\n");
    printf("  Mode: %s\n", h->selinux);
    if (h->policy != NULL)
        printf("  Policy: %s\n", h->policy);
    if (strcmp(h->selinux, "disabled") == 0)
        printf("  Labeling: %s\n",
               c->label ? "on by default, inactive (SELinux is disabled)" : "off (label = false)");
    else
        printf("  Labeling: %s\n", c->label ? "on (SVirt)" : "off (label = false)");
    if (plabel != NULL)
        printf("  Process Label: %s\n", plabel);
    else if (c->label_process_type != NULL)
        printf("  Process Type: %s\n", c->label_process_type);
    if (flabel != NULL)
        printf("  File Label: %s\n", flabel);
    else if (c->label_file_type != NULL)
        printf("  File Type: %s\n", c->label_file_type);
    if (h->label_source != NULL)
        printf("  Label Defaults: %s\n", h->label_source);
    if (h->have_mcs)
        printf("  MCS Pairs In Use: %zu of %u\n", h->mcs_in_use,
               BRIG_MCS_CATEGORIES * (BRIG_MCS_CATEGORIES - 1) / 2);
    if (strcmp(h->selinux, "disabled") != 0) {
        /* the whole of `brig selinux status`: types, booleans, warnings */
        brig_error serr = NULL;
        fflush(stdout);
        if (selinux_status_print(e, stdout, &serr) < 0)
            brig_error_free(&serr);
    }
    printf("Default Capabilities:");
    if (caps[0] == NULL)
        printf(" none");
    for (size_t i = 0; caps[i] != NULL; i++)
        printf("%s%s", i ? ", " : " ", caps[i]);
    printf("\n");
    printf("Default Ulimits:");
    if (c->default_ulimits == NULL || c->default_ulimits[0] == NULL)
        printf(" none (inherited from brig)");
    for (size_t i = 0; c->default_ulimits != NULL && c->default_ulimits[i] != NULL; i++)
        printf("%s%s", i ? ", " : " ", c->default_ulimits[i]);
    printf("\n");
    printf("Kernel Version: %s\n", h->uts.release[0] ? h->uts.release : "unknown");
    printf("Operating System: %s\n", h->os_name ? h->os_name : "unknown");
    printf("OSType: linux\n");
    printf("Architecture: %s\n", h->uts.machine[0] ? h->uts.machine : "unknown");
    printf("CPUs: %ld\n", h->ncpu);
    printf("Total Memory: %s\n", mem);
    printf("Name: %s\n", h->uts.nodename);
}

/* ---- JSON ----------------------------------------------------------------- */

static json_object *strv_json(const char *const *v)
{
    json_object *a = json_object_new_array();

    for (; v != NULL && *v != NULL; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

static json_object *count_json(long n)
{
    return n < 0 ? NULL : json_object_new_int64(n);
}

static json_object *opt_string(const char *s)
{
    return s != NULL ? json_object_new_string(s) : NULL;
}

static void print_json(struct engine *e, const struct host_info *h)
{
    const struct engine_conf *c = &e->conf;
    json_object *o = json_object_new_object(), *conf = json_object_new_object();
    json_object *sel = json_object_new_object(), *secopts = json_object_new_array();
    _cleanup_free_ char *plabel = with_type(h->process_label, c->label_process_type);
    _cleanup_free_ char *flabel = with_type(h->file_label, c->label_file_type);
    _cleanup_free_ char *seccomp_opt =
        brig_xasprintf("name=seccomp,profile=%s", seccomp_profile_name(e));

    json_object_object_add(o, "ServerVersion", json_object_new_string(BRIG_VERSION));
    json_object_object_add(o, "Containers", count_json(h->containers));
    json_object_object_add(o, "ContainersRunning", count_json(h->running));
    json_object_object_add(o, "ContainersPaused", count_json(h->paused));
    json_object_object_add(o, "ContainersStopped", count_json(h->stopped));
    json_object_object_add(o, "Images", count_json(h->images));
    json_object_object_add(o, "Driver", json_object_new_string(effective_driver(e, h)));
    json_object_object_add(o, "OverlaySupported", json_object_new_boolean(h->overlay));
    json_object_object_add(o, "LoggingDriver", json_object_new_string("json-file"));
    json_object_object_add(o, "CgroupDriver", json_object_new_string("cgroupfs"));
    json_object_object_add(o, "CgroupVersion",
                           json_object_new_string(strcmp(h->cgroup, "v2") == 0   ? "2"
                                                  : strcmp(h->cgroup, "unknown") ? "1"
                                                                                 : "unknown"));
    json_object_object_add(o, "CgroupLayout", json_object_new_string(h->cgroup));
    json_object_object_add(o, "SeccompSupported", json_object_new_boolean(h->seccomp));
    if (h->seccomp)
        json_object_array_add(secopts, json_object_new_string(seccomp_opt));
    if (strcmp(h->selinux, "disabled") != 0)
        json_object_array_add(secopts, json_object_new_string("name=selinux"));
    json_object_object_add(o, "SecurityOptions", secopts);
    json_object_object_add(sel, "Mode", json_object_new_string(h->selinux));
    json_object_object_add(sel, "Policy", opt_string(h->policy));
    json_object_object_add(sel, "Labeling", json_object_new_boolean(c->label));
    json_object_object_add(sel, "ProcessLabel", opt_string(plabel));
    json_object_object_add(sel, "FileLabel", opt_string(flabel));
    json_object_object_add(sel, "LabelDefaults", opt_string(h->label_source));
    if (h->have_mcs)
        json_object_object_add(sel, "MCSPairsInUse", json_object_new_int64((int64_t)h->mcs_in_use));
    json_object_object_add(o, "SELinux", sel);
    json_object_object_add(o, "KernelVersion", json_object_new_string(h->uts.release));
    json_object_object_add(o, "OperatingSystem", opt_string(h->os_name));
    json_object_object_add(o, "OSType", json_object_new_string("linux"));
    json_object_object_add(o, "Architecture", json_object_new_string(h->uts.machine));
    json_object_object_add(o, "NCPU", json_object_new_int64(h->ncpu));
    json_object_object_add(o, "MemTotal", json_object_new_uint64(h->mem_total));
    json_object_object_add(o, "Name", json_object_new_string(h->uts.nodename));

    /* The settings exactly as brig.conf names them. */
    json_object_object_add(conf, "path", opt_string(c->conf_path));
    json_object_object_add(conf, "storage_root", json_object_new_string(c->storage_root));
    json_object_object_add(conf, "run_root", json_object_new_string(c->run_root));
    json_object_object_add(conf, "default_ulimits",
                           strv_json((const char *const *)c->default_ulimits));
    json_object_object_add(conf, "default_capabilities", strv_json(effective_caps(e)));
    json_object_object_add(conf, "seccomp_profile",
                           json_object_new_string(seccomp_profile_name(e)));
    json_object_object_add(conf, "label", json_object_new_boolean(c->label));
    json_object_object_add(conf, "label_process_type", opt_string(c->label_process_type));
    json_object_object_add(conf, "label_file_type", opt_string(c->label_file_type));
    json_object_object_add(conf, "log_max_size", json_object_new_uint64(c->log_max_size));
    json_object_object_add(conf, "log_max_files", json_object_new_int64(c->log_max_files));
    json_object_object_add(conf, "storage_driver", json_object_new_string(c->storage_driver));
    json_object_object_add(o, "BrigConfig", conf);

    puts(json_object_to_json_string_ext(o,
                                        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage:  %s info [OPTIONS]\n\n"
            "Display system-wide information: the effective settings (brig.conf and\n"
            "BRIG_* variables) and the host's SELinux, cgroup, storage and kernel.\n\n"
            "Options:\n"
            "  -f, --format string   Format the output: \"json\"\n",
            ENGINE_NAME);
}

int cmd_info(struct engine *e, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct host_info h = {0};
    const char *format = NULL;
    int opt;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            format = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            if (optopt == 'f')
                return engine_fail("info: flag needs an argument: --format");
            return engine_fail("info: unknown flag: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return engine_fail("info: unexpected argument `%s`", argv[optind]);
    if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "{{json .}}") != 0)
        return engine_fail("info: --format `%s`: only `json` is supported", format);

    host_info_gather(e, &h);
    if (format != NULL)
        print_json(e, &h);
    else
        print_text(e, &h);
    host_info_clear(&h);
    return 0;
}
