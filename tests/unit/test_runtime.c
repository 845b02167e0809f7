/* The runtime's pure parts: resolving users in an image's /etc files,
 * the capability set, container names, the seccomp compiler. */
#include <stdlib.h>
#include <string.h>

#include "../../lib/volguard.h"
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

/* Where a volume source stops following symlinks (lib/volguard.c). */
TEST(volume_guard_is_the_outermost_writable_ancestor)
{
    CHECK(path_is_ancestor("/srv", "/srv/data"));
    CHECK(!path_is_ancestor("/srv", "/srv"));
    CHECK(!path_is_ancestor("/srv", "/srvx/data"));
    CHECK(path_is_ancestor("/", "/etc"));
    CHECK(!path_is_ancestor("/", "/"));
    const char *w[] = {"/srv/data/inner", "/srv/data", "/mnt/vol", "/srv/datax"};
    CHECK_STR(volume_guard("/srv/data/inner/deep", w, 4), "/srv/data");
    CHECK_STR(volume_guard("/srv/data/inner", w, 4), "/srv/data");
    CHECK(volume_guard("/srv/data", w, 4) == NULL);      /* itself: followed as written */
    CHECK(volume_guard("/etc/localtime", w, 4) == NULL); /* in no volume: followed */
    CHECK(volume_guard("/srv/datax2", w, 4) == NULL);    /* a prefix by name only */
    CHECK_STR(volume_guard("/mnt/vol/shared", w, 4), "/mnt/vol");
    CHECK(volume_guard("/x", w, 0) == NULL);
}
