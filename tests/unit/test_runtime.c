/* The runtime's pure parts: resolving users in an image's /etc files,
 * the capability set, container names, the seccomp compiler, the init's
 * exit status and memfd. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/guarded.h"
#include "../../runtime/child.h"
#include "../../runtime/container.h"
#include "../../runtime/seccomp.h"
#include "../../runtime/user.h"
#include "t.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "app:x:1000:1000:app:/home/app:/bin/sh\n"
                             "broken:x:notanumber:1:::\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char group[] = "root:x:0:\napp:x:1000:\nextra:x:2000:app,other\nmore:x:3000:other,app\n"
                            "nogroup:x:65534:\n";

TEST(user_by_name_gets_its_groups_and_home)
{
    struct user_ids u;
    char msg[256];
    CHECK(user_resolve("app", passwd, group, &u, msg, sizeof(msg)) == 0);
    CHECK_INT(u.uid, 1000);
    CHECK_INT(u.gid, 1000);
    CHECK_INT(u.ngroups, 2);
    CHECK_INT(u.groups[0], 2000);
    CHECK_INT(u.groups[1], 3000);
    CHECK_STR(u.home, "/home/app");
    CHECK(user_resolve(NULL, passwd, group, &u, msg, sizeof(msg)) == 0);
    CHECK_INT(u.uid, 0);
    CHECK_STR(u.home, "/root");
}

TEST(user_forms)
{
    struct user_ids u;
    char msg[256];
    CHECK(user_resolve("1000:extra", passwd, group, &u, msg, sizeof(msg)) == 0);
    CHECK_INT(u.uid, 1000);
    CHECK_INT(u.gid, 2000);
    /* a uid without an entry: group 0 (docker), no supplementary groups */
    CHECK(user_resolve("4321", passwd, group, &u, msg, sizeof(msg)) == 0);
    CHECK_INT(u.uid, 4321);
    CHECK_INT(u.gid, 0);
    CHECK_INT(u.ngroups, 0);
    CHECK_STR(u.home, "");
    CHECK(user_resolve("4321:99", NULL, NULL, &u, msg, sizeof(msg)) == 0);
    CHECK_INT(u.gid, 99);
    CHECK(user_resolve("nosuch", passwd, group, &u, msg, sizeof(msg)) < 0);
    CHECK_STR(msg, "user 'nosuch' is not in the image's /etc/passwd");
    CHECK(user_resolve("app:nosuch", passwd, group, &u, msg, sizeof(msg)) < 0);
    CHECK_STR(msg, "group 'nosuch' is not in the image's /etc/group");
    /* a host service's files are the host's, and say so */
    CHECK(user_resolve_in("nosuch", passwd, group, "the host's", &u, msg, sizeof(msg)) < 0);
    CHECK_STR(msg, "user 'nosuch' is not in the host's /etc/passwd");
    CHECK(user_resolve_in("app:nosuch", passwd, group, "the host's", &u, msg, sizeof(msg)) < 0);
    CHECK_STR(msg, "group 'nosuch' is not in the host's /etc/group");
    CHECK(user_resolve("broken", passwd, group, &u, msg, sizeof(msg)) < 0);
    CHECK_CONTAINS(msg, "no numeric uid");
    /* the comment line is no user */
    CHECK(user_resolve("# a comment", passwd, group, &u, msg, sizeof(msg)) < 0);
}

TEST(capability_set_and_names)
{
    struct ctr_spec s = {0};
    CHECK(ctr_caps(&s) == 0xa80425fbULL); /* docker's default */
    s.cap_drop = 1ULL << 0;               /* CHOWN */
    s.cap_add = 1ULL << 21;               /* SYS_ADMIN */
    CHECK(ctr_caps(&s) == ((0xa80425fbULL & ~1ULL) | (1ULL << 21)));
    s.cap_drop_all = true;
    CHECK(ctr_caps(&s) == 1ULL << 21);
    CHECK(ctr_name_ok("web"));
    CHECK(ctr_name_ok("kong-migrations-1"));
    CHECK(!ctr_name_ok(""));
    CHECK(!ctr_name_ok("-web"));
    CHECK(!ctr_name_ok("Web"));
    CHECK(!ctr_name_ok("../x"));
    CHECK(!ctr_name_ok("a_b"));
    CHECK(!ctr_name_ok("0123456789012345678901234567890123456789012345678901234567890123"));
}

TEST(seccomp_default_compiles_and_profiles_report_their_errors)
{
    struct seccomp_prog p;
    struct rt_err err;
    CHECK(seccomp_compile_default(0xa80425fbULL, &p, &err) == 0);
    CHECK(p.len > 500);
    seccomp_prog_free(&p);
    CHECK(seccomp_compile_file("/nonexistent/profile.json", 0, &p, &err) < 0);
    CHECK_CONTAINS(err.msg, "/nonexistent/profile.json");
}

