/* Image JSON parsing, digests, names, entry paths, and the layer writer's
 * sizes and limits. */
#include <archive.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../images/digest.h"
#include "../../images/oci.h"
#include "../../images/store.h"
#include "../../images/unpack.h"
#include "../../lib/util.h"
#include "../../config/value.h"
#include "t.h"

#define DG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

TEST(digests)
{
    struct digest d;
    const char *why;
    CHECK(digest_parse(DG, &d, &why) == 0);
    char s[DIGEST_STR_LEN + 1];
    digest_str(&d, s);
    CHECK_STR(s, DG);
    CHECK(digest_parse("sha512:abcd", &d, &why) < 0);
    CHECK_STR(why, "unsupported digest algorithm (only sha256)");
    CHECK(digest_parse("sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789", &d, &why) < 0);
    CHECK(digest_parse("sha256:abc", &d, &why) < 0);
    CHECK(digest_parse("nocolon", &d, &why) < 0);
    sha256_buf("abc", 3, &d);
    digest_str(&d, s);
    CHECK_STR(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    struct sha256 h;
    struct rt_err err;
    CHECK(sha256_init(&h, &err) == 0);
    sha256_update(&h, "a", 1);
    sha256_update(&h, "bc", 2);
    struct digest d2;
    sha256_final(&h, &d2);
    sha256_free(&h);
    CHECK(digest_eq(&d, &d2));
}

TEST(media_types)
{
    enum layer_comp c;
    CHECK_INT(media_type_kind("application/vnd.oci.image.layer.v1.tar+zstd", &c), MT_LAYER);
    CHECK_INT(c, COMP_ZSTD);
    CHECK_INT(media_type_kind("application/vnd.docker.image.rootfs.diff.tar.gzip", &c), MT_LAYER);
    CHECK_INT(c, COMP_GZIP);
    CHECK_INT(media_type_kind("application/vnd.oci.image.layer.v1.tar", &c), MT_LAYER);
    CHECK_INT(c, COMP_NONE);
    CHECK_INT(media_type_kind("application/vnd.docker.distribution.manifest.list.v2+json", NULL), MT_INDEX);
    CHECK_INT(media_type_kind("application/vnd.docker.container.image.v1+json", NULL), MT_CONFIG);
    CHECK_INT(media_type_kind("application/x-foo", NULL), MT_UNKNOWN);
    CHECK_INT(media_type_kind(NULL, NULL), MT_UNKNOWN);
}

TEST(oci_documents)
{
    struct arena a;
    arena_init(&a);
    const char *why;
    static const char idx[] = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                              "\"digest\":\"" DG "\",\"size\":7,\"annotations\":{\"org.opencontainers.image.ref.name\":\"x:1\","
                              "\"io.containerd.image.name\":\"docker.io/library/x:1\"},\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
                              "{\"digest\":\"" DG "\",\"size\":8,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    struct oci_index i;
    CHECK(oci_parse_index(&a, idx, sizeof(idx) - 1, &i, &why) == 0);
    CHECK_INT(i.n, 2);
    CHECK_STR(i.v[0].ref_name, "x:1");
    CHECK_STR(i.v[0].image_name, "docker.io/library/x:1");
    CHECK(i.v[1].media_type == NULL);
    CHECK_INT(oci_pick_platform(&i), 1);

    static const char man[] = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                              "\"digest\":\"" DG "\",\"size\":3},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                              "\"digest\":\"" DG "\",\"size\":9}]}";
    struct oci_manifest m;
    CHECK(oci_parse_manifest(&a, man, sizeof(man) - 1, &m, &why) == 0);
    CHECK_INT(m.nlayers, 1);
    CHECK_INT(m.layers[0].size, 9);

    struct {
        const char *doc, *want;
    } bad[] = {
        {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" DG "\",\"size\":1},\"layers\":[{\"digest\":\"md5:x\",\"size\":1}]}",
         "layers[0].digest: unsupported digest algorithm"},
        {"{\"config\":{\"digest\":\"" DG "\",\"size\":-1},\"layers\":[]}", "config.size: missing or not a non-negative integer"},
        {"{\"config\":{\"digest\":\"" DG "\",\"size\":1}}", "layers: missing or not an array"},
        {"{\"schemaVersion\":1,\"config\":{},\"layers\":[]}", "schemaVersion: must be 2"},
        {"{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":{},\"layers\":[]}", "is not an image manifest"},
        {"[1,2", "invalid JSON at line 1"},
        {"{\"config\":{\"digest\":\"" DG "\",\"size\":1,\"annotations\":[]},\"layers\":[]}", "config.annotations: must be an object"},
    };
    for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
        why = NULL;
        CHECK(oci_parse_manifest(&a, bad[k].doc, strlen(bad[k].doc), &m, &why) < 0);
        CHECK_CONTAINS(why, bad[k].want);
    }
    arena_free(&a);
}

