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
#include "../config/conf.h"
#include "../lib/paths.h"
#include "../lib/util.h"
#include "../config/value.h"
#include "rtctl.h"

static const char usage_all[] =
    "rtctl image import [--max-bytes SIZE] [--max-entries N] [--min-free SIZE|PCT%] [--quiet] PATH\n"
    "                          [NAME[:TAG]]\n"
    "       rtctl image ls\n"
    "       rtctl image inspect NAME\n"
    "       rtctl image rm [--force] NAME\n"
    "       rtctl image gc\n"
    "       rtctl image mount [--flatten] NAME\n"
    "       rtctl image unmount NAME";

struct image_opts {
    uint64_t max_bytes, max_entries, min_free, min_free_pct_milli;
    bool quiet, force, flatten;
};

/* --min-free: a size ("2G"), or a percentage of the store's file system
 * ("10%", "2.5%"); 0 for no floor. */
static int parse_min_free(const char *arg, struct image_opts *o, const char **why)
{
    size_t n = strlen(arg);
    if (n > 1 && arg[n - 1] == '%') {
        char num[32];
        uint64_t milli;
        if (n - 1 >= sizeof(num)) {
            *why = "expected a size such as 2G or a percentage such as 5%";
            return -1;
        }
        memcpy(num, arg, n - 1);
        num[n - 1] = '\0';
        if (parse_decimal_milli(num, &milli, why) < 0)
            return -1;
        if (milli > 100000) {
            *why = "a percentage of at most 100%";
            return -1;
        }
        o->min_free = 0;
        o->min_free_pct_milli = milli;
        return 0;
    }
    if (parse_size(arg, &o->min_free, why) < 0)
        return -1;
    o->min_free_pct_milli = 0;
    return 0;
}

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
    case 'm':
        if (parse_min_free(arg, o, &why) < 0) {
            log_msg(&ctl->log, LOG_ERR, "--min-free '%s': %s", arg, why);
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

/* What every image subcommand gets: its operands, its options, the open
 * store and an arena for the call (freed by the runner). */
struct call {
    struct rtctl *ctl;
    char **args;
    int nargs;
    struct image_opts o;
    struct store s;
    struct arena a;
};

struct image_cmd {
    const char *name, *use, *shortopts;
    const struct option *longopts;
    int min, max;             /* operands */
    int lock;                 /* LOCK_SH, or LOCK_EX for gc */
    int (*fn)(struct call *c);
};

static int run_cmd(const struct image_cmd *cmd, struct rtctl *ctl, int argc, char **argv)
{
    struct call c = {.ctl = ctl,
                     .o = {.max_bytes = IMPORT_DEFAULT_MAX_BYTES,
                           .max_entries = IMPORT_DEFAULT_MAX_ENTRIES,
                           .min_free = IMPORT_DEFAULT_MIN_FREE,
                           .min_free_pct_milli = IMPORT_DEFAULT_MIN_FREE_PCT_MILLI}};
    int i = rtctl_getopt(ctl, argc, argv, cmd->shortopts, cmd->longopts, on_opt, &c.o, cmd->use);
    if (i < 0)
        return EXIT_USAGE;
    int n = argc - i;
    if (n < cmd->min || n > cmd->max) {
        log_msg(&ctl->log, LOG_ERR, "%s\nusage: %s", n < cmd->min ? "missing argument" : "too many arguments",
                cmd->use);
        return EXIT_USAGE;
    }
    c.args = argv + i;
    c.nargs = n;
    struct rt_paths paths;
    struct rt_err err;
    if (rt_paths_init(&paths, ctl->conf_dir, ctl->root, &err) < 0 || store_open(&c.s, &paths, true, cmd->lock, &err) < 0) {
        log_msg(&ctl->log, LOG_ERR, "%s", err.msg);
        return EXIT_FAIL;
    }
    arena_init(&c.a);
    jmp_buf jb;
    int rc;
    if (ARENA_TRY(&c.a, jb)) {
        log_msg(&ctl->log, LOG_ERR, "out of memory");
        rc = EXIT_FAIL;
    } else {
        rc = cmd->fn(&c);
    }
    arena_free(&c.a);
    store_close(&c.s);
    return rc;
}

/* Log err and give the failure status. */
static int failed(struct call *c, const struct rt_err *err)
{
    log_msg(&c->ctl->log, LOG_ERR, "%s", err->msg);
    return EXIT_FAIL;
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

/* The apparent size (what ls -l and du --apparent-size add up), and what
 * the files take on disk when that says something else: much less for
 * sparse files, more for many small ones. */
static void sizes(uint64_t size, uint64_t disk, char *out, size_t len)
{
    char a[32], d[32];
    human(size, a, sizeof(a));
    human(disk, d, sizeof(d));
    if (streq(a, d))
        snprintf(out, len, "%s", a);
    else
        snprintf(out, len, "%s, %s on disk", a, d);
}

static int do_import(struct call *c)
{
    struct import_opts io = {
        .name = c->nargs > 1 ? c->args[1] : NULL,
        .max_bytes = c->o.max_bytes,
        .max_entries = c->o.max_entries,
        .min_free = c->o.min_free,
        .min_free_pct_milli = c->o.min_free_pct_milli,
        .progress = !c->o.quiet && isatty(STDERR_FILENO),
        .out = stderr,
    };
    struct import_result res;
    struct rt_err err;
    if (image_import(&c->s, c->args[0], &io, &res, &err) < 0) {
        log_msg(&c->ctl->log, LOG_ERR, "import %s: %s", c->args[0], err.msg);
        return EXIT_FAIL;
    }
    if (!c->o.quiet) {
        char ds[DIGEST_STR_LEN + 1], sz[80];
        digest_str(&res.manifest, ds);
        sizes(res.size, res.disk, sz, sizeof(sz));
        printf("imported %s %s (%zu layer%s, %zu new, %s)\n", res.name, ds, res.layers, res.layers == 1 ? "" : "s",
               res.new_layers, sz);
    }
    return EXIT_OK;
}

static int do_ls(struct call *c)
{
    struct store_refs refs;
    struct rt_err err;
    if (store_refs_load(&c->s, &c->a, &refs, &err) < 0)
        return failed(c, &err);
    int rc = EXIT_OK;
    printf("%-40s %-19s %6s %10s  %s\n", "NAME", "DIGEST", "LAYERS", "SIZE", "CREATED");
    for (size_t k = 0; k < refs.n; k++) {
        struct image img;
        char hex[DIGEST_HEX_LEN + 1];
        digest_hex(&refs.v[k].manifest, hex);
        if (image_load_digest(&c->s, &c->a, &refs.v[k].manifest, &img, &err) < 0) {
            printf("%-40s sha256:%.12s  (unreadable: %s)\n", refs.v[k].name, hex, err.msg);
            rc = EXIT_FAIL;
            continue;
        }
        uint64_t size = 0;
        for (size_t l = 0; l < img.config.ndiff_ids; l++)
            size += store_layer_size(&c->s, &img.config.diff_ids[l]);
        char sz[32];
        human(size, sz, sizeof(sz));
        printf("%-40s sha256:%.12s %6zu %10s  %.10s\n", refs.v[k].name, hex, img.config.ndiff_ids, sz,
               img.config.created ? img.config.created : "-");
    }
    return rc;
}

static int do_inspect(struct call *c)
{
    struct rt_err err;
    struct image img;
    if (image_load(&c->s, &c->a, c->args[0], &img, &err) < 0)
        return failed(c, &err);
    char ds[DIGEST_STR_LEN + 1], cs[DIGEST_STR_LEN + 1];
    json_t *layers = json_array();
    for (size_t l = 0; l < img.manifest.nlayers; l++) {
        const struct descriptor *d = &img.manifest.layers[l];
        char diff[DIGEST_STR_LEN + 1];
        digest_str(&d->digest, ds);
        digest_str(&img.config.diff_ids[l], diff);
        struct layer_meta m;
        if (store_layer_meta(&c->s, &img.config.diff_ids[l], &m) < 0)
            memset(&m, 0, sizeof(m));
        /* unpacked_size: the files' sizes; disk_usage: the blocks they
         * take, which sparse files make far smaller */
        json_array_append_new(layers, json_pack("{s:s, s:s, s:s?, s:I, s:I, s:I}", "digest", ds, "diff_id", diff,
                                                "media_type", d->media_type, "size", (json_int_t)d->size,
                                                "unpacked_size", (json_int_t)m.size, "disk_usage",
                                                (json_int_t)m.disk));
    }
    json_error_t je;
    json_t *manifest = json_loadb(img.manifest_json, img.manifest_len, 0, &je);
    json_t *config = json_loadb(img.config_json, img.config_len, 0, &je);
    digest_str(&img.manifest_digest, ds);
    digest_str(&img.manifest.config.digest, cs);
    json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b}", "name", img.name, "manifest_digest", ds,
                            "config_digest", cs, "layers", layers, "manifest", manifest ? manifest : json_null(),
                            "config", config ? config : json_null(), "mounted",
                            image_is_mounted(&c->s, &img.manifest_digest));
    char *text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
    if (text)
        puts(text);
    free(text);
    json_decref(out);
    return text ? EXIT_OK : EXIT_FAIL;
}

