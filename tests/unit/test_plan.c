/* Checks across services and the start order. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "helpers.h"
#include "t.h"

static const char *order_of(const struct plan *p)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s/%u", i ? " " : "", p->svcs[i].svc->name,
                              p->svcs[i].stage);
    return buf;
}

TEST(order_by_stage_then_name)
{
    struct conf *c = t_load(NULL, "gateway", "[service]\nimage = kong\ndepends_on = api:healthy\n", "api",
                            "[service]\nimage = api\ndepends_on = search:healthy mq:healthy redis:healthy\n"
                            "[healthcheck]\ntcp = 3001\n",
                            "search", "[service]\nimage = s\n[healthcheck]\ntcp = 7700\n", "mq",
                            "[service]\nimage = m\n[healthcheck]\ntcp = 5672\n", "redis",
                            "[service]\nimage = r\n[healthcheck]\ntcp = 6379\n", NULL);
    struct plan *p = plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "");
    CHECK(p->ordered);
    CHECK_STR(order_of(p), "mq/1 redis/1 search/1 api/2 gateway/3");
    CHECK_INT(p->nstages, 3);
    /* deps are indices into the ordered list */
    CHECK_STR(p->svcs[p->svcs[3].deps[0]].svc->name, "search");
    conf_free(c);
}

TEST(order_diamond_and_long_chain)
{
    struct conf *c = t_load(NULL, "a", "[service]\nimage = x\n", "b", "[service]\nimage = x\ndepends_on = a\n", "c",
                            "[service]\nimage = x\ndepends_on = a\n", "d", "[service]\nimage = x\ndepends_on = b c\n",
                            "e", "[service]\nimage = x\ndepends_on = d a\n", NULL);
    struct plan *p = plan_build(c, NULL, NULL);
    CHECK_STR(order_of(p), "a/1 b/2 c/2 d/3 e/4");
    conf_free(c);
}

TEST(unknown_dependency)
{
    struct conf *c = t_load(NULL, "api", "[service]\nimage = x\ndepends_on = reddis:healthy\n", "redis",
                            "[service]\nimage = r\n", NULL);
    struct plan *p = plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:3: depends_on: unknown service 'reddis' (did you mean 'redis'?)");
    CHECK(!p->ordered);
    conf_free(c);
}