TEST(image_configs)
{
    struct arena a;
    arena_init(&a);
    const char *why;
    static const char cfg[] =
        "{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"docker-entrypoint.sh\"],"
        "\"Cmd\":null,\"Env\":[\"PATH=/usr/bin\",\"REDIS_VERSION=7\"],\"User\":\"redis\",\"WorkingDir\":\"/data\","
        "\"ExposedPorts\":{\"6379/tcp\":{}},\"Volumes\":{\"/data\":{}},\"StopSignal\":\"SIGQUIT\","
        "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"redis-cli ping\"],\"Interval\":5000000000,\"Timeout\":1000000000,"
        "\"StartPeriod\":0,\"StartInterval\":2000000000,\"Retries\":4}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DG "\"]}}";
    struct image_config c;
    CHECK(oci_parse_config(&a, cfg, sizeof(cfg) - 1, &c, &why) == 0);
    CHECK(c.has_entrypoint && c.nentrypoint == 1);
    CHECK(!c.has_cmd);
    CHECK_INT(c.nenv, 2);
    CHECK_STR(c.user, "redis");
    CHECK_STR(c.workdir, "/data");
    CHECK_STR(c.stop_signal, "SIGQUIT");
    CHECK_INT(c.nexposed, 1);
    CHECK_STR(c.exposed[0], "6379/tcp");
    CHECK_INT(c.nvolumes, 1);
    CHECK_INT(c.hc.kind, IHC_SHELL);
    CHECK_STR(c.hc.argv[0], "redis-cli ping");
    CHECK_INT(c.hc.interval_ms, 5000);
    CHECK_INT(c.hc.timeout_ms, 1000);
    CHECK_INT(c.hc.start_interval_ms, 2000);
    CHECK_INT(c.hc.retries, 4);
    CHECK_INT(c.ndiff_ids, 1);
    static const char empty_user[] = "{\"config\":{\"User\":\"\",\"Cmd\":[]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    CHECK(oci_parse_config(&a, empty_user, sizeof(empty_user) - 1, &c, &why) == 0);
    CHECK(c.user == NULL);
    CHECK(c.has_cmd && c.ncmd == 0);
    static const char bad_hc[] = "{\"config\":{\"Healthcheck\":{\"Test\":[\"SHELL\",\"x\"]}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    CHECK(oci_parse_config(&a, bad_hc, sizeof(bad_hc) - 1, &c, &why) < 0);
    CHECK_CONTAINS(why, "config.Healthcheck.Test: must start with NONE, CMD or CMD-SHELL");
    static const char no_rootfs[] = "{\"os\":\"linux\"}";
    CHECK(oci_parse_config(&a, no_rootfs, sizeof(no_rootfs) - 1, &c, &why) < 0);
    CHECK_CONTAINS(why, "rootfs: missing or not an object");
    static const char docker[] = "[{\"Config\":\"abc.json\",\"RepoTags\":null,\"Layers\":[\"a/layer.tar\"]}]";
    struct docker_manifest dm;
    CHECK(docker_parse_manifest(&a, docker, sizeof(docker) - 1, &dm, &why) == 0);
    CHECK(dm.n == 1 && dm.v[0].ntags == 0 && dm.v[0].nlayers == 1);
    arena_free(&a);
}

TEST(entry_paths)
{
    char out[256];
    const char *why;
    struct {
        const char *in, *out;
    } ok[] = {{"./etc/passwd", "etc/passwd"}, {"/etc//x/", "etc/x"}, {".", ""}, {"./", ""}, {"/", ""},
              {"a/./b", "a/b"}, {".wh..wh..opq", ".wh..wh..opq"}};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK(unpack_clean_path(ok[i].in, out, sizeof(out), &why) == 0);
        CHECK_STR(out, ok[i].out);
    }
    CHECK(unpack_clean_path("a/../b", out, sizeof(out), &why) < 0);
    CHECK_STR(why, "'..' in the name");
    CHECK(unpack_clean_path("../x", out, sizeof(out), &why) < 0);
    char longname[300];
    memset(longname, 'x', 299);
    longname[299] = '\0';
    CHECK(unpack_clean_path(longname, out, sizeof(out), &why) < 0);
}

