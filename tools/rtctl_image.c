/* rtctl image: import, ls, inspect, rm, gc, mount, unmount. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../images/image.h"
#include "../lib/conf.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "../lib/value.h"
#include "rtctl.h"

static const char usage_all[] =
    "rtctl image import [--max-bytes SIZE] [--max-entries N] [--quiet] PATH [NAME[:TAG]]\n"
    "       rtctl image ls\n"
    "       rtctl image inspect NAME\n"
    "       rtctl image rm [--force] NAME\n"
    "       rtctl image gc\n"
    "       rtctl image mount [--flatten] NAME\n"
    "       rtctl image unmount NAME";

struct image_opts {
    uint64_t max_bytes, max_entries;
    bool quiet, force, flatten;
};

static int on_opt(struct rtctl *ctl, int opt, const char *arg, void *ud)
{
    struct image_opts *o = ud;
    const char *why;
    switch (opt) {
    case 'b':
        if (parse_size(arg, &o->max_bytes, &why) < 0) {
            log_msg(&ctl->log, LOG_ERR, "--max-bytes '%s': %s", arg, why);
            return -1;
        }
        return 0;
    case 'n': {
        long long n;
        if (parse_int_range(arg, 1, 1LL << 40, &n, &why) < 0) {
            log_msg(&ctl->log, LOG_ERR, "--max-entries '%s': %s", arg, why);
            return -1;
        }
        o->max_entries = (uint64_t)n;
        return 0;
    }
    case 'q':
        o->quiet = true;
        return 0;
    case 'f':
        o->force = true;
        return 0;
    case 'F':
        o->flatten = true;
        return 0;
    }
    return -1;
}

/* Parse options, check the operand count, open the store. */
static int setup(struct rtctl *ctl, int argc, char **argv, const char *use, const char *shortopts,
                 const struct option *longopts, struct image_opts *o, int min, int max, bool create, int lock,
                 struct store *s, int *first)
{
    int i = rtctl_getopt(ctl, argc, argv, shortopts, longopts, on_opt, o, use);
    if (i < 0)
        return EXIT_USAGE;
    int n = argc - i;
    if (n < min || n > max) {
        log_msg(&ctl->log, LOG_ERR, "%s\nusage: %s", n < min ? "missing argument" : "too many arguments", use);
        return EXIT_USAGE;
    }
    *first = i;
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0 || store_open(s, &paths, create, lock, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static void human(uint64_t b, char *out, size_t len)
{
    if (b >= 1000ULL * 1000 * 1000)
        snprintf(out, len, "%.1f GB", (double)b / 1e9);
    else if (b >= 1000 * 1000)
        snprintf(out, len, "%.1f MB", (double)b / 1e6);
    else if (b >= 1000)
        snprintf(out, len, "%.1f kB", (double)b / 1e3);
    else
        snprintf(out, len, "%llu B", (unsigned long long)b);
}

static int cmd_import(struct rtctl *ctl, int argc, char **argv)
{
    static const char use[] = "rtctl image import [--max-bytes SIZE] [--max-entries N] [--quiet] PATH [NAME[:TAG]]";
    static const struct option lo[] = {{"max-bytes", required_argument, NULL, 'b'},
                                       {"max-entries", required_argument, NULL, 'n'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
    struct image_opts o = {.max_bytes = IMPORT_DEFAULT_MAX_BYTES, .max_entries = IMPORT_DEFAULT_MAX_ENTRIES};
    struct store s;
    int i, rc = setup(ctl, argc, argv, use, "q", lo, &o, 1, 2, true, LOCK_SH, &s, &i);
    if (rc != EXIT_OK)
        return rc;
    struct import_opts io = {
        .name = i + 1 < argc ? argv[i + 1] : NULL,
        .max_bytes = o.max_bytes,
        .max_entries = o.max_entries,
        .progress = !o.quiet && isatty(STDERR_FILENO),
        .out = stderr,
    };
    struct import_result res;
    struct rt_err err;
    rc = EXIT_OK;
    if (image_import(&s, argv[i], &io, &res, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "import %s: %s", argv[i], err.msg);
        rc = EXIT_FAIL;
    } else if (!o.quiet) {
        char ds[DIGEST_STR_LEN + 1], sz[32];
        digest_str(&res.manifest, ds);
        human(res.bytes, sz, sizeof(sz));
        printf("imported %s %s (%zu layer%s, %zu new, %s)\n", res.name, ds, res.layers, res.layers == 1 ? "" : "s",
               res.new_layers, sz);
    }
    store_close(&s);
    return rc;
}

static int cmd_ls(struct rtctl *ctl, int argc, char **argv)
{
    static const char use[] = "rtctl image ls";
    struct image_opts o = {0};
    struct store s;
    int i, rc = setup(ctl, argc, argv, use, "", NULL, &o, 0, 0, true, LOCK_SH, &s, &i);
    if (rc != EXIT_OK)
        return rc;
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    struct rt_err err;
    if (ARENA_TRY(&a, jb)) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        arena_free(&a);
        store_close(&s);
        return EXIT_FAIL;
    }
    struct store_refs refs;
    if (store_refs_load(&s, &a, &refs, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        rc = EXIT_FAIL;
    } else {
        printf("%-40s %-19s %6s %10s  %s\n", "NAME", "DIGEST", "LAYERS", "SIZE", "CREATED");
        for (size_t k = 0; k < refs.n; k++) {
            struct image img;
            char hex[DIGEST_HEX_LEN + 1];
            digest_hex(&refs.v[k].manifest, hex);
            if (image_load_digest(&s, &a, &refs.v[k].manifest, &img, &err) < 0) {
                printf("%-40s sha256:%.12s  (unreadable: %s)\n", refs.v[k].name, hex, err.msg);
                rc = EXIT_FAIL;
                continue;
            }
            uint64_t size = 0;
            for (size_t l = 0; l < img.config.ndiff_ids; l++)
                size += store_layer_size(&s, &img.config.diff_ids[l]);
            char sz[32];
            human(size, sz, sizeof(sz));
            printf("%-40s sha256:%.12s %6zu %10s  %.10s\n", refs.v[k].name, hex, img.config.ndiff_ids, sz,
                   img.config.created ? img.config.created : "-");
        }
    }
    arena_free(&a);
    store_close(&s);
    return rc;
}

static int cmd_inspect(struct rtctl *ctl, int argc, char **argv)
{
    static const char use[] = "rtctl image inspect NAME";
    struct image_opts o = {0};
    struct store s;
    int i, rc = setup(ctl, argc, argv, use, "", NULL, &o, 1, 1, true, LOCK_SH, &s, &i);
    if (rc != EXIT_OK)
        return rc;
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    struct rt_err err;
    struct image img;
    if (ARENA_TRY(&a, jb)) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        rc = EXIT_FAIL;
    } else if (image_load(&s, &a, argv[i], &img, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        rc = EXIT_FAIL;
    } else {
        char ds[DIGEST_STR_LEN + 1];
        json_t *layers = json_array();
        for (size_t l = 0; l < img.manifest.nlayers; l++) {
            const struct descriptor *d = &img.manifest.layers[l];
            char diff[DIGEST_STR_LEN + 1];
            digest_str(&d->digest, ds);
            digest_str(&img.config.diff_ids[l], diff);
            json_array_append_new(layers, json_pack("{s:s, s:s, s:s?, s:I, s:I}", "digest", ds, "diff_id", diff,
                                                    "media_type", d->media_type, "size", (json_int_t)d->size,
                                                    "unpacked_size",
                                                    (json_int_t)store_layer_size(&s, &img.config.diff_ids[l])));
        }
        json_error_t je;
        json_t *manifest = json_loadb(img.manifest_json, img.manifest_len, 0, &je);
        json_t *config = json_loadb(img.config_json, img.config_len, 0, &je);
        digest_str(&img.manifest_digest, ds);
        char cs[DIGEST_STR_LEN + 1];
        digest_str(&img.manifest.config.digest, cs);
        json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b}", "name", img.name, "manifest_digest", ds,
                                "config_digest", cs, "layers", layers, "manifest", manifest ? manifest : json_null(),
                                "config", config ? config : json_null(), "mounted",
                                image_is_mounted(&s, &img.manifest_digest));
        char *text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
        if (text)
            puts(text);
        free(text);
        json_decref(out);
    }
    arena_free(&a);
    store_close(&s);
    return rc;
}

/* Services in conf.d that run this image, as "name (file)" list. */
static int users_of(struct rtctl *ctl, const char *name, char *out, size_t len)
{
    struct rt_paths paths;
    struct rt_err err;
    out[0] = '\0';
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0)
        return 0;
    struct conf *c = conf_load(&paths, &err);
    if (!c)
        return 0; /* no conf.d: no service uses anything */
    char want[512];
    const char *why;
    image_ref_normalize(name, want, sizeof(want), &why);
    int n = 0;
    for (size_t i = 0; i < c->nsvcs; i++) {
        char have[512];
        const struct svc_conf *svc = c->svcs[i];
        if (!svc->image || image_ref_normalize(svc->image, have, sizeof(have), &why) < 0 || !streq(have, want))
            continue;
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s%s (%s)", n ? ", " : "", svc->name, svc->file);
        n++;
    }
    conf_free(c);
    return n;
}

static int cmd_rm(struct rtctl *ctl, int argc, char **argv)
{
    static const char use[] = "rtctl image rm [--force] NAME";
    static const struct option lo[] = {{"force", no_argument, NULL, 'f'}, {0}};
    struct image_opts o = {0};
    struct store s;
    int i, rc = setup(ctl, argc, argv, use, "f", lo, &o, 1, 1, true, LOCK_SH, &s, &i);
    if (rc != EXIT_OK)
        return rc;
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    struct rt_err err;
    struct digest d;
    char users[2048];
    if (ARENA_TRY(&a, jb)) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        rc = EXIT_FAIL;
    } else if (store_resolve(&s, &a, argv[i], &d, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        rc = EXIT_FAIL;
    } else if (image_is_mounted(&s, &d)) {
        log_msg(&ctl->log, LOG_ERR, "%s is mounted; run rtctl image unmount %s first", argv[i], argv[i]);
        rc = EXIT_FAIL;
    } else if (!o.force && users_of(ctl, argv[i], users, sizeof(users)) > 0) {
        log_msg(&ctl->log, LOG_ERR, "%s is used by %s; change or remove those services first (or --force)", argv[i],
                users);
        rc = EXIT_FAIL;
    } else {
        char norm[512];
        const char *why;
        image_ref_normalize(argv[i], norm, sizeof(norm), &why);
        if (store_refs_set(&s, norm, NULL, &err) < 0) {
            log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
            rc = EXIT_FAIL;
        } else {
            printf("removed %s (its layers stay until rtctl image gc)\n", norm);
        }
    }
    arena_free(&a);
    store_close(&s);
    return rc;
}

static int cmd_gc(struct rtctl *ctl, int argc, char **argv)
{
    static const char use[] = "rtctl image gc";
    struct image_opts o = {0};
    struct store s;
    /* Exclusive: no import may add a layer that is not referenced yet. */
    int i, rc = setup(ctl, argc, argv, use, "", NULL, &o, 0, 0, true, LOCK_EX, &s, &i);
    if (rc != EXIT_OK)
        return rc;
    uint64_t layers, bytes;
    struct rt_err err;
    if (image_gc(&s, &layers, &bytes, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        rc = EXIT_FAIL;
    } else {
        char sz[32];
        human(bytes, sz, sizeof(sz));
        printf("removed %llu unused layer%s (%s)\n", (unsigned long long)layers, layers == 1 ? "" : "s", sz);
    }
    store_close(&s);
    return rc;
}

static int cmd_mount(struct rtctl *ctl, int argc, char **argv)
{
    static const char use[] = "rtctl image mount [--flatten] NAME";
    static const struct option lo[] = {{"flatten", no_argument, NULL, 'F'}, {0}};
    struct image_opts o = {0};
    struct store s;
    int i, rc = setup(ctl, argc, argv, use, "", lo, &o, 1, 1, true, LOCK_SH, &s, &i);
    if (rc != EXIT_OK)
        return rc;
    char path[PATH_MAX];
    struct rt_err err;
    if (image_mount(&s, argv[i], o.flatten, path, sizeof(path), &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        rc = EXIT_FAIL;
    } else {
        puts(path);
    }
    store_close(&s);
    return rc;
}

static int cmd_unmount(struct rtctl *ctl, int argc, char **argv)
{
    static const char use[] = "rtctl image unmount NAME";
    struct image_opts o = {0};
    struct store s;
    int i, rc = setup(ctl, argc, argv, use, "", NULL, &o, 1, 1, true, LOCK_SH, &s, &i);
    if (rc != EXIT_OK)
        return rc;
    struct rt_err err;
    if (image_unmount(&s, argv[i], &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        rc = EXIT_FAIL;
    }
    store_close(&s);
    return rc;
}

int cmd_image(struct rtctl *ctl, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(struct rtctl *, int, char **);
    } sub[] = {
        {"import", cmd_import}, {"ls", cmd_ls}, {"inspect", cmd_inspect}, {"rm", cmd_rm},
        {"gc", cmd_gc},         {"mount", cmd_mount}, {"unmount", cmd_unmount},
    };
    if (argc < 2) {
        log_msg(&ctl->log, LOG_ERR, "missing subcommand\nusage: %s", usage_all);
        return EXIT_USAGE;
    }
    if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
        printf("usage: %s\n", usage_all);
        return EXIT_OK;
    }
    for (size_t i = 0; i < ARRAY_SIZE(sub); i++)
        if (streq(argv[1], sub[i].name))
            return sub[i].fn(ctl, argc - 1, argv + 1);
    const char *names[ARRAY_SIZE(sub)];
    for (size_t i = 0; i < ARRAY_SIZE(sub); i++)
        names[i] = sub[i].name;
    const char *dym = did_you_mean(argv[1], names, ARRAY_SIZE(sub));
    if (dym)
        log_msg(&ctl->log, LOG_ERR, "unknown subcommand 'image %s' (did you mean 'image %s'?)", argv[1], dym);
    else
        log_msg(&ctl->log, LOG_ERR, "unknown subcommand 'image %s'\nusage: %s", argv[1], usage_all);
    return EXIT_USAGE;
}