TEST(cycles_are_printed)
{
    struct conf *c = t_load(NULL, "a", "[service]\nimage = x\ndepends_on = b\n", "b",
                            "[service]\nimage = x\ndepends_on = c\n", "c", "[service]\nimage = x\ndepends_on = a\n",
                            "d", "[service]\nimage = x\ndepends_on = a\n", NULL);
    struct plan *p = plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "conf.d/a.conf:3: depends_on: dependency cycle: a -> b -> c -> a\n");
    CHECK(!p->ordered);
    conf_free(c);
    c = t_load(NULL, "self", "[service]\nimage = x\ndepends_on = self\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "conf.d/self.conf:3: depends_on: dependency cycle: self -> self\n");
    conf_free(c);
    /* two separate cycles: both reported */
    c = t_load(NULL, "a", "[service]\nimage = x\ndepends_on = b\n", "b", "[service]\nimage = x\ndepends_on = a\n",
               "x", "[service]\nimage = x\ndepends_on = y\n", "y", "[service]\nimage = x\ndepends_on = x\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_INT(c->diags.errors, 2);
    CHECK_CONTAINS(t_diags(c), "a -> b -> a");
    CHECK_CONTAINS(t_diags(c), "x -> y -> x");
    conf_free(c);
}

TEST(dependency_condition_checks)
{
    struct conf *c = t_load(NULL, "api", "[service]\nimage = x\ndepends_on = migrate:completed cache:healthy\n",
                            "migrate", "[service]\nimage = x\nrestart = always\n", "cache", "[service]\nimage = x\n",
                            NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:3: depends_on: migrate:completed can never happen: migrate has "
                               "restart = always");
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:3: depends_on: warning: cache has no [healthcheck]");
    CHECK_INT(c->diags.errors, 1);
    conf_free(c);
    c = t_load(NULL, "api", "[service]\nimage = x\ndepends_on = migrate:completed\n", "migrate",
               "[service]\nimage = x\nrestart = on-failure:3\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "");
    conf_free(c);
}

TEST(port_clashes_between_services)
{
    struct conf *c = t_load(NULL, "a", "[service]\nimage = x\nports = 8080:80 127.0.0.1:9000:9000\n", "b",
                            "[service]\nimage = x\nports = 127.0.0.1:8080:80\nports = 9000:9000\nports = 8080:80/udp\n"
                            "ports = 127.0.0.2:9001:9000\n",
                            NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/b.conf:3: ports: 127.0.0.1:8080/tcp clashes with 0.0.0.0:8080/tcp, already "
                               "published by a (conf.d/a.conf:3)");
    CHECK_CONTAINS(t_diags(c), "conf.d/b.conf:4: ports: 0.0.0.0:9000/tcp clashes with 127.0.0.1:9000/tcp, already "
                               "published by a (conf.d/a.conf:3)");
    CHECK_INT(c->diags.errors, 2); /* udp, and another specific address, do not clash */
    conf_free(c);
    c = t_load(NULL, "a", "[service]\nimage = x\nports = 80:80\n", "b", "[service]\nimage = x\nports = 80:8080\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "conf.d/b.conf:3: ports: 0.0.0.0:80/tcp is already published by a (conf.d/a.conf:3)\n");
    conf_free(c);
}

TEST(internal_ports_published_everywhere_warn)
{
    struct conf *c = t_load(NULL, "redis", "[service]\nimage = r\nports = 6379:6379\n", "mq",
                            "[service]\nimage = m\nports = 127.0.0.1:15672:15672\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/redis.conf:3: ports: warning: port 6379 (usually Redis) is published on every address");
    CHECK_INT(c->diags.warnings, 1);
    CHECK_INT(c->diags.errors, 0);
    conf_free(c);
}

static char tmpdir[64];

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[256];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/rt-unit-XXXXXX");
        if (!mkdtemp(tmpdir))
            abort();
    }
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

TEST(secrets_references)
{
    char drop[512];
    const char *sec = write_file("secrets.env", "# secrets\nREDIS_PASSWORD=s3cret\nexport JWT='quoted'\n", 0600);
    snprintf(drop, sizeof(drop), "[droplet]\nsecrets = %s\n", sec);
    struct conf *c = t_load(drop, "api",
                            "[service]\nimage = x\n"
                            "environment = A=${REDIS_PASSWORD} B=${JWT} C=${MISSING} D=${OPT:-x} E=$$HOME F=$HOME\n"
                            "command = run ${NOPE}\n"
                            "[healthcheck]\nexec = check ${ALSO_NOPE}\n",
                            NULL);
    plan_build(c, NULL, NULL);
    char want[512];
    snprintf(want, sizeof(want), "conf.d/api.conf:3: environment: ${MISSING} is not defined in %s", sec);
    CHECK_CONTAINS(t_diags(c), want);
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:4: command: ${NOPE} is not defined");
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:6: exec: ${ALSO_NOPE} is not defined");
    CHECK_INT(c->diags.errors, 3);
    CHECK(!strstr(t_diags(c), "s3cret"));
    conf_free(c);

    /* no secrets file at all */
    c = t_load(NULL, "api", "[service]\nimage = x\nenvironment = A=${X} B=${Y}\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "conf.d/api.conf:3: environment: ${X} needs a value, but droplet.conf sets no [droplet] "
                          "secrets file\n");
    conf_free(c);
    /* reported at the first use in the file, whatever the key */
    c = t_load(NULL, "api", "[service]\nimage = x\ncommand = run ${A}\nenvironment = B=${B}\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "conf.d/api.conf:3: command: ${A} needs a value, but droplet.conf sets no [droplet] "
                          "secrets file\n"
                          "conf.d/api.conf:3: command: warning: ${A} from [droplet] secrets ends up in the process's "
                          "arguments, which ps shows; pass it in environment (A=${A}) and have the program, or a sh "
                          "-c wrapper, read it there\n");
    conf_free(c);

    /* missing file: a warning, and references cannot be checked */
    c = t_load("[droplet]\nsecrets = /nonexistent/secrets.env\n", "api", "[service]\nimage = x\nenvironment = A=${X}\n",
               NULL);
    plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "conf.d/droplet.conf:2: secrets: warning: /nonexistent/secrets.env does not exist yet; "
                          "services that use ${...} will not start until it does\n");
    conf_free(c);

    /* readable by others, and a bad line: errors that never quote values */
    sec = write_file("open.env", "GOOD=1\nthis is not an assignment hunter2\n", 0644);
    snprintf(drop, sizeof(drop), "[droplet]\nsecrets = %s\n", sec);
    c = t_load(drop, NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "is readable by users other than root (mode 0644");
    CHECK_CONTAINS(t_diags(c), "open.env:2: expected NAME=VALUE");
    CHECK(!strstr(t_diags(c), "hunter2"));
    conf_free(c);
}

/* ${VAR} on a command line: its value would be in the process's
 * arguments, which ps shows. */
TEST(secrets_on_command_lines_warn)
{
    char drop[512];
    const char *sec = write_file("argv.env", "PW=s3cret\nLEVEL=debug\n", 0600);
    snprintf(drop, sizeof(drop), "[droplet]\nsecrets = %s\n", sec);
    struct conf *c = t_load(drop, "a",
                            "[service]\nimage = x\n"
                            "entrypoint = run --pw ${PW} --again ${PW}\n"             /* 3: from secrets, once */
                            "command = --level ${LEVEL:-info} --mode ${MODE:-fast}\n" /* 4: LEVEL is in the file */
                            "environment = PW=${PW}\n"                                /* 5: environment: fine */
                            "[healthcheck]\n"
                            "exec = check ${DB_PASSWORD:-x}\n",                       /* 7: looks secret */
                            NULL);
    plan_build(c, NULL, NULL);
    const char *d = t_diags(c);
    CHECK_INT(c->diags.errors, 0);
    CHECK_INT(c->diags.warnings, 3);
    CHECK_CONTAINS(d, "conf.d/a.conf:3: entrypoint: warning: ${PW} from [droplet] secrets ends up in the process's "
                      "arguments, which ps shows; pass it in environment (PW=${PW})");
    CHECK_CONTAINS(d, "conf.d/a.conf:4: command: warning: ${LEVEL} from [droplet] secrets");
    CHECK(!strstr(d, "${MODE}"));
    CHECK_CONTAINS(d, "conf.d/a.conf:7: exec: warning: ${DB_PASSWORD} looks like a secret and ends up in the "
                      "process's arguments");
    CHECK(!strstr(d, "s3cret"));
    conf_free(c);

    /* without a readable file: what has no default can only come from it */
    c = t_load("[droplet]\nsecrets = /nonexistent/argv.env\n", "a",
               "[service]\nimage = x\ncommand = run ${A} ${B:-b} ${API_TOKEN:-}\n", NULL);
    plan_build(c, NULL, NULL);
    d = t_diags(c);
    CHECK_CONTAINS(d, "conf.d/a.conf:3: command: warning: ${A} from [droplet] secrets");
    CHECK(!strstr(d, "${B}"));
    CHECK_CONTAINS(d, "conf.d/a.conf:3: command: warning: ${API_TOKEN} looks like a secret");
    CHECK_INT(c->diags.warnings, 3); /* and the missing file */
    conf_free(c);
}

TEST(env_file_checks)
{
    char ok[256], open[256], bad[256];
    snprintf(ok, sizeof(ok), "%s", write_file("ok.env", "A=1\n", 0600));
    snprintf(open, sizeof(open), "%s", write_file("open.env", "A=1\n", 0640));
    snprintf(bad, sizeof(bad), "%s", write_file("bad.env", "A=1\nA=2\n1B=3\n", 0600));
    char text[1024];
    snprintf(text, sizeof(text), "[service]\nimage = x\nenv_file = %s\nenv_file = %s\nenv_file = %s\nenv_file = /nonexistent.env\n",
             ok, open, bad);
    struct conf *c = t_load(NULL, "svc", text, NULL);
    plan_build(c, NULL, NULL);
    const char *d = t_diags(c);
    CHECK_CONTAINS(d, "conf.d/svc.conf:4: env_file: ");
    CHECK_CONTAINS(d, "is readable by users other than root (mode 0640, owner uid 0); chown root and chmod 600 it");
    CHECK_CONTAINS(d, "bad.env:2: A is set twice (first at line 1)");
    CHECK_CONTAINS(d, "bad.env:3: invalid variable name");
    CHECK_CONTAINS(d, "conf.d/svc.conf:6: env_file: warning: /nonexistent.env does not exist yet");
    CHECK_INT(c->diags.errors, 3);
    CHECK_INT(c->diags.warnings, 1);
    conf_free(c);
    if (geteuid() == 0) {
        const char *theirs = write_file("theirs.env", "A=1\n", 0600);
        if (chown(theirs, 1000, 1000) == 0) {
            snprintf(text, sizeof(text), "[service]\nimage = x\nenv_file = %s\n", theirs);
            c = t_load(NULL, "svc", text, NULL);
            plan_build(c, NULL, NULL);
            CHECK_CONTAINS(t_diags(c), "(mode 0600, owner uid 1000)");
            conf_free(c);
        }
    }
}

TEST(plan_print_hides_secrets)
{
    char sec[256], envf[256];
    snprintf(sec, sizeof(sec), "%s", write_file("print.env", "PW=topsecret\n", 0600));
    snprintf(envf, sizeof(envf), "%s", write_file("svc.env", "TOKEN=alsosecret\n", 0600));
    char drop[512], svc[1024];
    snprintf(drop, sizeof(drop), "[droplet]\nsecrets = %s\n", sec);
    snprintf(svc, sizeof(svc),
             "[service]\nimage = x\nenvironment = URL=redis://:${PW}@r API_TOKEN=literal-secret 'MSG=hi there'\n"
             "env_file = %s\ncommand = sh -c 'echo $HOME'\n",
             envf);
    struct conf *c = t_load(drop, "svc", svc, NULL);
    char *buf = t_plan_text(c);
    CHECK(!strstr(buf, "topsecret"));
    CHECK(!strstr(buf, "alsosecret"));
    CHECK(!strstr(buf, "literal-secret"));
    CHECK_CONTAINS(buf, "environment = API_TOKEN=<redacted>\n");
    CHECK_CONTAINS(buf, "environment = URL=redis://:${PW}@r\n");
    CHECK_CONTAINS(buf, "environment = 'MSG=hi there'\n");
    CHECK_CONTAINS(buf, "command = [\"sh\", \"-c\", \"echo $HOME\"]\n");
    CHECK_CONTAINS(buf, "# start order (services of one stage start together):\n#   1. svc\n");
    free(buf);
    conf_free(c);
}

/* What config check prints must itself be a valid configuration that
 * means the same: parse the printed service back and compare. */
TEST(plan_print_round_trips)
{
    const char *text = "[service]\nimage = redis:7\nentrypoint = []\ncommand = a 'b c' ${X:-d}\n"
                       "environment = K='v w'\nuser = 999:999\nworking_dir = /data\nhostname = cache\n"
                       "ports = 127.0.0.1:6380:6379 53:53/udp\nvolumes = data:/data /etc/x:/x:ro\n"
                       "tmpfs = /tmp:size=1M,mode=1777,exec\ndevices = /dev/null:/dev/n:wr /dev/zero\n"
                       "read_only = true\ninit = true\ncap_add = NET_ADMIN SYS_TIME\n"
                       "cap_drop = ALL\nseccomp = unconfined\nnetwork = bridge\nrestart = on-failure:3\n"
                       "stop_signal = SIGINT\nstop_timeout = 1500ms\nmemory_max = 1536M\ncpus = 0.25\n"
                       "pids_max = 100\nulimits = nofile=10:20 core=unlimited\n[healthcheck]\ntcp = 6379\n"
                       "interval = 5s\ntimeout = 1s\nretries = 2\nstart_period = 90s\n";
    static const char drop[] = "[volume]\ndevice = /dev/vdb\n";
    struct conf *c = t_load(drop, "cache", text, NULL);
    char *buf = t_plan_text(c);
    CHECK_STR(t_diags(c), "");
    CHECK_CONTAINS(buf, "devices = /dev/null:/dev/n:rw\ndevices = /dev/zero:/dev/zero:rwm\n");
    CHECK_CONTAINS(buf, "[droplet]\nhostname = droplet\n");
    CHECK_CONTAINS(buf, "proc_hidepid = true\n");
    CHECK_CONTAINS(buf, "read_only = true\ninit = true\n");
    char *svc = strstr(buf, "[service]");
    CHECK(svc != NULL);
    if (svc) {
        struct conf *c2 = t_load(drop, "cache", svc, NULL);
        char *buf2 = t_plan_text(c2);
        CHECK_STR(t_diags(c2), "");
        CHECK_STR(strstr(buf2, "[service]"), svc);
        free(buf2);
        conf_free(c2);
    }
    free(buf);
    conf_free(c);
}

TEST(review_fixes_plan)
{
    /* Redis published from another host port still warns */
    struct conf *c = t_load(NULL, "r", "[service]\nimage = r\nports = 16379:6379\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/r.conf:3: ports: warning: port 6379 (usually Redis) is published on every "
                               "address, so anyone who can reach this host can reach it; publish it as "
                               "127.0.0.1:16379:6379");
    conf_free(c);
    /* ${VAR} on a continuation line is reported at that line */
    c = t_load(NULL, "a", "[service]\nimage = x\ncommand = run\n    --flag ${NOPE}\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/a.conf:4: command: ${NOPE} needs a value");
    conf_free(c);
    /* writable by others is refused too */
    char path[256], text[512];
    snprintf(path, sizeof(path), "%s", write_file("w.env", "A=1\n", 0602));
    snprintf(text, sizeof(text), "[service]\nimage = x\nenv_file = %s\n", path);
    c = t_load(NULL, "a", text, NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "is writable by users other than root (mode 0602, owner uid 0)");
    conf_free(c);
    /* literal command-line secrets are redacted in the plan */
    c = t_load(NULL, "a", "[service]\nimage = x\ncommand = redis-server --requirepass hunter2 --token=abc\n", NULL);
    char *buf = t_plan_text(c);
    CHECK_CONTAINS(buf, "command = [\"redis-server\", \"--requirepass\", \"<redacted>\", \"--token=<redacted>\"]\n");
    CHECK(!strstr(buf, "hunter2") && !strstr(buf, "abc"));
    free(buf);
    conf_free(c);
}

TEST(empty_conf_warns)
{
    struct conf *c = t_load(NULL, NULL);
    plan_build(c, NULL, NULL);
    CHECK_STR(t_diags(c), "conf.d:0: warning: no services defined (no NAME.conf files)\n");
    conf_free(c);
}

/* A fake image store for the planner: two images. */
static int fake_lookup(void *ud, struct arena *a, const char *image, struct image_defaults *out, const char **why)
{
    (void)ud;
    memset(out, 0, sizeof(*out));
    if (streq(image, "broken:1")) {
        *why = "store unreadable";
        return -1;
    }
    if (streq(image, "redis:7")) {
        static char *ep[] = {"docker-entrypoint.sh", NULL}, *cmd[] = {"redis-server", NULL};
        static char *env[] = {"REDIS_VERSION=7.2", NULL}, *vols[] = {"/data", NULL};
        static char *hc[] = {"/bin/sh", "-c", "redis-cli ping", NULL};
        out->has_entrypoint = out->has_cmd = true;
        out->entrypoint = (struct argv){ep, 1, NULL};
        out->cmd = (struct argv){cmd, 1, NULL};
        out->env = env;
        out->nenv = 1;
        out->user = "redis";
        out->workdir = "/data";
        out->stop_signal = 3;
        out->volumes = vols;
        out->nvolumes = 1;
        out->hc.kind = HC_EXEC;
        out->hc.exec = (struct argv){hc, 3, NULL};
        out->hc.interval_ms = 5000;
        out->hc.timeout_ms = 1000;
        out->hc.retries = 2;
        return 1;
    }
    if (streq(image, "bare:1")) {
        (void)a;
        return 1; /* no entrypoint, no cmd, no user, no health check */
    }
    return 0;
}

TEST(image_defaults_fill_what_services_leave_unset)
{
    static const char drop[] = "[volume]\ndevice = /dev/vdb\n";
    struct conf *c = t_load(drop, "cache", "[service]\nimage = redis:7\nvolumes = redis:/data\n", "api",
                            "[service]\nimage = redis:7\nentrypoint = /app/run\nuser = 1000\nstop_signal = SIGINT\n"
                            "depends_on = cache:healthy\n",
                            NULL);
    struct plan *p = plan_build(c, fake_lookup, NULL);
    CHECK_STR(t_diags(c), "");
    const struct plan_svc *cache = &p->svcs[0], *api = &p->svcs[1];
    CHECK_STR(cache->svc->name, "cache");
    CHECK_INT(cache->argv.n, 2);
    CHECK_STR(cache->argv.v[0], "docker-entrypoint.sh");
    CHECK_STR(cache->argv.v[1], "redis-server");
    CHECK_STR(cache->user, "redis");
    CHECK_STR(cache->workdir, "/data");
    CHECK_INT(cache->stop_signal, 3);
    CHECK(cache->hc && cache->hc->kind == HC_EXEC && cache->hc->interval_ms == 5000);
    /* api sets entrypoint: the image's CMD is dropped, as docker does */
    CHECK_INT(api->argv.n, 1);
    CHECK_STR(api->argv.v[0], "/app/run");
    CHECK_STR(api->user, "1000");
    CHECK_INT(api->stop_signal, 2);
    char *text = t_plan_print(p);
    CHECK_CONTAINS(text, "# entrypoint: from the image\nentrypoint = [\"docker-entrypoint.sh\"]\n"
                         "# command: from the image\ncommand = [\"redis-server\"]\n"
                         "# environment from the image: REDIS_VERSION=7.2\n");
    CHECK_CONTAINS(text, "# command: none (setting entrypoint drops the image's)\n");
    CHECK_CONTAINS(text, "# user: from the image\nuser = redis\n");
    CHECK_CONTAINS(text, "# stop_signal: from the image\nstop_signal = SIGQUIT\n");
    CHECK_CONTAINS(text, "# healthcheck: from the image\n[healthcheck]\nexec = [\"/bin/sh\", \"-c\", \"redis-cli ping\"]\n");
    /* the image's VOLUME /data: api's own named volume; cache mounts it */
    CHECK_CONTAINS(text, "name = api\n");
    CHECK_CONTAINS(text, "# VOLUME /data of the image: the named volume .image-volumes/api/data, kept across starts\n"
                         "volumes = /mnt/volume/.image-volumes/api/data:/data\n");
    CHECK_CONTAINS(text, "volumes = /mnt/volume/redis:/data\n# VOLUME /data of the image: in the service's volume at "
                         "/data\n");
    free(text);
    conf_free(c);
    /* without the image, nothing is known of its volumes: nothing said */
    c = t_load(drop, "api", "[service]\nimage = redis:7\n", NULL);
    text = t_plan_text(c);
    CHECK(!strstr(text, "VOLUME") && !strstr(text, IMGVOL_DIR));
    free(text);
    conf_free(c);
    /* without a block volume device: said once per service, as for its own */
    c = t_load(NULL, "api", "[service]\nimage = redis:7\n", "b", "[service]\nimage = redis:7\nvolumes = x:/x\n",
               NULL);
    plan_build(c, fake_lookup, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:2: volumes: warning: the image's VOLUME /data gets the named volume "
                               ".image-volumes/api/data, but droplet.conf sets no [volume] device: the data will live "
                               "on the root disk under /mnt/volume\n");
    CHECK(!strstr(t_diags(c), "b.conf:2: volumes"));
    CHECK_CONTAINS(t_diags(c), "conf.d/b.conf:3: volumes: warning: 'x' is on the block volume");
    conf_free(c);
}

TEST(image_defaults_checks)
{
    struct conf *c = t_load(NULL, "a", "[service]\nimage = bare:1\n", "b",
                            "[service]\nimage = bare:1\ncommand = run\ndepends_on = a:healthy\n", "c",
                            "[service]\nimage = missing:1\ncommand = x\nuser = 1\n", "d",
                            "[service]\nimage = broken:1\nuser = 1\n", NULL);
    plan_build(c, fake_lookup, NULL);
    const char *d = t_diags(c);
    CHECK_CONTAINS(d, "conf.d/a.conf:2: image: nothing to run: neither conf.d/a.conf nor the image bare:1 gives an "
                      "entrypoint or a command\n");
    CHECK_CONTAINS(d, "conf.d/a.conf:2: user: warning: a runs as root");
    CHECK_CONTAINS(d, "conf.d/b.conf:4: depends_on: a:healthy can never happen: neither conf.d/a.conf nor its image "
                      "bare:1 defines a health check");
    CHECK_CONTAINS(d, "conf.d/c.conf:2: image: warning: missing:1 is not in the image store; import it with rtctl "
                      "image import\n");
    CHECK_CONTAINS(d, "conf.d/d.conf:2: image: warning: cannot look broken:1 up: store unreadable\n");
    CHECK(!strstr(d, "VOLUME"));
    CHECK_INT(c->diags.errors, 2);
    conf_free(c);
}

TEST(images_required_where_conf_d_runs)
{
    /* rtinit --check and a reload: an image the store lacks (or cannot
     * read) is an error at its `image =` line, naming the reference */
    struct conf *c = t_load(NULL, "a", "[service]\nimage = redis:7\n", "c",
                            "[service]\ncommand = x\nimage = missing:1\nuser = 1\n", "d",
                            "[service]\nimage = broken:1\nuser = 1\n", NULL);
    plan_build_flags(c, fake_lookup, NULL, PLAN_NEED_IMAGES);
    const char *d = t_diags(c);
    CHECK_CONTAINS(d, "conf.d/c.conf:3: image: missing:1 is not in the image store; import it with rtctl image "
                      "import\n");
    CHECK_CONTAINS(d, "conf.d/d.conf:2: image: cannot look broken:1 up: store unreadable\n");
    CHECK_INT(c->diags.errors, 2);
    conf_free(c);
    /* no store at all: nothing is stored */
    c = t_load(NULL, "a", "[service]\nimage = redis:7\ncommand = x\n", NULL);
    plan_build_flags(c, NULL, NULL, PLAN_NEED_IMAGES);
    CHECK_CONTAINS(t_diags(c), "conf.d/a.conf:2: image: redis:7 is not in the image store");
    CHECK_INT(c->diags.errors, 1);
    conf_free(c);
    /* elsewhere (rtctl config check without a store) nothing is said */
    c = t_load(NULL, "a", "[service]\nimage = redis:7\ncommand = x\nuser = 1\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_INT(c->diags.errors + c->diags.warnings, 0);
    conf_free(c);
}

TEST(host_services_in_the_plan)
{
    /* no [healthcheck] on a host service: no image can bring one */
    struct conf *c = t_load(NULL, "api", "[service]\nimage = x\ndepends_on = sshd:healthy\n", "sshd",
                            "[service]\nhost = true\ncommand = sshd -D\n", NULL);
    plan_build(c, NULL, NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:3: depends_on: sshd:healthy can never happen: sshd is a host service "
                               "without a [healthcheck]; add one to conf.d/sshd.conf or wait for sshd:started");
    conf_free(c);
    /* with one, and with the images required (rtinit --check, a reload):
     * a host service needs none */
    c = t_load(NULL, "api", "[service]\nimage = x\ndepends_on = sshd:healthy\n", "sshd",
               "[service]\nhost = true\ncommand = sshd -D\n[healthcheck]\ntcp = 22\n", NULL);
    struct plan *p = plan_build_flags(c, NULL, NULL, PLAN_NEED_IMAGES);
    CHECK_STR(order_of(p), "sshd/1 api/2");
    CHECK_CONTAINS(t_diags(c), "conf.d/api.conf:2: image: x is not in the image store");
    CHECK(strstr(t_diags(c), "sshd.conf") == NULL);
    CHECK_STR(p->svcs[0].argv.v[1], "-D");
    conf_free(c);
}
