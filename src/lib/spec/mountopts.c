/* Mount options, as config.json and `docker -v` spell them, into mount(2)
 * flags, propagation, brig's own switches (z/Z, tmpcopyup, rro) and the
 * filesystem data string.  Options are applied in order, so in a pair like
 * "ro","rw" the later one wins, as with mount(8) and runc. */
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>

#include "core/util.h"
#include "spec/spec.h"

enum opt_kind {
    OPT_SET,         /* flags |= f */
    OPT_CLEAR,       /* flags &= ~f, remembered in clear_flags */
    OPT_PROPAGATION, /* propagation = f */
    OPT_BIND,
    OPT_RBIND,
    OPT_RRO,
    OPT_IDMAP,
    OPT_TMPCOPYUP,
    OPT_RELABEL_SHARED,
    OPT_RELABEL_PRIVATE,
};

static const struct {
    const char *name;
    enum opt_kind kind;
    unsigned long flag;
} known_opts[] = {
    {"ro", OPT_SET, MS_RDONLY},
    {"rw", OPT_CLEAR, MS_RDONLY},
    {"nosuid", OPT_SET, MS_NOSUID},
    {"suid", OPT_CLEAR, MS_NOSUID},
    {"nodev", OPT_SET, MS_NODEV},
    {"dev", OPT_CLEAR, MS_NODEV},
    {"noexec", OPT_SET, MS_NOEXEC},
    {"exec", OPT_CLEAR, MS_NOEXEC},
    {"sync", OPT_SET, MS_SYNCHRONOUS},
    {"async", OPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", OPT_SET, MS_DIRSYNC},
    {"remount", OPT_SET, MS_REMOUNT},
    {"mand", OPT_SET, MS_MANDLOCK},
    {"nomand", OPT_CLEAR, MS_MANDLOCK},
    {"noatime", OPT_SET, MS_NOATIME},
    {"atime", OPT_CLEAR, MS_NOATIME},
    {"nodiratime", OPT_SET, MS_NODIRATIME},
    {"diratime", OPT_CLEAR, MS_NODIRATIME},
    {"relatime", OPT_SET, MS_RELATIME},
    {"norelatime", OPT_CLEAR, MS_RELATIME},
    {"strictatime", OPT_SET, MS_STRICTATIME},
    {"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
    {"bind", OPT_BIND, MS_BIND},
    {"rbind", OPT_RBIND, MS_BIND | MS_REC},
    {"private", OPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", OPT_PROPAGATION, MS_SHARED},
    {"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", OPT_PROPAGATION, MS_SLAVE},
    {"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", OPT_RRO, 0},
    {"idmap", OPT_IDMAP, 0},
    {"ridmap", OPT_IDMAP, 0},
    {"tmpcopyup", OPT_TMPCOPYUP, 0},
    {"z", OPT_RELABEL_SHARED, 0},
    {"Z", OPT_RELABEL_PRIVATE, 0},
};

void brig_mount_opts_clear(struct brig_mount_opts *o)
{
    if (o == NULL)
        return;
    free(o->data);
    memset(o, 0, sizeof(*o));
}

static void data_append(char **data, size_t *len, const char *opt)
{
    size_t n = strlen(opt);
    size_t need = *len + (*len ? 1 : 0) + n + 1;

    *data = brig_xrealloc(*data, need);
    if (*len)
        (*data)[(*len)++] = ',';
    memcpy(*data + *len, opt, n + 1);
    *len += n;
}

static int set_relabel(struct brig_mount_opts *o, enum brig_relabel r, brig_error *reterr)
{
    /* z shares the label with every container, Z makes it private to one:
     * asking for both is a mistake we must not resolve silently. */
    if (o->relabel != BRIG_RELABEL_NONE && o->relabel != r)
        return brig_error_set(reterr, 0, "mount options `z` and `Z` conflict");
    o->relabel = r;
    return 0;
}

int brig_spec_parse_mount_options(char *const *options, struct brig_mount_opts *ret,
                                  brig_error *reterr)
{
    struct brig_mount_opts o = {0};
    _cleanup_free_ char *data = NULL;
    size_t data_len = 0;

    for (size_t i = 0; options != NULL && options[i] != NULL; i++) {
        const char *opt = options[i];
        bool known = false;

        if (opt[0] == '\0')
            return brig_error_set(reterr, 0, "empty mount option at position %zu", i);
        for (size_t k = 0; k < BRIG_ARRAY_SIZE(known_opts); k++) {
            unsigned long f = known_opts[k].flag;
            if (strcmp(known_opts[k].name, opt) != 0)
                continue;
            known = true;
            switch (known_opts[k].kind) {
            case OPT_SET:
                o.flags |= f;
                o.clear_flags &= ~f;
                break;
            case OPT_CLEAR:
                o.flags &= ~f;
                o.clear_flags |= f;
                break;
            case OPT_PROPAGATION:
                o.propagation = f;
                break;
            case OPT_BIND:
                o.flags |= MS_BIND;
                break;
            case OPT_RBIND:
                o.flags |= MS_BIND | MS_REC;
                o.recursive_bind = true;
                break;
            case OPT_RRO:
                o.recursive_ro = true;
                break;
            case OPT_IDMAP:
                o.idmap = true;
                break;
            case OPT_TMPCOPYUP:
                o.tmpcopyup = true;
                break;
            case OPT_RELABEL_SHARED:
                if (set_relabel(&o, BRIG_RELABEL_SHARED, reterr) < 0)
                    return -1;
                break;
            case OPT_RELABEL_PRIVATE:
                if (set_relabel(&o, BRIG_RELABEL_PRIVATE, reterr) < 0)
                    return -1;
                break;
            }
            break;
        }
        /* Everything else is for the filesystem ("mode=755", "size=64k",
         * "newinstance"): the kernel is the judge of those. */
        if (!known)
            data_append(&data, &data_len, opt);
    }
    o.data = TAKE_PTR(data);
    *ret = o;
    return 0;
}
