/* libFuzzer harness: avc records.  The input is split on newlines like a
 * log; every line is parsed, the records are grouped, and each is explained
 * against a small MLS policy built once from CIL (so the untrusted
 * contexts, classes and permissions also reach libsepol's lookups, as they
 * do in `brig selinux explain`), and given a fix. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sepol/cil/cil.h>
#include <sepol/policydb.h>

#include "core/util.h"
#include "fuzz_common.h"
#include "selinux/avc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy[] =
    "(mls true)(handleunknown deny)"
    "(class file (getattr open read write))(class dir (getattr search))"
    "(class process (signal ptrace))(classorder (file dir process))"
    "(sid kernel)(sidorder (kernel))(user system_u)(role system_r)"
    "(type kernel_t)(type container_t)(type container_file_t)(type var_log_t)(type nfs_t)"
    "(typeattribute mcs_constrained_type)(typeattributeset mcs_constrained_type (container_t))"
    "(roletype system_r kernel_t)(roletype system_r container_t)(userrole system_u system_r)"
    "(sensitivity s0)(sensitivityorder (s0))"
    "(category c0)(category c1)(category c2)(category c3)(categoryorder (c0 c1 c2 c3))"
    "(sensitivitycategory s0 (range c0 c3))(userlevel system_u (s0))"
    "(userrange system_u ((s0) (s0 (range c0 c3))))"
    "(sidcontext kernel (system_u system_r kernel_t ((s0) (s0 (range c0 c3)))))"
    "(allow container_t container_file_t (file (getattr open read write)))"
    "(allow container_t self (process (signal)))"
    "(boolean virt_use_nfs false)"
    "(booleanif virt_use_nfs (true (allow container_t nfs_t (file (getattr open read)))))"
    "(mlsconstrain (file (getattr open read write)) (or (dom h1 h2) (neq t1 "
    "mcs_constrained_type)))";

static bool have_policy;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    cil_db_t *db = NULL;
    sepol_policydb_t *pdb = NULL;
    sepol_policy_file_t *pf = NULL;
    char path[] = "/tmp/brig-fuzz-avc-XXXXXX";
    brig_error err = NULL;

    cil_set_log_level(CIL_ERR);
    cil_db_init(&db);
    cil_set_mls(db, 1);
    if (cil_add_file(db, "fuzz.cil", policy, sizeof(policy) - 1) != 0 || cil_compile(db) != 0 ||
        cil_build_policydb(db, &pdb) != 0)
        abort();
    cil_db_destroy(&db);
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || sepol_policy_file_create(&pf) < 0)
        abort();
    sepol_policy_file_set_fp(pf, f);
    if (sepol_policydb_write(pdb, pf) != 0)
        abort();
    sepol_policy_file_free(pf);
    sepol_policydb_free(pdb);
    fclose(f);
    have_policy = brig_avc_policy_load(path, &err) == 0;
    unlink(path);
    if (!have_policy)
        abort();
    return 0;
}

static bool clean(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == ' ')
            return false;
    return true;
}

static void check_record(const struct brig_avc *a)
{
    if (!a->scontext || !a->tcontext || !a->tclass || !a->perms || !a->perms[0])
        abort();
    if (!clean(a->scontext) || !clean(a->tcontext) || !clean(a->tclass))
        abort();
    for (char **p = a->perms; *p; p++)
        if (!**p || !clean(*p) || strchr(*p, '}'))
            abort();
    if (a->permissive < -1 || a->permissive > 1)
        abort();
    char *t = brig_avc_context_type(a->scontext);
    if (!t || strchr(t, ':'))
        abort();
    free(t);

    struct brig_avc_why w;
    brig_error err = NULL;
    if (brig_avc_explain(a, &w, &err) < 0) {
        fuzz_check_error(err);
        brig_error_free(&err);
        return;
    }
    if (!w.detail || (w.reason == BRIG_AVC_BOOLEAN) != (w.booleans != NULL))
        abort();
    /* what explain prints stays on one line */
    char *fix = brig_avc_fix(a, &w);
    if (strchr(fix, '\n') || strchr(w.detail, '\n'))
        abort();
    free(fix);
    brig_avc_why_clear(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1), *line, *next;
    struct brig_avc *v = NULL;
    size_t n = 0;

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    for (line = buf; line; line = next) {
        struct brig_avc a;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        int r = brig_avc_parse(line, &a);
        if (r != 0) {
            /* nothing handed back for a non-record or a malformed one */
            if ((r != 1 && r != -1) || a.scontext || a.tcontext || a.tclass || a.perms)
                abort();
            continue;
        }
        check_record(&a);
        v = realloc(v, (n + 1) * sizeof(*v));
        if (!v)
            abort();
        v[n++] = a;
    }
    struct brig_avc_group *g;
    size_t ng, total = 0;
    brig_avc_group(v, n, &g, &ng);
    for (size_t i = 0; i < ng; i++)
        total += g[i].count;
    if (total > n || ng > n)
        abort();
    brig_avc_groups_free(g, ng);
    brig_avc_list_free(v, n);
    free(buf);
    return 0;
}