/* Where a volume source stops following symlinks (lib/guarded.c), on a
 * real directory tree. */
static struct file_id id_of(const char *p)
{
    struct stat st;
    if (stat(p, &st) < 0)
        return (struct file_id){0, 0};
    return (struct file_id){st.st_dev, st.st_ino};
}

static bool same(int fd, const char *p)
{
    struct stat a, b;
    return fd >= 0 && fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

TEST(open_guarded_follows_links_only_above_what_containers_write)
{
    char dir[] = "/tmp/rt-guarded.XXXXXX", p[512], q[512], where[512];
    CHECK(mkdtemp(dir) != NULL);
#define P(fmt) (snprintf(p, sizeof(p), "%s" fmt, dir), p)
    CHECK(mkdir(P("/real"), 0755) == 0);
    CHECK(mkdir(P("/real/inner"), 0755) == 0);
    CHECK(symlink("real", P("/alias")) == 0);
    CHECK(symlink("/", P("/real/evil")) == 0);
    snprintf(q, sizeof(q), "%s/real", dir);
    CHECK(symlink(q, P("/abs")) == 0);
    struct file_id g[] = {id_of(q)};
    /* a link above the guard (the administrator's) is followed */
    int fd = open_guarded(P("/alias/inner"), g, 1, -1, where, sizeof(where));
    CHECK(same(fd, q) == false && fd >= 0);
    snprintf(q, sizeof(q), "%s/real/inner", dir);
    CHECK(same(fd, q));
    close(fd);
    fd = open_guarded(P("/abs/inner"), g, 1, -1, where, sizeof(where));
    CHECK(same(fd, q));
    close(fd);
    /* below it, none: by either spelling of the guard */
    errno = 0;
    CHECK(open_guarded(P("/real/evil/etc"), g, 1, -1, where, sizeof(where)) == -1 && errno == ELOOP);
    errno = 0;
    CHECK(open_guarded(P("/alias/evil"), g, 1, -1, where, sizeof(where)) == -1 && errno == ELOOP);
    /* nor back out of it with .. */
    errno = 0;
    CHECK(open_guarded(P("/real/inner/../../alias"), g, 1, -1, where, sizeof(where)) == -1 && errno == ELOOP);
    /* with no guard, the link is followed as written */
    fd = open_guarded(P("/real/evil"), NULL, 0, -1, where, sizeof(where));
    CHECK(same(fd, "/"));
    close(fd);
    /* missing directories are made, the last with the mode asked for */
    fd = open_guarded(P("/alias/new/deep"), g, 1, 0700, where, sizeof(where));
    CHECK(fd >= 0);
    close(fd);
    struct stat st;
    CHECK(stat(P("/real/new/deep"), &st) == 0 && (st.st_mode & 07777) == 0700);
    /* never through a link below the guard, even to make them */
    errno = 0;
    CHECK(open_guarded(P("/real/evil/rt-guarded-never"), g, 1, 0755, where, sizeof(where)) == -1 && errno == ELOOP);
    CHECK(access("/rt-guarded-never", F_OK) != 0);
#undef P
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* With init, the init's 128+N is the command killed by N; an exit below
 * 129 or past the last signal, a real signal, and any status without
 * init, pass unchanged. */
TEST(init_exit_status_read_back)
{
    struct ctr c;
    memset(&c, 0, sizeof(c));
    c.init = true;
    int st = ctr_exit_status(&c, W_EXITCODE(143, 0));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    st = ctr_exit_status(&c, W_EXITCODE(137, 0));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    st = ctr_exit_status(&c, W_EXITCODE(3, 0));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    st = ctr_exit_status(&c, W_EXITCODE(128, 0));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128);
    st = ctr_exit_status(&c, W_EXITCODE(255, 0));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 255);
    st = ctr_exit_status(&c, W_EXITCODE(0, SIGKILL));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    c.init = false;
    st = ctr_exit_status(&c, W_EXITCODE(143, 0));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 143);
}

/* The init embedded in the runtime reaches a container as a sealed,
 * executable memfd holding a static ELF. */
TEST(init_memfd_is_sealed_and_static)
{
    struct rt_err err;
    int fd = ctrinit_memfd(&err);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    int seals = fcntl(fd, F_GET_SEALS);
    CHECK_INT(seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
              F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    CHECK(write(fd, "x", 1) < 0 && errno == EPERM);
    unsigned char head[20];
    CHECK(pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head));
    CHECK(!memcmp(head, "\177ELF", 4));
    CHECK_INT(head[16], 2); /* e_type ET_EXEC: static, no interpreter to find in the image */
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0111) && st.st_size > 1000 && st.st_size < 1024 * 1024);
    close(fd);
}