TEST(image_names)
{
    char out[256];
    const char *why;
    struct {
        const char *in, *out;
    } ok[] = {{"redis", "redis:latest"},
              {"redis:7-alpine", "redis:7-alpine"},
              {"docker.io/library/redis:7", "redis:7"},
              {"docker.io/getmeili/meilisearch:v1.10", "getmeili/meilisearch:v1.10"},
              {"localhost:5000/app", "localhost:5000/app:latest"},
              {"ghcr.io/library/x:1", "ghcr.io/library/x:1"}};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK(image_ref_normalize(ok[i].in, out, sizeof(out), &why) == 0);
        CHECK_STR(out, ok[i].out);
    }
    CHECK(image_ref_normalize("Redis", out, sizeof(out), &why) < 0);
}

/* A layer made by GNU tar in dir/layer.tar: "small" (10 bytes) and
 * "sparse", 1 MiB long with only its last 4 KiB written. */
static void sparse_layer(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "cd %s && printf 0123456789 >small && truncate -s 1020K sparse && head -c 4096 /dev/zero | tr '\\0' x "
             ">>sparse && tar --sparse --format=pax --owner=+%u --group=+%u -cf layer.tar small sparse",
             dir, (unsigned)geteuid(), (unsigned)getegid());
    CHECK_INT(system(cmd), 0);
}

/* Unpack dir/layer.tar into a fresh dir/out with these limits. */
static int unpack_with(const char *dir, const struct unpack_limits *lim, struct unpack_stats *st,
                       struct rt_err *err)
{
    char tar[300], out[300];
    snprintf(tar, sizeof(tar), "%s/layer.tar", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    CHECK(rm_tree_at(AT_FDCWD, out) == 0);
    CHECK(mkdir(out, 0755) == 0);
    int fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(fd >= 0);
    struct archive *ar = archive_read_new();
    archive_read_support_format_tar(ar);
    CHECK(archive_read_open_filename(ar, tar, 10240) == ARCHIVE_OK);
    int r = unpack_tar(ar, fd, lim, st, "layer L", err);
    archive_read_free(ar);
    struct stat sb;
    if (r == 0) {
        CHECK(fstatat(fd, "sparse", &sb, 0) == 0);
        CHECK_INT(sb.st_size, 1 << 20);
    }
    close(fd);
    return r;
}

TEST(unpack_sizes_and_limits)
{
    char dir[] = "/tmp/rt-unpack-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    sparse_layer(dir);
    struct unpack_stats st;
    struct rt_err err;
    /* The apparent size counts the sparse file whole; the data only what
     * was written. */
    CHECK(unpack_with(dir, NULL, &st, &err) == 0);
    CHECK_INT(st.entries, 2);
    CHECK_INT(st.declared, 10 + (1 << 20));
    CHECK_INT(st.bytes, 10 + 4096);
    CHECK(st.disk >= 4096 && st.disk < (256 << 10)); /* blocks of data, none for the hole */
    /* --max-bytes holds the declared sizes, with the earlier layers' */
    struct unpack_limits lim = {.max_bytes = 2 << 20};
    CHECK(unpack_with(dir, &lim, &st, &err) == 0);
    lim.declared_before = 1 << 20;
    CHECK(unpack_with(dir, &lim, &st, &err) < 0);
    CHECK_CONTAINS(err.msg, "layer L: entry 'sparse': the image's files declare more than 2M (2097152 bytes) in all");
    CHECK_CONTAINS(err.msg, "raise the per-image limit with --max-bytes");
    /* a floor no file system is above stops it at once */
    struct unpack_limits floor = {.min_free = UINT64_MAX};
    CHECK(unpack_with(dir, &floor, &st, &err) < 0);
    CHECK_CONTAINS(err.msg, "layer L: stopped with ");
    CHECK_CONTAINS(err.msg, "lower the floor with --min-free");
    CHECK_INT(st.entries, 1);
    CHECK_INT(st.bytes, 0);
    CHECK(rm_tree_at(AT_FDCWD, dir) == 0);
}
