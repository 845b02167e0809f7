/* What a reload compares (lib/svcdesc.c): every field of the container
 * spec and every policy field that changes what runs changes the
 * description, and the diff names it; what does not change what runs
 * (the printout of config check among it) changes nothing. A field added
 * to those structs fails svcdesc.c's size assertions until it is
 * described, and then belongs in a flip below. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "../../lib/svcdesc.h"
#include "helpers.h"
#include "t.h"

static const char web_text[] = "[service]\n"
                               "image = app:1\n"
                               "ports = 8080:80\n"
                               "ports = 127.0.0.1:9090:90/udp\n"
                               "ipv4 = 10.88.0.9\n"
                               "depends_on = db:started\n"
                               "depends_on = cache:started\n"
                               "restart = on-failure:3\n"
                               "restart_backoff = 1s\n"
                               "restart_backoff_max = 10s\n"
                               "restart_dependents = true\n"
                               "stop_signal = SIGINT\n"
                               "stop_timeout = 5s\n"
                               "[healthcheck]\n"
                               "exec = check --deep\n"
                               "interval = 5s\n"
                               "timeout = 2s\n"
                               "retries = 4\n"
                               "start_period = 10s\n";

/* Mutable copies of everything a description reads. */
struct fx {
    struct ctr_spec sp;
    struct svc_conf s;
    struct plan_svc ps;
    struct digest layers[3];
    char *argv[5], *env[5];
    struct ulimit rl[2];
    struct ctr_mount m[3];
    struct ctr_device d[2];
    struct port_map ports[3];
    struct dep deps[3];
    char *exec[4];
};

/* What each test starts from: web, as planned, and an arena. */
struct tctx {
    struct arena a;
    struct conf *c;
    const struct plan_svc *ps;
};

static void setup(struct tctx *t)
{
    arena_init(&t->a);
    t->c = t_load(NULL, "web", web_text, "db", "[service]\nimage = db:1\n", "cache", "[service]\nimage = c:1\n",
                  NULL);
    struct plan *p = plan_build(t->c, NULL, NULL);
    t->ps = NULL;
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->svcs[i].svc->name, "web"))
            t->ps = &p->svcs[i];
}

static void teardown(struct tctx *t)
{
    arena_free(&t->a);
    conf_free(t->c);
}

static void fx_init(struct fx *f, const struct plan_svc *base_ps)
{
    memset(f, 0, sizeof(*f));
    f->s = *base_ps->svc;
    f->ps = *base_ps;
    f->ps.svc = &f->s;
    f->ps.hc = &f->s.hc; /* as with an image looked up */
    f->ps.stop_signal = f->s.stop_signal;
    memcpy(f->ports, f->s.ports, f->s.nports * sizeof(*f->ports));
    f->s.ports = f->ports;
    memcpy(f->deps, f->s.deps, f->s.ndeps * sizeof(*f->deps));
    f->s.deps = f->deps;
    memcpy(f->exec, f->s.hc.exec.v, f->s.hc.exec.n * sizeof(*f->exec));
    f->s.hc.exec.v = f->exec;
    f->layers[0].b[0] = 1;
    f->layers[1].b[0] = 2;
    f->argv[0] = "/app/run", f->argv[1] = "--port", f->argv[2] = "80";
    f->env[0] = "PATH=/bin", f->env[1] = "A=1", f->env[2] = "DB_PASSWORD=s3cret", f->env[3] = "HOSTNAME=web";
    f->rl[0] = (struct ulimit){.resource = RLIMIT_NOFILE, .soft = 1024, .hard = 4096};
    f->m[0] = (struct ctr_mount){.src = "/srv/data", .dst = "/data", .own = true};
    f->m[1] = (struct ctr_mount){.tmpfs = true, .dst = "/tmp", .flags = MS_NOSUID, .data = "size=64M"};
    f->d[0] = (struct ctr_device){.host = "/dev/fuse", .ctr = "/dev/fuse", .access = CTR_DEV_READ | CTR_DEV_WRITE};
    f->sp = (struct ctr_spec){
        .name = "web",
        .state_dir = "/var/lib/rt",
        .run_dir = "/run/rt",
        .layers = f->layers,
        .nlayers = 2,
        .read_only = true,
        .argv = f->argv,
        .env = f->env,
        .cwd = "/app",
        .user = "app",
        .hostname = "web",
        .network = NET_BRIDGE,
        .cap_add = 1ULL << 21,  /* SYS_ADMIN: not in the default set */
        .cap_drop = 1ULL << 0,  /* CHOWN: in it */
        .seccomp = SECCOMP_PROFILE,
        .seccomp_profile = "/etc/rt/profile.json",
        .rlimits = f->rl,
        .nrlimits = 1,
        .mounts = f->m,
        .nmounts = 2,
        .devices = f->d,
        .ndevices = 1,
        .limits = {.memory_max = 1 << 30, .cpus_milli = 500, .pids_max = 100, .io_weight = 200},
        .stdio = {-1, -1, -1},
    };
}

