/* libFuzzer harness: audit records that become installed policy
 * (src/lib/selinux/cilgen.c, fed as `brig policy generate` feeds it).  The
 * input is an audit log; every denial is parsed, turned into the module's
 * rules (target type from tcontext, class, permissions; comm and name into
 * the comment), its types and text also into a mount, the notes and the
 * header, and the module text generated.
 *
 * A container writes what ends up in these records (comm, file names,
 * and through crafted contexts, classes and permissions whatever a parser
 * lets through), so the text is checked as policy, line by line:
 *   - a comment line is "; " and printable ASCII: nothing ends it early;
 *   - every other line is one balanced statement of the forms cilgen
 *     writes, each token a keyword it writes or a valid identifier, so no
 *     avc field can inject a statement, a nested list or a string;
 *   - every allow rule is for the generated type, to a type that is not
 *     security-sensitive, in a class a container may get, and grants only
 *     permissions a denial (or a mount, or a capability) asked for;
 *   - the rule count returned is the number of allow rules written. */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "fuzz_common.h"
#include "selinux/avc.h"
#include "selinux/cilgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TYPE "brig_fuzz_t"
#define MOUNT_TYPE "fuzz_mount_t"

static const char *const keywords[] = {"type",
                                       "roletype",
                                       "typeattributeset",
                                       "typepermissive",
                                       "allow",
                                       "rangetransition",
                                       "system_r",
                                       "unconfined_r",
                                       "domain",
                                       "mcs_constrained_type",
                                       BRIG_CIL_DOMAIN_ATTR,
                                       BRIG_CIL_BASE_ATTR,
                                       "s0",
                                       "self",
                                       NULL};
static const char *const heads[] = {
    "type", "roletype", "typeattributeset", "typepermissive", "allow", "rangetransition", NULL};

static bool in(const char *const *set, const char *s)
{
    for (; *set; set++)
        if (strcmp(*set, s) == 0)
            return true;
    return false;
}

static bool strv_has(char **v, const char *s)
{
    for (; v && *v; v++)
        if (strcmp(*v, s) == 0)
            return true;
    return false;
}

struct input {
    struct brig_cil_denial *d;
    size_t n;
};

/* Was (ttype, tclass, perm) asked for by some denial? */
static bool asked(const struct input *in_, const char *ttype, const char *tclass, const char *perm)
{
    for (size_t i = 0; i < in_->n; i++)
        if (strcmp(in_->d[i].ttype, ttype) == 0 && strcmp(in_->d[i].tclass, tclass) == 0 &&
            strv_has(in_->d[i].perms, perm))
            return true;
    return false;
}

/* One statement line: "(" ... ")" balanced, tokens checked; returns the
 * number of allow rules on it (0 or 1). */
static int check_statement(const char *line, const struct input *in_)
{
    char *copy = strdup(line), *tok[64];
    int depth = 0, ntok = 0, maxdepth = 0;

    if (copy == NULL || line[0] != '(')
        abort();
    /* split into tokens, checking the nesting as we go */
    for (char *p = copy; *p;) {
        if (*p == '(' || *p == ')') {
            depth += *p == '(' ? 1 : -1;
            if (depth < 0)
                abort();
            maxdepth = depth > maxdepth ? depth : maxdepth;
            *p++ = '\0';
            continue;
        }
        if (*p == ' ') {
            *p++ = '\0';
            continue;
        }
        if (ntok == 64)
            abort();
        tok[ntok++] = p;
        while (*p && *p != ' ' && *p != '(' && *p != ')')
            p++;
        if (*p == '\0')
            break;
        char c = *p;
        *p = '\0';
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (depth < 0)
            abort();
        maxdepth = depth > maxdepth ? depth : maxdepth;
        p++;
    }
    if (depth != 0 || ntok == 0 || !in(heads, tok[0]) || maxdepth > 4)
        abort();
    for (int i = 1; i < ntok; i++)
        if (!in(keywords, tok[i]) && !brig_cil_identifier_ok(tok[i]))
            abort();
    int rules = 0;
    if (strcmp(tok[0], "allow") == 0) {
        /* (allow TYPE TTYPE (CLASS (PERM...))) */
        if (ntok < 5 || strcmp(tok[1], TYPE) != 0 || brig_cil_type_sensitive(tok[2]))
            abort();
        const char *tt = tok[2], *cl = tok[3];
        if (!strcmp(cl, "security") || !strcmp(cl, "kernel_service") ||
            ((!strcmp(cl, "process") || !strcmp(cl, "process2")) && strcmp(tt, "self") != 0))
            abort();
        for (int i = 4; i < ntok; i++)
            if (strcmp(tt, MOUNT_TYPE) != 0 && strcmp(tt, "self") != 0 &&
                !asked(in_, tt, cl, tok[i])) {
                fprintf(stderr, "granted %s %s %s, never asked for\n", tt, cl, tok[i]);
                abort();
            }
        rules = 1;
    } else if (strcmp(tok[0], "rangetransition") == 0) {
        if (ntok != 6 || strcmp(tok[1], TYPE) != 0)
            abort();
    }
    free(copy);
    return rules;
}

