/* ctr_exec_spawned (runtime/exec.c's stage1_word), which rtinit (PID 1)
 * calls from its loop for every exec health check: a flood of messages
 * from a process other than stage 1 (a process of the container holding
 * the socket) is read a few at a time and never answers for stage 1, a
 * forged terminal is closed, nothing blocks, and stage 1's own word and
 * its death are seen. A real socketpair with SO_PASSCRED and a real
 * child playing stage 1. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../runtime/child.h"
#include "../../runtime/container.h"
#include "t.h"

/* A child that sends *word (NULL: nothing) on sock once go is readable,
 * then exits. */
static pid_t fake_stage1(int sock, int go, const char *word)
{
    pid_t pid = fork();
    if (pid == 0) {
        char b;
        if (read(go, &b, 1) < 0)
            _exit(1);
        if (word && send(sock, word, strlen(word), 0) < 0)
            _exit(1);
        _exit(0);
    }
    return pid;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int passcred_pair(int sv[2])
{
    int on = 1;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
        setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
        return -1;
    return 0;
}

/* One forged message of ours: i picks which (a forged word, an empty
 * one, one longer than any word, a forged terminal with a descriptor). */
static ssize_t forge(int sock, int i, int flags)
{
    static char big[4096];
    memset(big, 'x', sizeof(big));
    if (i % 4 == 0)
        return send(sock, "", 0, flags);
    if (i % 4 == 1)
        return send(sock, "ok", 2, flags);
    if (i % 4 == 2)
        return send(sock, big, sizeof(big), flags);
    int fd = dup(0);
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct iovec iov = {.iov_base = (char *)"pty", .iov_len = 3};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n = sendmsg(sock, &mh, flags);
    close(fd);
    return n;
}

TEST(exec_word_flood_from_others_is_read_in_bounded_steps)
{
    int sv[2], go[2];
    CHECK(passcred_pair(sv) == 0);
    CHECK(pipe(go) == 0);
    pid_t stage1 = fake_stage1(sv[1], go[0], "ok");
    CHECK(stage1 > 0);
    struct ctr c;
    ctr_init(&c, "flood");
    c.pid = stage1;
    struct rt_err err = {0};
    /* the queue filled with messages of ours (we are not stage 1): each
     * call reads 8 at most and says "not yet" */
    int k = 0;
    while (k < 1000 && forge(sv[1], k, MSG_DONTWAIT) >= 0)
        k++;
    CHECK(k > 8);
    int calls = 0;
    for (;;) {
        struct pollfd p = {.fd = sv[0], .events = POLLIN};
        if (poll(&p, 1, 0) <= 0 || calls > 200)
            break;
        CHECK_INT(ctr_exec_spawned(&c, sv[0], &err), 1);
        calls++;
    }
    CHECK_INT(calls, (k + 7) / 8);
    /* a sender that never stops (the container's process holding the
     * socket): every call comes back at once, and never with a word */
    pid_t flood = fork();
    if (flood == 0) {
        for (int i = 0;; i++)
            if (forge(sv[1], i, 0) < 0)
                _exit(0);
    }
    CHECK(flood > 0);
    long long longest = 0, t_end = now_us() + 300000;
    int wakes = 0;
    while (now_us() < t_end) {
        struct pollfd p = {.fd = sv[0], .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        long long t0 = now_us();
        CHECK_INT(ctr_exec_spawned(&c, sv[0], &err), 1);
        long long dt = now_us() - t0;
        longest = dt > longest ? dt : longest;
        wakes++;
    }
    kill(flood, SIGKILL);
    int st;
    CHECK(waitpid(flood, &st, 0) == flood);
    CHECK(wakes > 10);
    CHECK(longest < 50000);
    CHECK_INT(c.tty, -1); /* every forged terminal was closed */
    /* what the flood left, then stage 1's own word: it counts. Read as
     * rtinit's loop would, before stage 1 is waited for: the flood may
     * have left the queue full, and stage 1's send waits for room (a
     * wait first was a deadlock, now and then) */
    CHECK(write(go[1], "g", 1) == 1);
    int r = 1;
    for (long long until = now_us() + 10000000; r == 1 && now_us() < until;) {
        struct pollfd p = {.fd = sv[0], .events = POLLIN};
        if (poll(&p, 1, 100) > 0)
            r = ctr_exec_spawned(&c, sv[0], &err);
    }
    CHECK_INT(r, 0);
    CHECK(waitpid(stage1, &st, 0) == stage1);
    close(sv[0]);
    close(sv[1]);
    close(go[0]);
    close(go[1]);
}

TEST(exec_word_the_sockets_end_is_stage1_dying)
{
    int sv[2], go[2];
    CHECK(passcred_pair(sv) == 0);
    CHECK(pipe(go) == 0);
    pid_t stage1 = fake_stage1(sv[1], go[0], NULL);
    CHECK(stage1 > 0);
    close(sv[1]);
    struct ctr c;
    ctr_init(&c, "dies");
    c.pid = stage1;
    struct rt_err err = {0};
    CHECK_INT(ctr_exec_spawned(&c, sv[0], &err), 1); /* it lives: not yet */
    CHECK(write(go[1], "g", 1) == 1);
    int st;
    CHECK(waitpid(stage1, &st, 0) == stage1);
    CHECK_INT(ctr_exec_spawned(&c, sv[0], &err), -1);
    CHECK_CONTAINS(err.msg, "exec in dies: the process died before exec");
    close(sv[0]);
    close(go[0]);
    close(go[1]);
}

TEST(exec_word_stage1_error_is_said)
{
    int sv[2], go[2];
    CHECK(passcred_pair(sv) == 0);
    CHECK(pipe(go) == 0);
    pid_t stage1 = fake_stage1(sv[1], go[0], "sh: not found in the container's PATH");
    CHECK(stage1 > 0);
    CHECK(write(go[1], "g", 1) == 1);
    int st;
    CHECK(waitpid(stage1, &st, 0) == stage1);
    struct ctr c;
    ctr_init(&c, "errs");
    c.pid = stage1;
    struct rt_err err = {0};
    CHECK_INT(ctr_exec_spawned(&c, sv[0], &err), -1);
    CHECK_CONTAINS(err.msg, "exec in errs: sh: not found in the container's PATH");
    close(sv[0]);
    close(sv[1]);
    close(go[0]);
    close(go[1]);
}
