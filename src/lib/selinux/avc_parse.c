/* Parsing `avc:` records, as the kernel prints them (dmesg, /dev/kmsg) and
 * auditd stores them (audit.log, ausearch -i), including user-space AVC
 * records (USER_AVC, inside msg='...').
 *
 * The input is untrusted text (a log file, stdin, the kernel log that any
 * process can fill with its own comm= and name=), so the parser never
 * indexes past the line, never trusts a length it did not measure, and
 * treats anything it cannot read as malformed rather than guessing. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/cleanup.h"
#include "core/util.h"
#include "selinux/avc.h"

void brig_avc_clear(struct brig_avc *a)
{
    free(a->scontext);
    free(a->tcontext);
    free(a->tclass);
    brig_strv_free(a->perms);
    free(a->comm);
    free(a->name);
    free(a->path);
    memset(a, 0, sizeof(*a));
    a->permissive = -1;
}

void brig_avc_list_free(struct brig_avc *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        brig_avc_clear(&v[i]);
    free(v);
}

static bool is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Value terminators: spaces, and the quote that closes a USER_AVC msg='...'. */
static bool is_value_end(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\'';
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* "audit(1700000000.123:456)" anywhere before the avc: marker.  ausearch -i
 * prints a date instead of the seconds: then the time stays 0. */
static void parse_stamp(const char *line, const char *end, struct brig_avc *a)
{
    const char *p = strstr(line, "audit(");
    if (!p || p >= end)
        return;
    p += strlen("audit(");
    char *q;
    double t = strtod(p, &q);
    if (q == p || *q != ':')
        return;
    const char *s = q + 1;
    if (!isdigit((unsigned char)*s))
        return;
    unsigned long serial = strtoul(s, &q, 10);
    if (*q != ')')
        return;
    a->time = t;
    a->serial = serial;
}

/* audit encodes a value holding spaces or quotes as hex (comm=2F62696E).
 * Quoted: the text between the quotes.  Otherwise hex when it is all hex
 * digits of even length, raw text when not. */
static char *decode_value(const char *v, size_t n)
{
    if (n >= 2 && v[0] == '"') {
        const char *close = memchr(v + 1, '"', n - 1);
        size_t len = close ? (size_t)(close - v - 1) : n - 1;
        return brig_xstrndup(v + 1, len);
    }
    bool hex = n > 0 && n % 2 == 0;
    for (size_t i = 0; hex && i < n; i++)
        hex = isxdigit((unsigned char)v[i]) && !islower((unsigned char)v[i]);
    if (!hex)
        return brig_xstrndup(v, n);
    char *out = brig_xmalloc0(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        char b[3] = {v[2 * i], v[2 * i + 1], 0};
        out[i] = (char)strtoul(b, NULL, 16);
        if (out[i] == '\0')
            out[i] = '?';
    }
    return out;
}

/* A context: user:role:type[:level], identifiers with at least three
 * colons' worth of fields, no spaces (is_value_end stops before them). */
static bool context_ok(const char *c)
{
    int colons = 0;
    if (!*c)
        return false;
    for (const char *p = c; *p; p++) {
        if (*p == ':')
            colons++;
        else if (!(is_ident(*p) || *p == '.' || *p == ',' || *p == '-'))
            return false;
    }
    if (colons < 2)
        return false;
    /* user, role and type must be non-empty */
    const char *p = c;
    for (int i = 0; i < 3; i++) {
        const char *q = strchr(p, ':');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0)
            return false;
        if (!q)
            return i == 2;
        p = q + 1;
    }
    return true;
}

static bool ident_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!is_ident(*s))
            return false;
    return true;
}