static void check_text(const char *text, size_t rules, const struct input *in_)
{
    size_t seen = 0;
    char *copy = strdup(text), *save = NULL;

    if (copy == NULL)
        abort();
    for (const char *c = text; *c; c++)
        if (*c != '\n' && ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e))
            abort(); /* the whole module is printable ASCII lines */
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == ';') {
            if (line[1] != ' ' && line[1] != '\0')
                abort();
            continue;
        }
        seen += (size_t)check_statement(line, in_);
    }
    if (seen != rules) {
        fprintf(stderr, "%zu allow rules written, %zu reported\n", seen, rules);
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *next;
    struct brig_avc *v = NULL;
    size_t n = 0;
    struct input d = {0};
    char **notes = NULL, **strings = NULL, **other = NULL;
    brig_error err = NULL;

    if (buf == NULL)
        abort();
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (char *line = buf; line; line = next) {
        struct brig_avc a;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (brig_avc_parse(line, &a) != 0)
            continue;
        v = realloc(v, (n + 1) * sizeof(*v));
        if (v == NULL)
            abort();
        v[n++] = a;
    }
    for (size_t i = 0; i < n; i++) {
        const struct brig_avc *a = &v[i];
        char *ttype = brig_avc_context_type(a->tcontext);
        if (a->granted || ttype == NULL) {
            free(ttype);
            continue;
        }
        brig_strv_append(&other, ttype);
        char *why = brig_xasprintf("%s %s: comm=\"%s\" name=\"%s\"", ttype, a->tclass,
                                   a->comm ? a->comm : "?", a->name ? a->name : "");
        brig_strv_append(&strings, why);
        free(why);
        d.d = brig_xrealloc(d.d, (d.n + 1) * sizeof(*d.d));
        d.d[d.n] = (struct brig_cil_denial){
            .ttype = ttype, .tclass = a->tclass, .why = strings[brig_strv_len(strings) - 1]};
        for (char **p = a->perms; p && *p; p++)
            brig_strv_append(&d.d[d.n].perms, *p);
        d.n++;
        char *note =
            brig_xasprintf("MCS: %s -> %s (%s)", a->scontext, a->tcontext, a->path ? a->path : "?");
        brig_strv_append(&notes, note);
        free(note);
    }
    struct brig_cil_mount mount = {
        .source = n && v[0].path ? v[0].path : "/srv/fuzz",
        .dest = n && v[0].name ? v[0].name : "/data",
        .type = MOUNT_TYPE,
        .rw = size % 2,
        .other_types = other,
    };
    char *caps[] = {"sys_admin", "CAP_NET_RAW", "syslog", NULL};
    char *use = brig_xasprintf("brig run --security-opt label=type:" TYPE " %s",
                               n && v[0].comm ? v[0].comm : "image");
    struct brig_cil_module m = {
        .module = "brig_fuzz",
        .type = TYPE,
        .container = n && v[0].name ? v[0].name : "fuzz",
        .use = use,
        .permissive = size % 3 == 0,
        .mls = true,
        .mounts = &mount,
        .n_mounts = 1,
        .caps = caps,
        .denials = d.d,
        .n_denials = d.n,
        .notes = notes,
    };
    size_t rules = 0;
    char *text = brig_cil_module_text(&m, &rules, &err);
    if (text == NULL)
        abort(); /* every name and type given here is valid */
    check_text(text, rules, &d);
    free(text);

    for (size_t i = 0; i < d.n; i++) {
        free((char *)d.d[i].ttype);
        brig_strv_free(d.d[i].perms);
    }
    free(d.d);
    free(use);
    brig_strv_free(notes);
    brig_strv_free(strings);
    brig_strv_free(other);
    brig_avc_list_free(v, n);
    free(buf);
    return 0;
}
