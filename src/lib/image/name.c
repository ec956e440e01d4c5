/* Image names in docker's grammar (distribution/reference), kept in the
 * familiar form docker prints: "busybox:latest", "user/app:1",
 * "localhost:5000/x:y". */
#include <ctype.h>
#include <string.h>

#include "core/util.h"
#include "image/image_internal.h"

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool valid_path_component(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return false;
    while (i < n) {
        if (is_lower_alnum(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        if (s[i] == '.')
            j = i + 1;
        else if (s[i] == '_')
            j = (i + 1 < n && s[i + 1] == '_') ? i + 2 : i + 1;
        else if (s[i] == '-')
            while (j < n && s[j] == '-')
                j++;
        else
            return false;
        if (j >= n || !is_lower_alnum(s[j]))
            return false;
        i = j;
    }
    return true;
}

/* domain: host components ([a-zA-Z0-9] with inner '-') joined by '.', and
 * an optional :port. */
static bool valid_domain(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t host = colon ? (size_t)(colon - s) : n;
    if (host == 0)
        return false;
    for (size_t i = 0; i < host; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || c == '-' || c == '.'))
            return false;
        if ((c == '-' || c == '.') && (i == 0 || i == host - 1 || s[i - 1] == '.'))
            return false;
    }
    if (colon) {
        if (host + 1 == n)
            return false;
        for (size_t i = host + 1; i < n; i++)
            if (!isdigit((unsigned char)s[i]))
                return false;
    }
    return true;
}

static bool valid_tag(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128)
        return false;
    if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return false;
    return true;
}

const char *image_name_tag_sep(const char *name)
{
    const char *c = strrchr(name, ':');
    const char *slash = strrchr(name, '/');
    if (c == NULL || (slash != NULL && c < slash))
        return NULL;
    return c;
}

int brig_image_name_normalize(const char *name, char **ret, brig_error *reterr)
{
    _cleanup_free_ char *repo = NULL, *q = NULL;
    const char *tag = "latest", *sep, *first_slash, *path;
    size_t len = strlen(name);

    q = image_printable(name);
    /* docker's limit is 255 for the repository; the tag adds at most 129 */
    if (len == 0 || len > 255 + 129 || strchr(name, '@') != NULL)
        return brig_error_set(reterr, 0, "image name `%s`: invalid reference format", q);
    sep = image_name_tag_sep(name);
    repo = sep ? strndup(name, (size_t)(sep - name)) : brig_xstrdup(name);
    if (repo == NULL)
        abort();
    if (strlen(repo) > 255)
        return brig_error_set(
            reterr, 0, "image name `%s`: repository name must not be more than 255 characters", q);
    if (sep) {
        tag = sep + 1;
        if (!valid_tag(tag))
            return brig_error_set(reterr, 0, "image name `%s`: invalid reference format", q);
    }
    /* A first component with '.' or ':' or "localhost" is a registry. */
    path = repo;
    first_slash = strchr(repo, '/');
    if (first_slash != NULL) {
        size_t dn = (size_t)(first_slash - repo);
        if (memchr(repo, '.', dn) || memchr(repo, ':', dn) ||
            (dn == 9 && strncmp(repo, "localhost", 9) == 0)) {
            if (!valid_domain(repo, dn))
                return brig_error_set(reterr, 0, "image name `%s`: invalid reference format", q);
            path = first_slash + 1;
        }
    }
    for (const char *c = path;;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (!valid_path_component(c, n)) {
            /* docker's own wording when lowercasing alone would fix it */
            _cleanup_free_ char *low = strndup(c, n);
            bool upper = false;
            if (low == NULL)
                abort();
            for (char *x = low; *x; x++)
                if (isupper((unsigned char)*x))
                    *x = (char)tolower((unsigned char)*x), upper = true;
            if (upper && valid_path_component(low, n))
                return brig_error_set(reterr, 0,
                                      "image name `%s`: repository name must be lowercase", q);
            return brig_error_set(reterr, 0, "image name `%s`: invalid reference format", q);
        }
        if (e == NULL)
            break;
        c = e + 1;
    }
    /* docker.io/library/x and index.docker.io/x are the familiar "x". */
    const char *fam = repo;
    if (brig_str_has_prefix(fam, "docker.io/"))
        fam += strlen("docker.io/");
    else if (brig_str_has_prefix(fam, "index.docker.io/"))
        fam += strlen("index.docker.io/");
    if (fam != repo) {
        /* "docker.io/a.b/x" keeps its domain: "a.b/x" would name a.b. */
        size_t fn = strcspn(fam, "/");
        if (fam[fn] == '/' && (memchr(fam, '.', fn) || memchr(fam, ':', fn) ||
                               (fn == 9 && strncmp(fam, "localhost", 9) == 0)))
            fam = repo;
        else if (brig_str_has_prefix(fam, "library/") && strchr(fam + 8, '/') == NULL)
            fam += strlen("library/");
    }
    *ret = brig_xasprintf("%s:%s", fam, tag);
    return 0;
}
