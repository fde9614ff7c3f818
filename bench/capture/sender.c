/*
 * UDP sender for the capture benchmark: sends 64-byte payloads (106-byte frames on lo:
 * 14 Ethernet + 20 IPv4 + 8 UDP + 64) from 127.0.0.1 to 127.0.0.1:PORT at RATE packets/s for
 * SECONDS, paced against CLOCK_MONOTONIC with sendmmsg() batches of up to 32.
 *
 * The destination port is bound by a sink socket in this process, so the kernel never answers
 * with ICMP port-unreachable. The sink is never read: once its small receive buffer is full the
 * kernel drops the datagrams at the socket (counted in /proc/net/snmp RcvbufErrors) after every
 * packet tap has seen them, which is all a capture benchmark needs and costs no CPU for reading.
 *
 *   sender PORT RATE SECONDS
 *
 * Prints one line: sent=N seconds=S rate=R cpu_ns=C (the sender's own user+sys CPU).
 * Every payload carries a sequence number (bytes 0..7, big-endian) and the rate (bytes 8..15).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define PAYLOAD 64

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: sender PORT RATE SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double rate = atof(argv[2]);
    double seconds = atof(argv[3]);
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

    struct sockaddr_in dst;
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    int sink = socket(AF_INET, SOCK_DGRAM, 0);
    int small = 4096;
    setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    if (bind(sink, (struct sockaddr *)&dst, sizeof dst) != 0) {
        perror("bind sink");
        return 1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        perror("connect");
        return 1;
    }

    static unsigned char buf[BATCH][PAYLOAD];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = buf[i];
        iov[i].iov_len = PAYLOAD;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    uint64_t r = (uint64_t)rate;
    uint64_t sent = 0, total = (uint64_t)(rate * seconds + 0.5);
    double t0 = now(), deadline = t0 + seconds + 2.0;
    while (sent < total) {
        double t = now();
        if (t > deadline) break; /* cannot keep up: stop anyway, report what was sent */
        uint64_t due = (uint64_t)((t - t0) * rate);
        if (due > total) due = total;
        if (due <= sent) {
            /* ahead of schedule: sleep until one batch is due */
            double wake = t0 + (sent + (BATCH < total - sent ? BATCH : total - sent)) / rate;
            double d = wake - t;
            if (d > 0) {
                struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        int n = (int)(due - sent);
        if (n > BATCH) n = BATCH;
        for (int i = 0; i < n; i++) {
            uint64_t seq = sent + i;
            for (int b = 0; b < 8; b++) {
                buf[i][b] = (unsigned char)(seq >> (56 - 8 * b));
                buf[i][8 + b] = (unsigned char)(r >> (56 - 8 * b));
            }
        }
        int k = sendmmsg(fd, msgs, n, 0);
        if (k < 0) {
            if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) continue;
            perror("sendmmsg");
            return 1;
        }
        sent += k;
    }
    double el = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL
        + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("sent=%llu seconds=%.3f rate=%.0f cpu_ns=%lld\n", (unsigned long long)sent, el, sent / el, cpu);
    return 0;
}