int brig_avc_parse(const char *line, struct brig_avc *ret)
{
    struct brig_avc a = {.permissive = -1};
    const char *p, *marker = NULL;

    memset(ret, 0, sizeof(*ret));
    ret->permissive = -1;
    /* The marker is "avc:" followed by "denied" or "granted"; kernels and
     * user-space object managers pad it with one or two spaces.  Other
     * "avc:" lines (e.g. "avc:  received policyload notice") are not
     * records. */
    for (p = strstr(line, "avc:"); p; p = strstr(p + 1, "avc:")) {
        if (p > line && is_ident(p[-1]))
            continue;
        const char *q = skip_space(p + 4);
        if (brig_str_has_prefix(q, "denied") && !is_ident(q[6])) {
            marker = p;
            a.granted = false;
            p = q + 6;
            break;
        }
        if (brig_str_has_prefix(q, "granted") && !is_ident(q[7])) {
            marker = p;
            a.granted = true;
            p = q + 7;
            break;
        }
    }
    if (!marker)
        return 1;
    parse_stamp(line, marker, &a);

    /* { perm perm ... } */
    p = skip_space(p);
    if (*p != '{')
        goto malformed;
    p++;
    for (;;) {
        p = skip_space(p);
        if (*p == '}')
            break;
        const char *s = p;
        while (is_ident(*p))
            p++;
        if (p == s || (*p != ' ' && *p != '\t' && *p != '}'))
            goto malformed;
        if (brig_strv_len(a.perms) >= 64)
            goto malformed; /* no class has more permissions than that */
        _cleanup_free_ char *perm = brig_xstrndup(s, (size_t)(p - s));
        brig_strv_append(&a.perms, perm);
    }
    p++;
    if (!a.perms)
        goto malformed;

    /* key=value ... to the end of the line (or of msg='...'). */
    while (*p) {
        p = skip_space(p);
        if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '\'')
            break;
        const char *k = p;
        while (is_ident(*p))
            p++;
        size_t klen = (size_t)(p - k);
        if (klen == 0 || *p != '=') {
            /* a bare word ("for", ":"): skip it.  *p is not a value end
             * here (checked above, or p moved past an identifier), so
             * this always makes progress. */
            while (!is_value_end(*p))
                p++;
            continue;
        }
        p++;
        const char *v = p;
        if (*p == '"') {
            const char *close = strchr(p + 1, '"');
            p = close ? close + 1 : p + strlen(p);
        } else {
            while (!is_value_end(*p))
                p++;
        }
        size_t vlen = (size_t)(p - v);
#define KEY(s) (klen == strlen(s) && memcmp(k, s, klen) == 0)
        /* The first of each key wins: later ones come from a value that
         * looked like a key, never from the kernel. */
        if (KEY("scontext") && !a.scontext)
            a.scontext = brig_xstrndup(v, vlen);
        else if (KEY("tcontext") && !a.tcontext)
            a.tcontext = brig_xstrndup(v, vlen);
        else if (KEY("tclass") && !a.tclass)
            a.tclass = brig_xstrndup(v, vlen);
        else if (KEY("comm") && !a.comm)
            a.comm = decode_value(v, vlen);
        else if (KEY("name") && !a.name)
            a.name = decode_value(v, vlen);
        else if (KEY("path") && !a.path)
            a.path = decode_value(v, vlen);
        else if (KEY("pid") && a.pid == 0) {
            char *end;
            long pid = strtol(v, &end, 10);
            if (end == v + vlen && pid > 0)
                a.pid = pid;
        } else if (KEY("permissive") && a.permissive < 0) {
            if (vlen == 1 && (v[0] == '0' || v[0] == '1'))
                a.permissive = v[0] - '0';
            else
                goto malformed;
        }
#undef KEY
    }
    if (!a.scontext || !a.tcontext || !a.tclass)
        goto malformed;
    if (!context_ok(a.scontext) || !context_ok(a.tcontext) || !ident_ok(a.tclass))
        goto malformed;
    *ret = a;
    return 0;

malformed:
    brig_avc_clear(&a);
    return -1;
}

char *brig_avc_context_type(const char *context)
{
    const char *p = strchr(context, ':');
    if (!p || !(p = strchr(p + 1, ':')))
        return NULL;
    p++;
    const char *q = strchr(p, ':');
    size_t len = q ? (size_t)(q - p) : strlen(p);
    return len ? brig_xstrndup(p, len) : NULL;
}