/* Services in conf.d that run this image, as a "name (file)" list. */
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

static int do_rm(struct call *c)
{
    const char *name = c->args[0];
    struct rt_err err;
    struct digest d;
    char users[2048], norm[512];
    const char *why;
    if (store_resolve(&c->s, &c->a, name, &d, &err) < 0)
        return failed(c, &err);
    if (image_is_mounted(&c->s, &d)) {
        log_msg(&c->ctl->log, LOG_ERR, "%s is mounted; run rtctl image unmount %s first", name, name);
        return EXIT_FAIL;
    }
    if (!c->o.force && users_of(c->ctl, name, users, sizeof(users)) > 0) {
        log_msg(&c->ctl->log, LOG_ERR, "%s is used by %s; change or remove those services first (or --force)", name,
                users);
        return EXIT_FAIL;
    }
    image_ref_normalize(name, norm, sizeof(norm), &why);
    if (store_refs_set(&c->s, norm, NULL, &err) < 0)
        return failed(c, &err);
    printf("removed %s (its layers stay until rtctl image gc)\n", norm);
    return EXIT_OK;
}

static int do_gc(struct call *c)
{
    uint64_t layers, size, disk;
    struct rt_err err;
    if (image_gc(&c->s, &layers, &size, &disk, &err) < 0)
        return failed(c, &err);
    char sz[80];
    sizes(size, disk, sz, sizeof(sz));
    printf("removed %llu unused layer%s (%s)\n", (unsigned long long)layers, layers == 1 ? "" : "s", sz);
    return EXIT_OK;
}

