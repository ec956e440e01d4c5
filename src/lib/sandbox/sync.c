#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"
#include "sandbox/internal.h"

int brig_sync_send(int sock, char type, const void *payload, size_t len, int fd, brig_error *reterr)
{
    _cleanup_free_ char *buf = brig_xmalloc0(len + 1);
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov;
    struct msghdr msg = {0};

    buf[0] = type;
    if (len)
        memcpy(buf + 1, payload, len);
    iov.iov_base = buf;
    iov.iov_len = len + 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fd >= 0) {
        struct cmsghdr *cm;
        memset(cbuf, 0, sizeof(cbuf));
        msg.msg_control = cbuf;
        msg.msg_controllen = sizeof(cbuf);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    }
    while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR)
            return brig_error_errno(reterr, "send sync message");
    }
    return 0;
}

int brig_sync_recv(int sock, char *ret_type, char **ret_payload, int *ret_fd, brig_error *reterr)
{
    _cleanup_free_ char *buf = brig_xmalloc0(BRIG_SYNC_MAX + 1);
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = BRIG_SYNC_MAX};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm;
    ssize_t n;
    int fd = -1;

    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return brig_error_errno(reterr, "receive sync message");
    if (n == 0)
        return brig_error_set(reterr, EPIPE, "container process exited during setup");
    for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    buf[n] = '\0';
    *ret_type = buf[0];
    if (ret_payload)
        *ret_payload = brig_xstrdup(buf + 1);
    if (ret_fd)
        *ret_fd = fd;
    else if (fd >= 0)
        close(fd);
    return 0;
}

int brig_sync_expect(int sock, char want, char **ret_payload, int *ret_fd, brig_error *reterr)
{
    _cleanup_free_ char *payload = NULL;
    char type;
    int fd = -1;

    if (brig_sync_recv(sock, &type, &payload, &fd, reterr) < 0)
        return -1;
    if (type == BRIG_SYNC_ERROR) {
        if (fd >= 0)
            close(fd);
        return brig_error_set(reterr, 0, "%s", payload);
    }
    if (type != want) {
        if (fd >= 0)
            close(fd);
        return brig_error_set(reterr, EPROTO, "sync: expected message `%c`, got `%c`", want, type);
    }
    if (ret_payload)
        *ret_payload = TAKE_PTR(payload);
    if (ret_fd)
        *ret_fd = fd;
    else if (fd >= 0)
        close(fd);
    return 0;
}

void brig_sync_fail(int sock, brig_error err)
{
    const char *msg = err && err->msg ? err->msg : "container setup failed";
    brig_sync_send(sock, BRIG_SYNC_ERROR, msg, strlen(msg), -1, NULL);
    _exit(1);
}
