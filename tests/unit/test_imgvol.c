/* The volumes images declare: names, and hostile paths (config/imgvol.h). */
#include <stdio.h>
#include <stdlib.h>

#include "../../config/imgvol.h"
#include "../../lib/util.h"
#include "helpers.h"
#include "t.h"

static const char *esc(const char *path)
{
    static char buf[256]; /* NAME_MAX + 1, as imgvol.c uses it */
    return imgvol_escape(path, buf, sizeof(buf)) == 0 ? buf : "(too long)";
}

TEST(imgvol_names_are_systemd_escaped_paths)
{
    CHECK_STR(esc("/data"), "data");
    CHECK_STR(esc("/var/lib/mysql"), "var-lib-mysql");
    /* '-' is escaped, so /srv/my-data and /srv/my/data differ */
    CHECK_STR(esc("/srv/my-data"), "srv-my\\x2ddata");
    CHECK_STR(esc("/srv/my/data"), "srv-my-data");
    CHECK_STR(esc("/.hidden/x.y"), "\\x2ehidden-x.y");
    CHECK_STR(esc("/a:b c"), "a\\x3ab\\x20c");
    CHECK_STR(esc("/d\xc3\xa4t"), "d\\xc3\\xa4t");
    char longp[300];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    CHECK_STR(esc(longp), "(too long)");
    longp[255] = '\0'; /* 254 bytes of name */
    CHECK_INT(strlen(esc(longp)), 254);
}

static const struct imgvol *find(const struct imgvol *v, size_t n, const char *shown)
{
    for (size_t i = 0; i < n; i++)
        if (streq(v[i].shown, shown))
            return &v[i];
    return NULL;
}

TEST(imgvol_hostile_paths)
{
    struct conf *c = t_svc("[service]\nimage = x\nvolumes = data:/data\ntmpfs = /cache\n");
    const struct svc_conf *s = c->svcs[0];
    char longp[2100];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    char name300[310] = "/";
    memset(name300 + 1, 'b', 300);
    char *decl[] = {"/var/lib/x", "/data/sub", "/cache", "/var", "/", "/..", "/dev/..", "/proc", "/proc/sys",
                    "/sys/fs", "/dev/shm", "rel", "/a/../b", "/etc/hosts", "/with\nnewline", longp, name300,
                    "/var/lib/x/", "//var//./lib/x", "/datax", "/data", "/etc"};
    size_t nd = ARRAY_SIZE(decl);
    struct imgvol *v;
    size_t n = imgvol_resolve(&c->arena, s, "/mnt/vol", decl, nd, &v);
    CHECK_INT(n, nd - 2); /* the two other spellings of /var/lib/x are one */
    const struct imgvol *x = find(v, n, "/var/lib/x");
    CHECK(x && x->kind == IMGVOL_NAMED);
    if (x) {
        CHECK_STR(x->path, "/var/lib/x");
        CHECK_STR(x->name, ".image-volumes/svc/var-lib-x");
        CHECK_STR(x->host, "/mnt/vol/.image-volumes/svc/var-lib-x");
    }
    /* /var, a volume of its own, is mounted before /var/lib/x */
    const struct imgvol *var = find(v, n, "/var");
    CHECK(var && var->kind == IMGVOL_NAMED && var < x);
    CHECK(find(v, n, "/etc") && find(v, n, "/etc")->kind == IMGVOL_NAMED);
    CHECK(find(v, n, "/datax") && find(v, n, "/datax")->kind == IMGVOL_NAMED);
    /* at or under the service's own mounts: those hold them */
    const struct imgvol *m = find(v, n, "/data");
    CHECK(m && m->kind == IMGVOL_MOUNTED && streq(m->why, "the service's volume at /data"));
    m = find(v, n, "/data/sub");
    CHECK(m && m->kind == IMGVOL_MOUNTED && streq(m->why, "the service's volume at /data"));
    m = find(v, n, "/cache");
    CHECK(m && m->kind == IMGVOL_MOUNTED && streq(m->why, "the service's tmpfs at /cache"));
    static const struct {
        const char *shown, *why;
    } refused[] = {
        {"/", "the container's root"},
        {"/..", "'..' in the path"},
        {"/dev/..", "'..' in the path"},
        {"/a/../b", "'..' in the path"},
        {"/proc", "/proc is the runtime's"},
        {"/proc/sys", "/proc is the runtime's"},
        {"/sys/fs", "/sys is the runtime's"},
        {"/dev/shm", "/dev is the runtime's"},
        {"rel", "not an absolute path"},
        {"/etc/hosts", "a file the runtime provides"},
        {"/with\\x0anewline", "a control character in the path"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
        m = find(v, n, refused[i].shown);
        CHECK(m != NULL);
        if (m) {
            CHECK_INT(m->kind, IMGVOL_REFUSED);
            CHECK_STR(m->why, refused[i].why);
            CHECK(m->name == NULL && m->host == NULL);
        }
    }
    size_t toolong = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].kind == IMGVOL_REFUSED && (streq(v[i].why, "the path is too long") ||
                                            streq(v[i].why, "the path is too long for a volume's name")))
            toolong++;
    CHECK_INT(toolong, 2);
    /* the long one is shown cut short */
    for (size_t i = 0; i < n; i++)
        CHECK(strlen(v[i].shown) < 220);
    /* sorted: no NAMED volume comes after one under it */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (v[i].path && v[j].path)
                CHECK(!(startswith(v[i].path, v[j].path) && v[i].path[strlen(v[j].path)] == '/'));
    conf_free(c);
}

TEST(imgvol_at_most_64_per_service)
{
    struct conf *c = t_svc("[service]\nimage = x\n");
    char *decl[70];
    for (int i = 0; i < 70; i++)
        decl[i] = arena_printf(&c->arena, "/v%02d", i);
    struct imgvol *v;
    size_t n = imgvol_resolve(&c->arena, c->svcs[0], "/mnt/volume", decl, 70, &v);
    CHECK_INT(n, 70);
    size_t named = 0;
    for (size_t i = 0; i < n; i++)
        named += v[i].kind == IMGVOL_NAMED;
    CHECK_INT(named, IMGVOL_MAX);
    CHECK_INT(v[69].kind, IMGVOL_REFUSED);
    CHECK_STR(v[69].why, "more than 64 volumes in the image");
    conf_free(c);
}