static char *describe(struct tctx *t, struct fx *f)
{
    return svcdesc_build(&t->a, &f->ps, &f->sp, NULL);
}

static char *diff(const char *a, const char *b)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    svcdesc_diff(a, b, f);
    fclose(f);
    return out;
}

/* Is key one of the items of a diff ("a (x, y), b")? */
static bool has_item(const char *d, const char *key)
{
    size_t n = strlen(key);
    int depth = 0;
    for (const char *p = d; *p; p++) {
        bool start = p == d || (depth == 0 && p >= d + 2 && p[-2] == ',' && p[-1] == ' ');
        if (start && !strncmp(p, key, n) && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
    }
    return false;
}

static void expect_change(struct tctx *t, struct fx *f, const char *base, const char *key, const char *what, int line)
{
    char *d = describe(t, f);
    if (!d || !strcmp(d, base)) {
        t_fail(__FILE__, line, "%s: the description did not change", what);
        return;
    }
    char *df = diff(base, d);
    if (!has_item(df, key))
        t_fail(__FILE__, line, "%s: the diff \"%s\" does not name %s", what, df, key);
    free(df);
}

static void expect_same(struct tctx *t, struct fx *f, const char *base, const char *what, int line)
{
    char *d = describe(t, f);
    if (!d || strcmp(d, base))
        t_fail(__FILE__, line, "%s changed the description:\n%s\n---\n%s", what, base, d ? d : "(null)");
}

#define CHANGES(key, stmt)                                                                                   \
    do {                                                                                                     \
        struct fx f;                                                                                         \
        fx_init(&f, t.ps);                                                                                   \
        stmt;                                                                                                \
        expect_change(&t, &f, base, key, #stmt, __LINE__);                                                   \
    } while (0)

#define SAME(stmt)                                                                                           \
    do {                                                                                                     \
        struct fx f;                                                                                         \
        fx_init(&f, t.ps);                                                                                   \
        stmt;                                                                                                \
        expect_same(&t, &f, base, #stmt, __LINE__);                                                          \
    } while (0)

TEST(svcdesc_every_container_field_counts)
{
    struct tctx t;
    setup(&t);
    CHECK_INT(t.c->diags.errors, 0);
    struct fx f0;
    fx_init(&f0, t.ps);
    const char *base = describe(&t, &f0);
    CHECK(base != NULL);
    CHANGES("image layers", f.layers[1].b[31] ^= 1);
    CHANGES("image layers", f.sp.nlayers = 1);
    CHANGES("image layers", (f.layers[2].b[0] = 3, f.sp.nlayers = 3));
    CHANGES("read_only", f.sp.read_only = false);
    CHANGES("init", f.sp.init = true);
    CHANGES("command", f.argv[2] = "81");
    CHANGES("command", f.argv[3] = "-v");
    CHANGES("command", (f.argv[1] = "80", f.argv[2] = "--port")); /* order counts */
    CHANGES("environment", f.env[1] = "A=2");
    CHANGES("environment", f.env[3] = NULL);
    CHANGES("working_dir", f.sp.cwd = "/");
    CHANGES("user", f.sp.user = "1000:1000");
    CHANGES("user", f.sp.user = NULL);
    CHANGES("hostname", f.sp.hostname = "www");
    CHANGES("network", f.sp.network = NET_HOST);
    CHANGES("network", f.sp.network = NET_NONE);
    CHANGES("capabilities", f.sp.cap_add |= 1ULL << 12);
    CHANGES("capabilities", f.sp.cap_add |= 1ULL << 1); /* in the default set, but ambient for non-root */
    CHANGES("capabilities", f.sp.cap_drop |= 1ULL << 1);
    CHANGES("capabilities", f.sp.cap_add_all = true);
    CHANGES("capabilities", f.sp.cap_drop_all = true);
    CHANGES("seccomp", f.sp.seccomp = SECCOMP_DEFAULT);
    CHANGES("seccomp", f.sp.seccomp = SECCOMP_UNCONFINED);
    CHANGES("seccomp", f.sp.seccomp_profile = "/etc/rt/other.json");
    CHANGES("ulimits", f.rl[0].resource = RLIMIT_NPROC);
    CHANGES("ulimits", f.rl[0].soft = 2048);
    CHANGES("ulimits", f.rl[0].hard = UNLIMITED);
    CHANGES("ulimits", f.sp.nrlimits = 0);
    CHANGES("ulimits", (f.rl[1] = f.rl[0], f.sp.nrlimits = 2));
    CHANGES("volumes", f.m[0].src = "/srv/other");
    CHANGES("volumes", f.m[0].dst = "/other");
    CHANGES("volumes", f.m[0].ro = true);
    CHANGES("volumes", f.m[0].own = false);
    CHANGES("volumes", (f.m[2] = f.m[0], f.m[2].dst = "/more", f.sp.nmounts = 3));
    CHANGES("tmpfs", f.m[1].dst = "/run");
    CHANGES("tmpfs", f.m[1].flags |= MS_NOEXEC);
    CHANGES("tmpfs", f.m[1].data = "size=128M");
    CHANGES("tmpfs", f.sp.nmounts = 1);
    CHANGES("tmpfs", f.m[0].tmpfs = true);
    CHANGES("devices", f.d[0].host = "/dev/kvm");
    CHANGES("devices", f.d[0].ctr = "/dev/other");
    CHANGES("devices", f.d[0].access |= CTR_DEV_MKNOD);
    CHANGES("devices", f.sp.ndevices = 0);
    CHANGES("memory_max", f.sp.limits.memory_max = 0);
    CHANGES("cpus", f.sp.limits.cpus_milli = 1500);
    CHANGES("pids_max", f.sp.limits.pids_max = 200);
    CHANGES("io_weight", f.sp.limits.io_weight = 100);
    CHANGES("host", f.sp.host = true);
    CHANGES("kill_mode", f.sp.keep_children = true);
    teardown(&t);
}

TEST(svcdesc_every_policy_field_counts)
{
    struct tctx t;
    setup(&t);
    struct fx f0;
    fx_init(&f0, t.ps);
    const char *base = describe(&t, &f0);
    CHANGES("ports", f.ports[0].host_port = 8081);
    CHANGES("ports", f.ports[0].ctr_port = 81);
    CHANGES("ports", f.ports[0].host_ip = 0x7f000001);
    CHANGES("ports", f.ports[0].proto = IPPROTO_UDP);
    CHANGES("ports", f.s.nports = 1);
    CHANGES("ipv4", f.s.ipv4 = 0);
    CHANGES("depends_on", f.deps[0].name = "other");
    CHANGES("depends_on", f.deps[0].cond = DEP_HEALTHY);
    CHANGES("depends_on", f.s.ndeps = 1);
    CHANGES("restart", f.s.restart = RESTART_ALWAYS);
    CHANGES("restart", f.s.restart_max = 5);
    CHANGES("restart_backoff", f.s.restart_backoff_ms = 200);
    CHANGES("restart_backoff_max", f.s.restart_backoff_max_ms = 60000);
    CHANGES("restart_dependents", f.s.restart_dependents = false);
    CHANGES("stop_signal", f.ps.stop_signal = 15);
    CHANGES("stop_signal", (f.ps.stop_signal = 0, f.s.stop_signal = 3)); /* no image looked up: conf.d's */
    CHANGES("stop_timeout", f.s.stop_timeout_ms = 10000);
    CHANGES("healthcheck", f.s.hc.kind = HC_TCP);
    CHANGES("healthcheck", f.s.hc.url = "http://localhost/health");
    CHANGES("healthcheck", f.s.hc.host = "127.0.0.1");
    CHANGES("healthcheck", f.s.hc.addr = 0x7f000001);
    CHANGES("healthcheck", f.s.hc.port = 8080);
    CHANGES("healthcheck", f.s.hc.path = "/ready");
    CHANGES("healthcheck", f.exec[1] = "--shallow");
    CHANGES("healthcheck", f.s.hc.exec.n = 1);
    CHANGES("healthcheck", f.s.hc.interval_ms = 1000);
    CHANGES("healthcheck", f.s.hc.timeout_ms = 1000);
    CHANGES("healthcheck", f.s.hc.start_period_ms = 0);
    CHANGES("healthcheck", f.s.hc.start_interval_ms = 1000);
    CHANGES("healthcheck", f.s.hc.retries = 3);
    CHANGES("healthcheck", (f.ps.hc = NULL, f.s.hc.kind = HC_NONE));
    {
        /* the image's check when conf.d has none */
        struct fx f;
        fx_init(&f, t.ps);
        struct healthcheck img = f.s.hc;
        f.s.hc.kind = HC_NONE;
        f.ps.hc = &img;
        expect_same(&t, &f, base, "the same check from the image", __LINE__);
        img.retries = 9;
        expect_change(&t, &f, base, "healthcheck", "the image's check", __LINE__);
    }
    {
        /* a ${VAR} only the check uses: its value counts */
        struct fx f;
        fx_init(&f, t.ps);
        char *expanded[] = {"check", "--token=abc", NULL};
        const char *d1 = svcdesc_build(&t.a, &f.ps, &f.sp, expanded);
        expanded[1] = "--token=def";
        const char *d2 = svcdesc_build(&t.a, &f.ps, &f.sp, expanded);
        CHECK(strcmp(d1, d2) != 0);
        char *df = diff(d1, d2);
        CHECK_STR(df, "healthcheck");
        free(df);
    }
    teardown(&t);
}

TEST(svcdesc_what_does_not_change_what_runs_changes_nothing)
{
    struct tctx t;
    setup(&t);
    struct fx f0;
    fx_init(&f0, t.ps);
    const char *base = describe(&t, &f0);
    /* given by rtinit to every container, not by the service */
    SAME(f.sp.name = "other");
    SAME(f.sp.state_dir = "/elsewhere");
    SAME(f.sp.run_dir = "/elsewhere");
    SAME(f.sp.net = (const struct ctr_net *)&f);
    SAME(f.sp.hosts = "10.88.0.2 db\n");
    SAME(f.sp.resolv_conf = "nameserver 1.1.1.1\n");
    SAME((f.sp.stdio[0] = 3, f.sp.stdio[1] = 4));
    SAME((f.sp.tty = true, f.sp.tty_rows = 24, f.sp.tty_cols = 80)); /* rtctl run -t's, never a service's */
    /* where things were written, and in what order */
    SAME(f.s.file = "conf.d/renamed.conf");
    SAME(f.s.header.line = 7);
    SAME(f.s.set[K_IMAGE].line = 12);
    SAME(f.s.hc.at.line = 30);
    SAME(f.ps.stage = 9);
    SAME((f.env[1] = "DB_PASSWORD=s3cret", f.env[2] = "A=1"));
    SAME((f.ports[0] = t.ps->svc->ports[1], f.ports[1] = t.ps->svc->ports[0]));
    SAME((f.deps[0] = t.ps->svc->deps[1], f.deps[1] = t.ps->svc->deps[0]));
    /* the process gets the same capabilities */
    SAME(f.sp.cap_drop |= 1ULL << 12);
    /* the image's name: what runs is its layers and config */
    SAME(f.s.image = "app:same-content");
    teardown(&t);
}

TEST(svcdesc_is_not_the_printout)
{
    struct tctx t;
    setup(&t);
    struct fx f0, f1;
    fx_init(&f0, t.ps);
    fx_init(&f1, t.ps);
    const char *a = describe(&t, &f0);
    CHECK(strstr(a, "[service]") == NULL && strstr(a, " = ") == NULL);
    /* config check prints a literal secret as <redacted> whatever its
     * value; what runs differs, and the diff names it, not its value */
    f1.env[2] = "DB_PASSWORD=n3w";
    const char *b = describe(&t, &f1);
    char *df = diff(a, b);
    CHECK_STR(df, "environment (DB_PASSWORD)");
    CHECK(strstr(df, "s3cret") == NULL && strstr(df, "n3w") == NULL);
    free(df);
    df = diff(a, a);
    CHECK_STR(df, "");
    free(df);
    /* layers: those only one side has, short */
    fx_init(&f1, t.ps);
    f1.layers[1].b[0] = 3;
    f1.sp.read_only = false;
    f1.env[1] = "A=2";
    df = diff(a, describe(&t, &f1));
    CHECK_STR(df, "image layers (sha256:020000000000 -> sha256:030000000000), environment (A), read_only");
    free(df);
    fx_init(&f1, t.ps);
    f1.layers[2].b[0] = 3;
    f1.sp.nlayers = 3;
    df = diff(a, describe(&t, &f1));
    CHECK_STR(df, "image layers (+ sha256:030000000000)");
    free(df);
    fx_init(&f1, t.ps);
    f1.sp.nlayers = 1;
    df = diff(a, describe(&t, &f1));
    CHECK_STR(df, "image layers (- sha256:020000000000)");
    free(df);
    /* no two values describe alike: a space inside a word is not a new word */
    fx_init(&f0, t.ps);
    fx_init(&f1, t.ps);
    f0.argv[1] = "--port 80", f0.argv[2] = NULL;
    f1.argv[1] = "--port", f1.argv[2] = "80";
    CHECK(strcmp(describe(&t, &f0), describe(&t, &f1)) != 0);
    f0.env[1] = "A=1\nB=2", f0.env[2] = NULL;
    f1.env[1] = "A=1", f1.env[2] = "B=2", f1.env[3] = NULL;
    f0.argv[1] = "--port", f0.argv[2] = "80";
    CHECK(strcmp(describe(&t, &f0), describe(&t, &f1)) != 0);
    teardown(&t);
}
