/* recvtty: the other end of --console-socket, for the integration tests.
 *
 *   recvtty SOCKET_PATH [INPUT]
 *
 * Listens on SOCKET_PATH, accepts one connection, takes the pty master fd
 * the runtime sends (SCM_RIGHTS), writes INPUT to it if given, and copies
 * everything the container prints to stdout until the last slave closes
 * (read returns EIO).  Prints "recvtty: ready" on stderr once listening. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    char cbuf[CMSG_SPACE(sizeof(int))], name[256], buf[4096];
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm;
    int lsock, conn, master = -1;

    if (argc < 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "usage: recvtty SOCKET_PATH [INPUT]\n");
        return 2;
    }
    strcpy(addr.sun_path, argv[1]);
    lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(lsock, 1) < 0)
        return fail("listen");
    fprintf(stderr, "recvtty: ready\n");
    conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
        return fail("accept");
    if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
        return fail("recvmsg");
    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&master, CMSG_DATA(cm), sizeof(int));
    if (master < 0) {
        fprintf(stderr, "recvtty: no fd received\n");
        return 1;
    }
    if (argc > 2 && write(master, argv[2], strlen(argv[2])) < 0)
        return fail("write input");
    for (;;) {
        ssize_t n = read(master, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EIO: every slave fd is closed, the container exited */
        if (write(1, buf, (size_t)n) < 0)
            return fail("write");
    }
    return 0;
}
