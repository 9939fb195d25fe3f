/* peek.h — what arrived next on a socket, and when, without consuming it.
 *
 * With SO_TIMESTAMPNS on, the kernel stamps each segment with its arrival
 * (CLOCK_REALTIME); a recvmsg reports the stamp of what it read. Peeking at
 * the next bytes gives their arrival time before the reader takes them.
 * Header-only: peer_mqtt.c is built on its own by bench/run-peers. */
#ifndef OKR_BENCH_PEEK_H
#define OKR_BENCH_PEEK_H

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

/* Peeks at up to len bytes of fd into buf (non-blocking). Returns what
 * recvmsg returned (<= 0: nothing yet, the end, or an error) and sets *ns to
 * the bytes' arrival in ns since the epoch, or 0 without a stamp. */
static inline ssize_t bench_peek_stamped(int fd, void *buf, size_t len, uint64_t *ns)
{
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    *ns = 0;
    ssize_t n = recvmsg(fd, &m, MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0)
        return n;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        }
    return n;
}

#endif