static int do_mount(struct call *c)
{
    char path[PATH_MAX];
    struct rt_err err;
    if (image_mount(&c->s, c->args[0], c->o.flatten, path, sizeof(path), &err) < 0)
        return failed(c, &err);
    puts(path);
    return EXIT_OK;
}

static int do_unmount(struct call *c)
{
    struct rt_err err;
    return image_unmount(&c->s, c->args[0], &err) < 0 ? failed(c, &err) : EXIT_OK;
}

static const struct option import_opts[] = {{"max-bytes", required_argument, NULL, 'b'},
                                            {"max-entries", required_argument, NULL, 'n'},
                                            {"min-free", required_argument, NULL, 'm'},
                                            {"quiet", no_argument, NULL, 'q'},
                                            {0}};
static const struct option rm_opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
static const struct option mount_opts[] = {{"flatten", no_argument, NULL, 'F'}, {0}};

static const struct image_cmd cmds[] = {
    {"import", "rtctl image import [--max-bytes SIZE] [--max-entries N] [--min-free SIZE|PCT%] [--quiet] PATH "
               "[NAME[:TAG]]",
     "q",
     import_opts, 1, 2, LOCK_SH, do_import},
    {"ls", "rtctl image ls", "", NULL, 0, 0, LOCK_SH, do_ls},
    {"inspect", "rtctl image inspect NAME", "", NULL, 1, 1, LOCK_SH, do_inspect},
    {"rm", "rtctl image rm [--force] NAME", "f", rm_opts, 1, 1, LOCK_SH, do_rm},
    /* Exclusive: no import may add a layer that is not referenced yet. */
    {"gc", "rtctl image gc", "", NULL, 0, 0, LOCK_EX, do_gc},
    {"mount", "rtctl image mount [--flatten] NAME", "", mount_opts, 1, 1, LOCK_SH, do_mount},
    {"unmount", "rtctl image unmount NAME", "", NULL, 1, 1, LOCK_SH, do_unmount},
};

int cmd_image(struct rtctl *ctl, int argc, char **argv)
{
    if (argc < 2) {
        log_msg(&ctl->log, LOG_ERR, "missing subcommand\nusage: %s", usage_all);
        return EXIT_USAGE;
    }
    if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
        printf("usage: %s\n", usage_all);
        return EXIT_OK;
    }
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        if (streq(argv[1], cmds[i].name))
            return run_cmd(&cmds[i], ctl, argc - 1, argv + 1);
    const char *names[ARRAY_SIZE(cmds)];
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        names[i] = cmds[i].name;
    const char *dym = did_you_mean(argv[1], names, ARRAY_SIZE(cmds));
    if (dym)
        log_msg(&ctl->log, LOG_ERR, "unknown subcommand 'image %s' (did you mean 'image %s'?)", argv[1], dym);
    else
        log_msg(&ctl->log, LOG_ERR, "unknown subcommand 'image %s'\nusage: %s", argv[1], usage_all);
    return EXIT_USAGE;
}
