/* The conf.d language: every key, every default, and the errors each key
 * can give, checked on the parsed structures and the FILE:LINE messages. */
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "../../config/device.h"
#include "helpers.h"
#include "t.h"

static const struct svc_conf *only(const struct conf *c)
{
    return c->nsvcs ? c->svcs[0] : NULL;
}

/* A service with an image and one more line; returns its conf. */
static struct conf *with(const char *line)
{
    static char buf[8192];
    snprintf(buf, sizeof(buf), "[service]\nimage = alpine:3\n%s\n", line);
    return t_svc(buf);
}

/* The message for a one-line service: error expected on line 3. */
static const char *err_of(const char *line)
{
    struct conf *c = with(line);
    static char msg[4096];
    snprintf(msg, sizeof(msg), "%s", t_diags(c));
    if (c->diags.errors == 0 || t_count_at(c, 3) == 0)
        snprintf(msg, sizeof(msg), "(no error at line 3 for '%s': %s)", line, t_diags(c));
    conf_free(c);
    return msg;
}

TEST(droplet_defaults)
{
    struct conf *c = t_load("", NULL);
    const struct droplet_conf *d = &c->droplet;
    CHECK_INT(c->diags.n, 0);
    CHECK_STR(d->hostname, "droplet");
    CHECK(d->nmodules >= 4);
    bool has_overlay = false;
    for (size_t i = 0; i < d->nmodules; i++)
        has_overlay |= streq(d->modules[i], "overlay");
    CHECK(has_overlay);
    CHECK(d->secrets == NULL);
    CHECK(d->volume.device == NULL);
    CHECK_STR(d->volume.fstype, "ext4");
    CHECK_STR(d->volume.mountpoint, "/mnt/volume");
    CHECK_STR(d->volume.options, "defaults");
    CHECK_INT(d->volume.timeout_ms, 30000);
    CHECK_STR(d->network.bridge, "rt0");
    CHECK_INT(d->network.subnet, 0x0a580000);
    CHECK_INT(d->network.prefix, 24);
    CHECK_INT(d->network.gateway, 0x0a580001);
    CHECK_INT(d->network.mtu, 1500);
    CHECK_INT(d->network.ndns, 0);
    CHECK_STR(d->logging.dir, "/tmp/rt-unit-root/log"); /* --root moves the default */
    CHECK_INT(d->logging.max_size, 10 << 20);
    CHECK_INT(d->logging.max_files, 5);
    conf_free(c);
}

TEST(droplet_absent_is_defaults)
{
    struct conf *c = t_load(NULL, NULL);
    CHECK(!c->droplet.present);
    CHECK_STR(c->droplet.hostname, "droplet");
    CHECK_INT(c->droplet.network.gateway, 0x0a580001);
    conf_free(c);
}

TEST(droplet_every_key)
{
    struct conf *c = t_load("[droplet]\n"
                            "hostname = codecave\n"
                            "modules = bridge veth\n"
                            "modules = overlay\n"
                            "secrets = secrets.env\n"
                            "[volume]\n"
                            "device = LABEL=vol1\n"
                            "fstype = xfs\n"
                            "mountpoint = /mnt/volume_nyc3_01/\n"
                            "options = defaults,noatime\n"
                            "timeout = 1m\n"
                            "[network]\n"
                            "bridge = br-cc\n"
                            "subnet = 172.30.0.0/16\n"
                            "gateway = 172.30.0.254\n"
                            "mtu = 1400\n"
                            "dns = 1.1.1.1 9.9.9.9\n"
                            "[logging]\n"
                            "dir = /var/log/cc\n"
                            "max_size = 1M\n"
                            "max_files = 3\n",
                            NULL);
    const struct droplet_conf *d = &c->droplet;
    CHECK_STR(t_diags(c), "");
    CHECK_STR(d->hostname, "codecave");
    CHECK_INT(d->nmodules, 3);
    CHECK_STR(d->modules[2], "overlay");
    CHECK_STR(d->secrets, "conf.d/secrets.env");
    CHECK_STR(d->volume.device, "LABEL=vol1");
    CHECK_STR(d->volume.fstype, "xfs");
    CHECK_STR(d->volume.mountpoint, "/mnt/volume_nyc3_01");
    CHECK_STR(d->volume.options, "defaults,noatime");
    CHECK_INT(d->volume.timeout_ms, 60000);
    CHECK_STR(d->network.bridge, "br-cc");
    CHECK_INT(d->network.subnet, 0xac1e0000);
    CHECK_INT(d->network.prefix, 16);
    CHECK_INT(d->network.gateway, 0xac1e00fe);
    CHECK_INT(d->network.mtu, 1400);
    CHECK_INT(d->network.ndns, 2);
    CHECK_INT(d->network.dns[1], 0x09090909);
    CHECK_STR(d->logging.dir, "/var/log/cc");
    CHECK_INT(d->logging.max_size, 1 << 20);
    CHECK_INT(d->logging.max_files, 3);
    conf_free(c);
}

TEST(droplet_bad_subnet_does_not_blame_gateway)
{
    struct conf *c = t_load("[network]\nsubnet = 172.20.0.1/16\ngateway = 172.20.0.1\n", NULL);
    CHECK_STR(t_diags(c), "conf.d/droplet.conf:2: subnet: host bits are set; the network is 172.20.0.0/16\n");
    conf_free(c);
}

TEST(droplet_modules_empty_means_none)
{
    struct conf *c = t_load("[droplet]\nmodules =\n", NULL);
    CHECK_INT(c->diags.n, 0);
    CHECK_INT(c->droplet.nmodules, 0);
    conf_free(c);
}

TEST(droplet_gateway_default_follows_subnet)
{
    struct conf *c = t_load("[network]\nsubnet = 192.168.50.0/24\n", NULL);
    CHECK_INT(c->droplet.network.gateway, 0xc0a83201);
    conf_free(c);
}

TEST(droplet_errors)
{
    struct {
        const char *text;
        int line;
        const char *want;
    } cases[] = {
        {"[droplet]\nhostname = Bad_Host\n", 2, "hostname: 'Bad_Host' is not a valid hostname"},
        {"[droplet]\nmodules = br/idge\n", 2, "modules: 'br/idge' is not a kernel module name"},
        {"[volume]\ndevice = sda1\n", 2, "device: expected a device path under /dev"},
        {"[volume]\ndevice = LABEL=\n", 2, "device: 'LABEL=' names no label"},
        {"[volume]\nfstype = EXT4\n", 2, "fstype: 'EXT4' is not a file system type"},
        {"[volume]\nmountpoint = mnt/vol\n", 2, "mountpoint: the mountpoint must be an absolute path"},
        {"[volume]\nmountpoint = /\n", 2, "mountpoint: the block volume cannot be mounted on /"},
        {"[volume]\nmountpoint = /mnt/../etc\n", 2, "mountpoint: '..' is not allowed"},
        {"[volume]\noptions = a b\n", 2, "options: unexpected character ' '"},
        {"[volume]\ntimeout = 30\n", 2, "timeout: missing unit"},
        {"[network]\nbridge = averyveryverylongname\n", 2, "bridge: 'averyveryverylongname' is too long"},
        {"[network]\nbridge = a/b\n", 2, "bridge: 'a/b' is not a valid interface name"},
        {"[network]\nsubnet = 10.88.0.1/24\n", 2, "subnet: host bits are set; the network is 10.88.0.0/24"},
        {"[network]\nsubnet = 10.0.0.0/31\n", 2, "subnet: prefix length must be between /8 and /29"},
        {"[network]\nsubnet = 10.88.0.0/24\ngateway = 10.89.0.1\n", 3, "gateway: 10.89.0.1 is not a host address in 10.88.0.0/24"},
        {"[network]\ngateway = 10.88.0.255\n", 2, "gateway: 10.88.0.255 is not a host address"},
        {"[network]\ngateway = ten\n", 2, "gateway: 'ten' is not an IPv4 address"},
        {"[network]\nmtu = 100\n", 2, "mtu: number out of range (576 to 65535)"},
        {"[network]\ndns = 1.1.1\n", 2, "dns: '1.1.1' is not an IPv4 address"},
        {"[logging]\ndir = logs\n", 2, "dir: the log directory must be an absolute path"},
        {"[logging]\nmax_size = 1K\n", 2, "max_size: at least 64K"},
        {"[logging]\nmax_files = 0\n", 2, "max_files: number out of range (1 to 1000)"},
        {"[service]\nimage = x\n", 1, "[service] belongs in a service file (NAME.conf), not in droplet.conf"},
        {"[logs]\ndir = /x\n", 1, "unknown section [logs] (did you mean [logging]?)"},
        {"[volume]\nmount = /x\n", 2, "mount: unknown key in [volume] (did you mean 'mountpoint'?)"},
        {"[droplet]\ndevice = /dev/sdb\n", 2, "device: unknown key in [droplet]; it belongs in [volume]"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct conf *c = t_load(cases[i].text, NULL);
        char want[512];
        snprintf(want, sizeof(want), "conf.d/droplet.conf:%d: %s", cases[i].line, cases[i].want);
        CHECK_CONTAINS(t_diags(c), want);
        CHECK(c->diags.errors >= 1);
        conf_free(c);
    }
}

TEST(service_defaults)
{
    struct conf *c = t_svc("[service]\nimage = alpine:3\n");
    const struct svc_conf *s = only(c);
    CHECK_STR(t_diags(c), "");
    CHECK_STR(s->name, "svc");
    CHECK_STR(s->file, "conf.d/svc.conf");
    CHECK_STR(s->image, "alpine:3");
    CHECK(!s->set[K_ENTRYPOINT].line && !s->set[K_COMMAND].line); /* the image's */
    CHECK_INT(s->nenv, 0);
    CHECK_INT(s->nenv_files, 0);
    CHECK(s->user == NULL && s->working_dir == NULL);
    CHECK_STR(s->hostname, "svc");
    CHECK_INT(s->nports + s->nvolumes + s->ntmpfs + s->ndeps + s->nulimits, 0);
    CHECK(!s->read_only);
    CHECK(!s->init);
    CHECK(!s->cap_add && !s->cap_drop && !s->cap_add_all && !s->cap_drop_all);
    CHECK_INT(s->seccomp, SECCOMP_DEFAULT);
    CHECK_INT(s->network, NET_BRIDGE);
    CHECK_INT(s->restart, RESTART_NO);
    CHECK_INT(s->stop_signal, SIGTERM);
    CHECK_INT(s->stop_timeout_ms, 10000);
    CHECK_INT(s->memory_max, 0);
    CHECK_INT(s->cpus_milli, 0);
    CHECK_INT(s->pids_max, 0);
    CHECK_INT(s->hc.kind, HC_NONE);
    CHECK_INT(s->hc.interval_ms, 30000);
    CHECK_INT(s->hc.timeout_ms, 30000);
    CHECK_INT(s->hc.retries, 3);
    CHECK_INT(s->hc.start_period_ms, 0);
    CHECK_INT(s->hc.start_interval_ms, 5000);
    conf_free(c);
}

TEST(service_every_key)
{
    struct conf *c = t_load("[volume]\ndevice = /dev/vdb\nmountpoint = /mnt/vol\n", "api",
                            "[service]\n"
                            "name = backend\n"
                            "image = registry.example:5000/codecave/api:1.2@sha256:"
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                            "entrypoint = [\"/sbin/tini\", \"--\"]\n"
                            "command = node dist/main.js --port \"30 01\"\n"
                            "environment = A=1 'B=two words'\n"
                            "environment = URL=redis://:${PW}@redis:6379\n"
                            "env_file = api.env\n"
                            "env_file = /etc/rt/shared.env\n"
                            "user = nestjs:nestjs\n"
                            "working_dir = /app/\n"
                            "hostname = api.internal\n"
                            "ports = 80:8000 127.0.0.1:8001:8001 53:53/udp\n"
                            "volumes = data:/data /etc/ssl:/etc/ssl:ro\n"
                            "tmpfs = /tmp:size=64M,mode=1777 /run:exec\n"
                            "read_only = yes\n"
                            "init = true\n"
                            "cap_add = NET_BIND_SERVICE\n"
                            "cap_drop = ALL\n"
                            "seccomp = unconfined\n"
                            "network = bridge\n"
                            "depends_on = redis:healthy db migrate:completed\n"
                            "restart = on-failure:5\n"
                            "stop_signal = SIGQUIT\n"
                            "stop_timeout = 1m30s\n"
                            "memory_max = 1G\n"
                            "cpus = 1.5\n"
                            "pids_max = 512\n"
                            "ulimits = nofile=1024:65536 core=0\n"
                            "[healthcheck]\n"
                            "http = http://localhost:3001/health?deep=1\n"
                            "interval = 10s\n"
                            "timeout = 2s\n"
                            "retries = 5\n"
                            "start_period = 1m\n"
                            "start_interval = 500ms\n",
                            NULL);
    const struct svc_conf *s = only(c);
    CHECK_STR(t_diags(c), "");
    if (!s)
        return;
    CHECK_STR(s->name, "backend");
    CHECK_STR(s->file, "conf.d/api.conf");
    CHECK_INT(s->entrypoint.n, 2);
    CHECK_STR(s->entrypoint.v[0], "/sbin/tini");
    CHECK_INT(s->command.n, 4);
    CHECK_STR(s->command.v[3], "30 01");
    CHECK_INT(s->nenv, 3);
    CHECK_STR(s->env[1].name, "B");
    CHECK_STR(s->env[1].value, "two words");
    CHECK_STR(s->env[2].value, "redis://:${PW}@redis:6379");
    CHECK_INT(s->env[2].at.line, 7);
    CHECK_INT(s->nenv_files, 2);
    CHECK_STR(s->env_files[0].path, "conf.d/api.env");
    CHECK_STR(s->env_files[1].path, "/etc/rt/shared.env");
    CHECK_STR(s->user, "nestjs:nestjs");
    CHECK_STR(s->working_dir, "/app");
    CHECK_STR(s->hostname, "api.internal");
    CHECK_INT(s->nports, 3);
    CHECK_INT(s->ports[0].host_ip, 0);
    CHECK_INT(s->ports[0].host_port, 80);
    CHECK_INT(s->ports[0].ctr_port, 8000);
    CHECK_INT(s->ports[1].host_ip, 0x7f000001);
    CHECK_INT(s->ports[2].proto, IPPROTO_UDP);
    CHECK_INT(s->nvolumes, 2);
    CHECK_STR(s->volumes[0].host_path, "/mnt/vol/data");
    CHECK_STR(s->volumes[0].dst, "/data");
    CHECK(!s->volumes[0].ro);
    CHECK(s->volumes[1].ro);
    CHECK_STR(s->volumes[1].host_path, "/etc/ssl");
    CHECK_INT(s->ntmpfs, 2);
    CHECK_STR(s->tmpfs[0].options, "size=64M,mode=1777");
    CHECK(s->tmpfs[0].flags & MS_NOEXEC);
    CHECK(!(s->tmpfs[1].flags & MS_NOEXEC));
    CHECK(s->read_only);
    CHECK(s->init);
    CHECK_INT(s->cap_add, 1ULL << 10); /* CAP_NET_BIND_SERVICE */
    CHECK(s->cap_drop_all);
    CHECK_INT(s->seccomp, SECCOMP_UNCONFINED);
    CHECK_INT(s->network, NET_BRIDGE);
    CHECK_INT(s->ndeps, 3);
    CHECK_INT(s->deps[0].cond, DEP_HEALTHY);
    CHECK_INT(s->deps[1].cond, DEP_STARTED);
    CHECK_INT(s->deps[2].cond, DEP_COMPLETED);
    CHECK_INT(s->restart, RESTART_ON_FAILURE);
    CHECK_INT(s->restart_max, 5);
    CHECK_INT(s->stop_signal, SIGQUIT);
    CHECK_INT(s->stop_timeout_ms, 90000);
    CHECK_INT(s->memory_max, 1ULL << 30);
    CHECK_INT(s->cpus_milli, 1500);
    CHECK_INT(s->pids_max, 512);
    CHECK_INT(s->nulimits, 2);
    CHECK_INT(s->ulimits[0].resource, RLIMIT_NOFILE);
    CHECK_INT(s->ulimits[0].soft, 1024);
    CHECK_INT(s->ulimits[0].hard, 65536);
    CHECK_INT(s->ulimits[1].hard, 0);
    CHECK_INT(s->hc.kind, HC_HTTP);
    CHECK_INT(s->hc.addr, 0x7f000001);
    CHECK_INT(s->hc.port, 3001);
    CHECK_STR(s->hc.path, "/health?deep=1");
    CHECK_INT(s->hc.interval_ms, 10000);
    CHECK_INT(s->hc.timeout_ms, 2000);
    CHECK_INT(s->hc.retries, 5);
    CHECK_INT(s->hc.start_period_ms, 60000);
    CHECK_INT(s->hc.start_interval_ms, 500);
    CHECK_INT(s->hc.at.line, 30);
    CHECK_INT(s->env[0].at.line, 6);
    conf_free(c);
}

TEST(healthcheck_tcp_and_exec)
{
    struct conf *c = t_svc("[service]\nimage = a\n[healthcheck]\ntcp = 6379\n");
    CHECK_INT(only(c)->hc.kind, HC_TCP);
    CHECK_INT(only(c)->hc.port, 6379);
    CHECK_INT(only(c)->hc.addr, 0x7f000001);
    conf_free(c);
    c = t_svc("[service]\nimage = a\n[healthcheck]\ntcp = 127.0.0.2:80\n");
    CHECK_INT(only(c)->hc.addr, 0x7f000002);
    conf_free(c);
    c = t_svc("[service]\nimage = a\n[healthcheck]\nexec = sh -c 'redis-cli ping | grep -q PONG'\n");
    CHECK_INT(only(c)->hc.kind, HC_EXEC);
    CHECK_INT(only(c)->hc.exec.n, 3);
    CHECK_STR(only(c)->hc.exec.v[2], "redis-cli ping | grep -q PONG");
    conf_free(c);
    c = t_svc("[service]\nimage = a\n[healthcheck]\nhttp = http://127.0.0.1\n");
    CHECK_INT(only(c)->hc.port, 80);
    CHECK_STR(only(c)->hc.path, "/");
    conf_free(c);
}

TEST(network_restart_seccomp_variants)
{
    struct {
        const char *line;
        int net, restart;
    } v[] = {
        {"network = none", NET_NONE, RESTART_NO},
        {"network = host", NET_HOST, RESTART_NO},
        {"restart = always", NET_BRIDGE, RESTART_ALWAYS},
        {"restart = unless-stopped", NET_BRIDGE, RESTART_UNLESS_STOPPED},
        {"restart = on-failure", NET_BRIDGE, RESTART_ON_FAILURE},
        {"restart = no", NET_BRIDGE, RESTART_NO},
    };
    for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
        struct conf *c = with(v[i].line);
        CHECK_INT(c->diags.n, 0);
        CHECK_INT(only(c)->network, v[i].net);
        CHECK_INT(only(c)->restart, v[i].restart);
        conf_free(c);
    }
    struct conf *c = with("seccomp = default");
    CHECK_INT(only(c)->seccomp, SECCOMP_DEFAULT);
    conf_free(c);
    c = with("pids_max = max");
    CHECK_INT(only(c)->pids_max, 0);
    conf_free(c);
    c = with("depends_on = db:service_healthy");
    CHECK_INT(only(c)->deps[0].cond, DEP_HEALTHY);
    conf_free(c);
    c = with("ulimits = nofile=unlimited");
    CHECK(only(c)->ulimits[0].soft == UNLIMITED && only(c)->ulimits[0].hard == UNLIMITED);
    conf_free(c);
}

TEST(seccomp_profile_file)
{
    char dir[] = "/tmp/rt-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char good[300], bad[300];
    snprintf(good, sizeof(good), "%s/good.json", dir);
    snprintf(bad, sizeof(bad), "%s/bad.json", dir);
    FILE *f = fopen(good, "w");
    fputs("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []}", f);
    fclose(f);
    f = fopen(bad, "w");
    fputs("{\"defaultAction\": \n", f);
    fclose(f);
    char line[400];
    snprintf(line, sizeof(line), "seccomp = %s", good);
    struct conf *c = with(line);
    CHECK_STR(t_diags(c), "");
    CHECK_INT(only(c)->seccomp, SECCOMP_PROFILE);
    CHECK_STR(only(c)->seccomp_profile, good);
    conf_free(c);
    snprintf(line, sizeof(line), "seccomp = %s", bad);
    c = with(line);
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:3: seccomp: ");
    CHECK_CONTAINS(t_diags(c), "bad.json:2:");
    conf_free(c);
    c = with("seccomp = /nonexistent/profile.json");
    CHECK_CONTAINS(t_diags(c), "seccomp: /nonexistent/profile.json:");
    conf_free(c);
    unlink(good);
    unlink(bad);
    rmdir(dir);
}

TEST(service_value_errors)
{
    struct {
        const char *line, *want;
    } cases[] = {
        {"name = Web", "name: 'Web' is not a valid service name: must be lowercase"},
        {"name = -web", "must not begin or end with '-'"},
        {"entrypoint = [\"a\",", "entrypoint: invalid JSON array at column"},
        {"command = sh -c 'unterminated", "command: unterminated single quote"},
        {"command = echo ${", "command: unterminated ${"},
        {"command = echo ${1X}", "command: invalid variable name in ${...}"},
        {"environment = JUSTNAME", "'JUSTNAME' is not NAME=VALUE; to take JUSTNAME from [droplet] secrets write JUSTNAME=${JUSTNAME}"},
        {"environment = =v", "environment: missing variable name before '='"},
        {"environment = 1A=v", "environment: '1A' is not a valid variable name"},
        {"environment = A=1 A=2", "environment: A is set twice (first at line 3)"},
        {"environment = A=${", "environment: unterminated ${"},
        {"env_file = a.env a.env", "env_file: a.env is listed twice"},
        {"user = bad user", "user: 'bad user' is neither a uid nor a user name"},
        {"user = \"app\"", NULL}, /* a single value may be quoted as a whole */
        {"environment = MSG=hello big world B=1", "environment: 'big' is not NAME=VALUE; quote a value that contains spaces: MSG=\"hello big world\"\n"},
        {"environment = - A=1", "environment: '-' looks like a YAML list item"},
        {"working_dir = ${HOME}", "working_dir: ${...} is expanded only in environment, command, entrypoint"},
        {"volumes = ~/data:/data", "'~' is not expanded; write the absolute path"},
        {"env_file = ~/x.env", "env_file: '~' is not expanded"},
        {"user = app:bad group", "user: 'bad group' is neither a gid nor a group name"},
        {"user = 4294967295", "neither a uid nor a user name"},
        {"working_dir = app", "working_dir: working_dir must be an absolute path"},
        {"working_dir = /app/../etc", "working_dir: '..' is not allowed in working_dir"},
        {"hostname = my_host", "hostname: 'my_host' is not a valid hostname: may contain only a-z, 0-9 and '-'"},
        {"ports = 80", "a random host port is not supported"},
        {"ports = 80:8000/sctp", "protocol must be tcp or udp"},
        {"ports = [::1]:80:80", "IPv6 host addresses are not supported"},
        {"ports = 8000-8010:8000-8010", "port ranges are not supported"},
        {"ports = 0:80", "host port '0' must be 1 to 65535"},
        {"ports = 80:70000", "container port '70000' must be 1 to 65535"},
        {"ports = 1.2.3:80:80", "'1.2.3' is not an IPv4 address"},
        {"ports = 80:80 0.0.0.0:80:81", "host port 80/tcp is already published at line 3"},
        {"ports = a:b:c:d", "expected [HOSTIP:]HOST:CONTAINER[/tcp|/udp]"},
        {"volumes = /data", "volumes: '/data': expected SRC:DST[:ro]"},
        {"volumes = ../etc:/etc", "source escapes the block volume (/mnt/volume)"},
        {"volumes = a/../../x:/x", "source escapes the block volume"},
        {"volumes = .image-volumes/web/data:/x", "'.image-volumes/web/data:/x': /mnt/volume/.image-volumes holds the "
                                                 "volumes that images declare (VOLUME), one per service and path; "
                                                 "choose another name"},
        {"volumes = ./x/../.image-volumes:/x", "/mnt/volume/.image-volumes holds the volumes that images declare"},
        {"volumes = .image-volumes2:/x image-volumes:/y", NULL}, /* only that directory is kept */
        {"volumes = data:data", "the container path must be absolute"},
        {"volumes = data:/a/../b", "'..' is not allowed in the container path"},
        {"volumes = data:/", "cannot mount over the container's root"},
        {"volumes = data:/d:z", "unknown option 'z' (ro or rw)"},
        {"volumes = /x/../y:/d", "'..' is not allowed in an absolute source path"},
        {"volumes = a:/d b:/d/", "/d is already mounted at line 3"},
        {"volumes = :/d", "empty source path"},
        {"tmpfs = tmp", "tmpfs: 'tmp': the path must be absolute"},
        {"tmpfs = /tmp:size=1", "size must be at least 4K"},
        {"tmpfs = /tmp:mode=999", "mode must be octal"},
        {"tmpfs = /tmp:uid=x", "uid and gid must be numbers"},
        {"tmpfs = /tmp:huge", "unknown tmpfs option 'huge'"},
        {"tmpfs = /tmp /tmp", "/tmp is already a tmpfs at line 3"},
        {"tmpfs = /tmp:size=200%", "size percentage must be 1% to 100%"},
        {"read_only = maybe", "read_only: expected true or false"},
        {"init = tini", "init: expected true or false"},
        {"cap_add = NET_ADMINS", "cap_add: 'NET_ADMINS': unknown capability"},
        {"cap_drop = chownn", "cap_drop: 'chownn': unknown capability"},
        {"network = overlay", "network: 'overlay': expected bridge, none or host"},
        {"depends_on = db:ready", "condition must be started, healthy or completed"},
        {"depends_on = Db", "'Db' is not a valid service name"},
        {"depends_on = db db:healthy", "db is already a dependency at line 3"},
        {"restart = sometimes", "expected no, always, on-failure[:N] or unless-stopped"},
        {"restart = on-failure:x", "the retry count must be a number"},
        {"stop_signal = SIGWHAT", "stop_signal: 'SIGWHAT': unknown signal"},
        {"stop_timeout = 10", "stop_timeout: missing unit (ms, s, m or h), e.g. 30s"},
        {"memory_max = 1X", "memory_max: unknown size unit"},
        {"memory_max = 1M", "memory_max: at least 6M"},
        {"cpus = 0", "cpus: must be between 0.01 and 1024"},
        {"cpus = one", "cpus: expected a number"},
        {"pids_max = 0", "pids_max: number out of range (1 to 4194304, or max)"},
        {"ulimits = nofile", "expected NAME=SOFT[:HARD]"},
        {"ulimits = nofiles=10", "unknown limit 'nofiles' (did you mean 'nofile'?)"},
        {"ulimits = nofile=10:5", "the soft limit is above the hard limit"},
        {"ulimits = nofile=ten", "limits must be numbers or unlimited"},
        {"ulimits = nofile=1 nofile=2", "nofile is already limited at line 3"},
        {"image = other", "image: set twice (first at line 2)"},
        {"imagee = x", "imagee: unknown key in [service] (did you mean 'image'?)"},
        {"mem_limit = 1G", "mem_limit: unknown key in [service]: use memory_max"},
        {"container_name = x", "container_name: unknown key in [service]: the service is named after its file"},
        {"interval = 5s", "interval: unknown key in [service]; it belongs in [healthcheck]"},
        {"command =", NULL}, /* explicitly empty: allowed */
        {"user =", "user: empty value"},
        {"ports =", "ports: warning: empty value: nothing is listed"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (!cases[i].want) {
            struct conf *c = with(cases[i].line);
            CHECK_INT(c->diags.errors, 0);
            conf_free(c);
            continue;
        }
        const char *got = err_of(cases[i].line);
        CHECK_CONTAINS(got, cases[i].want);
        CHECK_CONTAINS(got, "conf.d/svc.conf:3: ");
    }
}

TEST(image_references)
{
    const char *ok[] = {"alpine", "alpine:3.19", "redis:7-alpine", "getmeili/meilisearch:v1.10",
                        "localhost:5000/x/y:1", "ghcr.io/a/b", "kong@sha256:"
                        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        char line[256];
        snprintf(line, sizeof(line), "[service]\nimage = %s\n", ok[i]);
        struct conf *c = t_svc(line);
        CHECK_INT(c->diags.n, 0);
        if (c->diags.n)
            t_fail(__FILE__, __LINE__, "%s: %s", ok[i], t_diags(c));
        conf_free(c);
    }
    struct {
        const char *ref, *want;
    } bad[] = {
        {"Redis:7", "repository names must be lowercase"},
        {"redis:", "a tag must be 1 to 128 characters"},
        {"redis:-x", "a tag must not begin"},
        {"redis:a/b", "invalid registry host"}, /* the tag is after the last '/' */
        {"host:/b", "invalid registry host"},
        {"a//b", "empty path component"},
        {"kong@sha256:abc", "the digest must be sha256: followed by 64 hex digits"},
        {":tag", "missing repository name"},
        {"re dis", "invalid character in repository name"},
        {"img:${TAG}", "${...} is expanded only in"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char line[256];
        snprintf(line, sizeof(line), "[service]\nimage = %s\n", bad[i].ref);
        struct conf *c = t_svc(line);
        CHECK_CONTAINS(t_diags(c), bad[i].want);
        conf_free(c);
    }
}

TEST(healthcheck_errors)
{
    struct {
        const char *text, *want;
    } cases[] = {
        {"[healthcheck]\nhttp = https://localhost/", "conf.d/svc.conf:4: http: https is not supported"},
        {"[healthcheck]\nhttp = localhost:80", "http: 'localhost:80': expected a URL such as"},
        {"[healthcheck]\nhttp = http://api:3001/", "http: 'api': use localhost or an IPv4 address"},
        {"[healthcheck]\nhttp = http://localhost:99999/", "port must be 1 to 65535"},
        {"[healthcheck]\nhttp = http://u:p@localhost/", "credentials in the URL are not supported"},
        {"[healthcheck]\nhttp = http:///x", "missing host"},
        {"[healthcheck]\nhttp = http://localhost/a b", "spaces and control characters"},
        {"[healthcheck]\ntcp = 0", "tcp: '0': expected PORT or HOST:PORT"},
        {"[healthcheck]\ntcp = 6379\nexec = true", "conf.d/svc.conf:5: exec: only one of http, tcp and exec may be set (tcp is already set)"},
        {"[healthcheck]\nexec = []", "exec: empty command"},
        {"[healthcheck]\ninterval = 30s", "conf.d/svc.conf:3: [healthcheck] has no check: set http, tcp or exec"},
        {"[healthcheck]\ntcp = 1\ninterval = 10ms", "interval: must be at least 100ms"},
        {"[healthcheck]\ntcp = 1\ntimeout = 1ms", "timeout: must be at least 10ms"},
        {"[healthcheck]\ntcp = 1\nretries = 0", "retries: number out of range (1 to 1000)"},
        {"[healthcheck]\ntcp = 1\nstart_period = x", "start_period: expected a duration"},
        {"[healthcheck]\ntcp = 1\nstart_interval = 5", "start_interval: missing unit (ms, s, m or h), e.g. 30s"},
        {"[healthcheck]\ntcp = 1\nstart_interval = 0", "conf.d/svc.conf:5: start_interval: must be at least 100ms"},
        {"[healthcheck]\ntcp = 1\nstart_interval = 400d", "start_interval: unknown unit"},
        {"[healthcheck]\ntcp = 1\nstart_interval = 9000h", "start_interval: duration too large (at most 365 days)"},
        {"[healthcheck]\ntcp = 1\nstart_interval = 1s", "conf.d/svc.conf:5: start_interval: warning: applies only within start_period, which is not set"},
        {"[healthcheck]\ntcp = 1\nstart_period = 1m\ninterval = 2s\ntimeout = 1s\nstart_interval = 3s", "conf.d/svc.conf:8: start_interval: warning: 3s is longer than the interval (2s), so checks run every 2s in the start period too"},
        {"[healthcheck]\ntcp = 1\nimage = x", "image: unknown key in [healthcheck]; it belongs in [service]"},
        {"[healthcheck]\ntest = [\"CMD\", \"true\"]", "test: unknown key in [healthcheck]: use http = URL, tcp = PORT or exec = CMD"},
        {"[healthcheck]\ntcp = 1\ntimeout = 1m", "timeout: warning: the timeout (1m) is longer than the interval (30s)"},
        {"[healthcheck]\ntcp = 1\ninterval = 5s", "conf.d/svc.conf:5: interval: warning: the timeout (30s) is longer than the interval (5s)"},
        {"[healthcheck]\nexec = [\"CMD-SHELL\", \"curl -f http://localhost/\"]", "exec: 'CMD-SHELL' is docker compose's test syntax, not a program; write exec = sh -c 'curl -f http://localhost/'"},
        {"[healthcheck]\nexec = CMD curl -f http://localhost/", "exec: 'CMD' is docker compose's test syntax, not a program; write exec = [\"curl\", \"-f\", \"http://localhost/\"]"},
        {"[healthcheck]\nexec =\ninterval = 5s", "conf.d/svc.conf:4: exec: empty command: give it on this line or on indented lines below"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char text[512];
        snprintf(text, sizeof(text), "[service]\nimage = a\n%s\n", cases[i].text);
        struct conf *c = t_svc(text);
        CHECK_CONTAINS(t_diags(c), cases[i].want);
        conf_free(c);
    }
}

TEST(healthcheck_exec_on_indented_lines)
{
    struct conf *c = t_svc("[service]\nimage = a\n[healthcheck]\nexec =\n    sh -c\n    'redis-cli ping'\n");
    CHECK_STR(t_diags(c), "");
    CHECK_INT(only(c)->hc.exec.n, 3);
    conf_free(c);
}

TEST(file_level_errors)
{
    struct {
        const char *text, *want;
    } cases[] = {
        {"", "conf.d/svc.conf:1: no [service] section"},
        {"# only a comment\n", "conf.d/svc.conf:1: no [service] section"},
        {"[service]\nname = svc\n", "conf.d/svc.conf:1: image: missing: every service needs an image"},
        {"image = a\n[service]\nimage = a\n", "conf.d/svc.conf:1: image: key outside any section; put it under [service]"},
        {"imgae = a\n[service]\nimage = a\n", "conf.d/svc.conf:1: imgae: key outside any section; start the file with [service]"},
        {"[service\nimage = a\n", "conf.d/svc.conf:1: section header is missing ']'\n"},
        {"[service]\nimage a\n", "conf.d/svc.conf:2: expected 'key = value'"},
        {"[service]\n= a\n", "conf.d/svc.conf:2: missing key name before '='"},
        {"[service]\nimage = a\n[servce]\n", "conf.d/svc.conf:3: unknown section [servce] (did you mean [service]?)"},
        {"[service]\nimage = a\n[network]\n", "conf.d/svc.conf:3: [network] belongs in droplet.conf, not in a service file"},
        {"[service]\nimage = a\n[service]\n", "conf.d/svc.conf:3: section [service] appears twice (first at line 1)"},
        {"[service] junk\nimage = a\n", "conf.d/svc.conf:1: unexpected text after ']'"},
        {"[service]\nimage = a\n  b\n", "conf.d/svc.conf:3: image: 'image' takes one value, and this indented line continues it"},
        {"[service]\nimage = a\n[healthcheck]\n", "conf.d/svc.conf:3: [healthcheck] has no check"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct conf *c = t_svc(cases[i].text);
        CHECK_CONTAINS(t_diags(c), cases[i].want);
        CHECK(c->diags.errors >= 1);
        conf_free(c);
    }
}

TEST(missing_bracket_still_reads_the_section)
{
    struct conf *c = t_svc("[service\nimage = a\nuser = 1\n");
    CHECK_STR(t_diags(c), "conf.d/svc.conf:1: section header is missing ']'\n");
    CHECK_STR(only(c)->user, "1");
    conf_free(c);
}

TEST(unquoted_spaces_reported_once)
{
    struct conf *c = with("environment = MSG=hello big world B=1");
    CHECK_INT(c->diags.n, 1);
    CHECK_INT(only(c)->nenv, 2); /* MSG=hello and B=1; the file is refused anyway */
    conf_free(c);
}

TEST(quoted_single_values)
{
    struct conf *c = with("user = \"1000:1000\"\ncpus = '0.5'\nhostname = \"web\"");
    CHECK_STR(t_diags(c), "");
    CHECK_STR(only(c)->user, "1000:1000");
    CHECK_INT(only(c)->cpus_milli, 500);
    conf_free(c);
}

TEST(every_error_reported_at_once)
{
    struct conf *c = t_svc("[service]\n"
                           "image = Bad\n"
                           "ports = 80\n"
                           "oops\n"
                           "restart = sometimes\n"
                           "memory_max = 1\n"
                           "[healthcheck]\n"
                           "interval = 1\n");
    CHECK_INT(c->diags.errors, 7);
    for (int line = 2; line <= 8; line++)
        if (line != 7)
            CHECK_INT(t_count_at(c, line), 1);
    CHECK_INT(t_count_at(c, 7), 1); /* [healthcheck] without a check */
    conf_free(c);
}

TEST(continuation_lines)
{
    struct conf *c = t_svc("[service]\n"
                           "image = a\n"
                           "environment =\n"
                           "    A=1\n"
                           "    B=2 C=3\n"
                           "\n"
                           "    # a comment between does not end the list\n"
                           "    D=4\n"
                           "command = redis-server\n"
                           "    --appendonly yes\n");
    const struct svc_conf *s = only(c);
    CHECK_STR(t_diags(c), "");
    CHECK_INT(s->nenv, 4);
    CHECK_INT(s->env[3].at.line, 8);
    CHECK_INT(s->command.n, 3);
    CHECK_STR(s->command.v[2], "yes");
    conf_free(c);
    c = t_svc("[service]\nimage = a\ncommand = [\"a\"]\n  [\"b\"]\n");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:4: command: a JSON array must be written on one line");
    conf_free(c);
}

TEST(syntax_details)
{
    /* no inline comments: ';' and '#' after text are part of the value */
    struct conf *c = t_svc("[service]\nimage = a\ncommand = sh -c 'a ; b # c'\n");
    CHECK_STR(only(c)->command.v[2], "a ; b # c");
    conf_free(c);
    /* "key: value" works, CRLF line ends work, a BOM is skipped */
    c = t_svc("\xEF\xBB\xBF[service]\r\nimage: alpine\r\nuser: 1000\r\n");
    CHECK_STR(t_diags(c), "");
    CHECK_STR(only(c)->image, "alpine");
    CHECK_STR(only(c)->user, "1000");
    conf_free(c);
    /* section names are trimmed */
    c = t_svc("[ service ]\nimage = a\n");
    CHECK_STR(t_diags(c), "");
    conf_free(c);
}

TEST(long_lines_and_nul)
{
    size_t n = CONF_MAX_LINE + 100;
    char *text = malloc(n + 64);
    strcpy(text, "[service]\nimage = a\nenvironment = A=");
    size_t l = strlen(text);
    memset(text + l, 'x', n);
    strcpy(text + l + n, "\nuser = 1\n");
    struct conf *c = t_svc(text);
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:3: line is longer than 8192 bytes");
    CHECK_INT(c->diags.errors, 1);
    CHECK_STR(only(c)->user, "1"); /* the next line is still read */
    conf_free(c);
    /* a line just under the limit is fine */
    memset(text + l, 'y', CONF_MAX_LINE - 20);
    strcpy(text + l + CONF_MAX_LINE - 20, "\n");
    c = t_svc(text);
    CHECK_STR(t_diags(c), "");
    conf_free(c);
    free(text);
    static const char nul[] = "[service]\nimage = a\nuser = a\0b\n";
    struct rt_paths p;
    struct rt_err e;
    rt_paths_init(&p, "conf.d", NULL, &e);
    c = conf_new(&p, &e);
    conf_parse_service(c, "conf.d/svc.conf", "svc", nul, sizeof(nul) - 1);
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:3: line contains a NUL byte");
    conf_free(c);
}

TEST(service_name_from_file)
{
    struct conf *c = t_load(NULL, "Bad_Name", "[service]\nimage = a\n", NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/Bad_Name.conf:1: name: the file name makes 'Bad_Name' the service name");
    conf_free(c);
    c = t_load(NULL, "Bad_Name", "[service]\nimage = a\nname = good\n", NULL);
    CHECK_STR(t_diags(c), "");
    CHECK_STR(only(c)->name, "good");
    conf_free(c);
}

TEST(duplicate_service_names)
{
    struct conf *c = t_load(NULL, "cache", "[service]\nname = redis\nimage = a\n", "redis", "[service]\nimage = b\n",
                            NULL);
    /* reported where the clash was made: the name = line of cache.conf */
    CHECK_STR(t_diags(c), "conf.d/cache.conf:2: name: duplicate service 'redis' (also defined in conf.d/redis.conf)\n");
    CHECK_INT(c->nsvcs, 1);
    CHECK_STR(c->svcs[0]->file, "conf.d/redis.conf");
    conf_free(c);
    c = t_load(NULL, "a", "[service]\nname = x\nimage = a\n", "b", "[service]\nimage = b\nname = x\n", NULL);
    CHECK_STR(t_diags(c), "conf.d/b.conf:3: name: duplicate service 'x' (also defined in conf.d/a.conf)\n");
    conf_free(c);
}

TEST(single_service_cross_key_checks)
{
    struct conf *c = with("network = host\nports = 80:80");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:4: ports: publishing ports needs network = bridge");
    conf_free(c);
    c = with("volumes = data:/tmp\ntmpfs = /tmp");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:4: tmpfs: /tmp is also a volume (line 3)");
    conf_free(c);
    c = with("volumes = data:/data");
    CHECK_CONTAINS(t_diags(c), "volumes: warning: 'data' is on the block volume, but droplet.conf sets no [volume] device");
    CHECK_INT(c->diags.errors, 0);
    conf_free(c);
    c = t_load("[volume]\ndevice = /dev/vdb\n", "svc", "[service]\nimage = a\nvolumes = data:/data\n", NULL);
    CHECK_STR(t_diags(c), "");
    conf_free(c);
}

TEST(secret_looking_literals)
{
    struct conf *c = with("environment = DB_PASSWORD=hunter2 JWT_SECRET=${JWT_SECRET} TLS_KEY=/etc/tls/key.pem "
                          "PASSTHROUGH=1");
    CHECK_CONTAINS(t_diags(c), "environment: warning: DB_PASSWORD looks like a secret");
    CHECK_INT(c->diags.warnings, 1);
    CHECK(conf_env_is_secret(&only(c)->env[0]));
    CHECK(!conf_env_is_secret(&only(c)->env[1]));
    CHECK(!conf_env_is_secret(&only(c)->env[2]));
    CHECK(!conf_env_is_secret(&only(c)->env[3]));
    conf_free(c);
}

TEST(conf_load_directory)
{
    char dir[] = "/tmp/rt-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[400];
    const char *files[][2] = {
        {"droplet.conf", "[volume]\nmountpoint = /srv\n"},
        {"web.conf", "[service]\nimage = nginx\nvolumes = www:/www\n"},
        {"web.conf~", "garbage"},
        {".hidden.conf", "garbage"},
        {"notes.txt", "garbage"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        fputs(files[i][1], f);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s/sub.conf", dir);
    mkdir(path, 0755); /* a directory named like a conf file */
    char fifo[400];
    snprintf(fifo, sizeof(fifo), "%s/fifo.conf", dir);
    CHECK(mkfifo(fifo, 0644) == 0); /* must not block the load */
    struct rt_paths p;
    struct rt_err e;
    char withslash[300];
    snprintf(withslash, sizeof(withslash), "%s/", dir);
    rt_paths_init(&p, withslash, NULL, &e);
    struct conf *c = conf_load(&p, &e);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(c->nfiles, 4);
        CHECK_INT(c->nsvcs, 1);
        CHECK_STR(c->svcs[0]->volumes[0].host_path, "/srv/www");
        snprintf(path, sizeof(path), "%s/sub.conf:0: cannot read: not a regular file", dir);
        CHECK_CONTAINS(t_diags(c), path);
        snprintf(path, sizeof(path), "%s/fifo.conf:0: cannot read: not a regular file", dir);
        CHECK_CONTAINS(t_diags(c), path);
        conf_free(c);
    }
    rmdir(path);
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/sub.conf", dir);
    rmdir(path);
    unlink(fifo);
    rmdir(dir);
    rt_paths_init(&p, "/nonexistent/conf.d", NULL, &e);
    CHECK(conf_load(&p, &e) == NULL);
    CHECK_STR(e.msg, "/nonexistent/conf.d: No such file or directory");
}

TEST(paths_and_root)
{
    struct rt_paths p;
    struct rt_err e;
    CHECK(rt_paths_init(&p, NULL, NULL, &e) == 0);
    CHECK_STR(p.conf_dir, "/etc/rt/conf.d");
    CHECK_STR(p.state_dir, "/var/lib/rt");
    CHECK_STR(p.run_dir, "/run/rt");
    CHECK_STR(p.socket, "/run/rt/control.sock");
    CHECK_STR(p.log_dir, "/var/log/rt");
    CHECK(rt_paths_init(&p, "x", "/tmp/r//", &e) == 0);
    CHECK_STR(p.state_dir, "/tmp/r/state");
    CHECK_STR(p.run_dir, "/tmp/r/run");
    CHECK_STR(p.socket, "/tmp/r/run/control.sock");
    CHECK_STR(p.log_dir, "/tmp/r/log");
}

TEST(review_fixes_conf)
{
    /* tmpfs sizes are stored the way the kernel reads them */
    struct conf *c = with("tmpfs = /a:size=64MB /b:size=1.5G /c:size=10%,ro");
    CHECK_STR(t_diags(c), "");
    CHECK_STR(only(c)->tmpfs[0].options, "size=64M");
    CHECK_STR(only(c)->tmpfs[1].options, "size=1536M");
    CHECK_STR(only(c)->tmpfs[2].options, "size=10%");
    CHECK(only(c)->tmpfs[2].flags & MS_RDONLY);
    conf_free(c);
    /* a JSON array cannot be continued, not even with plain words */
    c = with("command = [\"a\"]\n    b");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:4: command: a JSON array must be written on one line");
    conf_free(c);
    /* ...but the flag does not leak into the next key */
    c = with("command = [\"a\"]\n[healthcheck]\nexec =\n    true");
    CHECK_STR(t_diags(c), "");
    conf_free(c);
    /* empty program names */
    c = with("entrypoint = ''");
    CHECK_CONTAINS(t_diags(c), "entrypoint: the program name is empty");
    conf_free(c);
    c = with("[healthcheck]\nexec = '' x");
    CHECK_CONTAINS(t_diags(c), "exec: the program name is empty");
    conf_free(c);
    c = with("command = ''"); /* an empty argument to the image's entrypoint is fine */
    CHECK_STR(t_diags(c), "");
    conf_free(c);
    /* one error for one mistake */
    c = with("seccomp = ~/p.json");
    CHECK_STR(t_diags(c), "conf.d/svc.conf:3: seccomp: '~' is not expanded; write the absolute path\n");
    conf_free(c);
    c = with("[healthcheck]\nexec =");
    CHECK_STR(t_diags(c), "conf.d/svc.conf:4: exec: empty command: give it on this line or on indented lines below\n");
    conf_free(c);
    /* "max" means no limit for every limit */
    c = with("memory_max = max\ncpus = max\npids_max = max");
    CHECK_STR(t_diags(c), "");
    CHECK(only(c)->memory_max == 0 && only(c)->cpus_milli == 0 && only(c)->pids_max == 0);
    conf_free(c);
    c = with("cpus = 0.1234");
    CHECK_CONTAINS(t_diags(c), "cpus: at most three decimals");
    conf_free(c);
    c = t_load("[network]\ndns = 1.1.1.1 1.1.1.1\n", NULL);
    CHECK_INT(c->droplet.network.ndns, 1);
    conf_free(c);
}

TEST(secret_detection)
{
    struct conf *c = with("environment = A_PASSPHRASE=x REDISCLI_AUTH=y DB_PASSWORD=${DB_PASSWORD:-changeme} "
                          "JWT_SECRET=${JWT_SECRET} 'T_TOKEN=${T:?set it}' AUTHOR=me PASSTHROUGH=1 API_KEY=k");
    const struct svc_conf *s = only(c);
    bool want[] = {true, true, true, false, false, false, false, true};
    for (size_t i = 0; i < s->nenv && i < ARRAY_SIZE(want); i++)
        if (conf_env_is_secret(&s->env[i]) != want[i])
            t_fail(__FILE__, __LINE__, "%s: secret should be %d", s->env[i].name, want[i]);
    CHECK_INT(c->diags.warnings, 4);
    conf_free(c);
    c = with("command = redis-server --requirepass hunter2 --appendonly yes --token=abc --masterauth ${PW} "
             "--key-file /etc/k.pem");
    s = only(c);
    size_t off;
    CHECK(conf_argv_is_secret(&s->command, 2, &off) && off == 0);
    CHECK(!conf_argv_is_secret(&s->command, 4, &off));
    CHECK(conf_argv_is_secret(&s->command, 5, &off) && off == 8);
    CHECK(!conf_argv_is_secret(&s->command, 7, &off));
    CHECK(!conf_argv_is_secret(&s->command, 9, &off));
    CHECK_CONTAINS(t_diags(c), "command: warning: the value of --requirepass looks like a secret");
    CHECK_CONTAINS(t_diags(c), "command: warning: the value of --token looks like a secret");
    CHECK_INT(c->diags.warnings, 2);
    conf_free(c);
}

TEST(devices)
{
    struct conf *c = with("devices = /dev/null //dev/./zero/:/dev/z:r /dev/null:/dev/n2:mw /dev/full:rw");
    const struct svc_conf *s = only(c);
    CHECK_STR(t_diags(c), "");
    CHECK_INT(s->ndevices, 4);
    CHECK_STR(s->devices[0].host, "/dev/null");
    CHECK_STR(s->devices[0].ctr, "/dev/null"); /* the host's path by default */
    CHECK_INT(s->devices[0].access, DEVICE_READ | DEVICE_WRITE | DEVICE_MKNOD);
    CHECK_STR(s->devices[1].host, "/dev/zero");
    CHECK_STR(s->devices[1].ctr, "/dev/z");
    CHECK_INT(s->devices[1].access, DEVICE_READ);
    CHECK_INT(s->devices[2].access, DEVICE_WRITE | DEVICE_MKNOD);
    CHECK_STR(s->devices[3].ctr, "/dev/full"); /* HOST:PERMISSIONS, as docker reads it */
    CHECK_INT(s->devices[3].access, DEVICE_READ | DEVICE_WRITE);
    CHECK_INT(s->devices[3].at.line, 3);
    conf_free(c);

    struct {
        const char *line, *want;
    } cases[] = {
        {"devices = dev/fuse", "devices: 'dev/fuse': the host path must be absolute"},
        {"devices = /dev/../etc/x", "'/dev/../etc/x': '..' is not allowed in the host path"},
        {"devices = /dev/null:dev/n", "'/dev/null:dev/n': 'dev/n' is neither an absolute container path nor "
                                      "permissions"},
        {"devices = /dev/null:/tmp/n", "'/dev/null:/tmp/n': the container path /tmp/n is not under /dev"},
        {"devices = /dev/null:/dev", "the container path must name a device under /dev, not /dev itself"},
        {"devices = /dev/null:/dev/n/..", "'..' is not allowed in the container path"},
        {"devices = /dev/null:/dev/n:rx", "'/dev/null:/dev/n:rx': permissions 'rx' must be r, w and m, each at most "
                                          "once"},
        {"devices = /dev/null:/dev/n:rr", "permissions 'rr' must be r, w and m"},
        {"devices = /dev/null:/dev/n:", "'/dev/null:/dev/n:': expected HOST[:CONTAINER][:PERMISSIONS]"},
        {"devices = /dev/null::r", "expected HOST[:CONTAINER][:PERMISSIONS]"},
        {"devices = /dev/null:/dev/n:r:w", "expected HOST[:CONTAINER][:PERMISSIONS]"},
        {"devices = :/dev/n", "the host path must be absolute"},
        {"devices = /", "the host path must name a device, not /"},
        {"devices = /dev/null /dev/zero:/dev/null", "'/dev/zero:/dev/null': /dev/null is already a device at line 3"},
        {"devices = /dev/${X}", "devices: ${...} is expanded only in environment"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *got = err_of(cases[i].line);
        CHECK_CONTAINS(got, cases[i].want);
        CHECK_CONTAINS(got, "conf.d/svc.conf:3: ");
    }

    /* a path that is also a volume or a tmpfs */
    c = with("devices = /dev/null:/dev/x /dev/zero:/dev/shm/y\nvolumes = /srv/x:/dev/x\ntmpfs = /dev/shm/y");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:3: devices: /dev/x is also a volume (line 4)");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:3: devices: /dev/shm/y is also a tmpfs (line 5)");
    conf_free(c);

    /* the host's side is known only where the service runs: warnings */
    c = with("devices = /dev/rt-unit-no-such-device /etc/hostname:/dev/h");
    CHECK_INT(c->diags.errors, 0);
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:3: devices: warning: '/dev/rt-unit-no-such-device': "
                               "/dev/rt-unit-no-such-device does not exist on this machine");
    CHECK_CONTAINS(t_diags(c), "devices: warning: '/etc/hostname:/dev/h': /etc/hostname is not a character or "
                               "block device on this machine");
    conf_free(c);
}

TEST(droplet_proc_hidepid)
{
    struct conf *c = t_load("", NULL);
    CHECK(c->droplet.proc_hidepid); /* on by default */
    conf_free(c);
    c = t_load("[droplet]\nproc_hidepid = no\n", NULL);
    CHECK_STR(t_diags(c), "");
    CHECK(!c->droplet.proc_hidepid);
    conf_free(c);
    c = t_load("[droplet]\nproc_hidepid = invisible\n", NULL);
    CHECK_CONTAINS(t_diags(c), "conf.d/droplet.conf:2: proc_hidepid: expected true or false");
    CHECK(c->diags.errors == 1);
    conf_free(c);
}

TEST(host_services)
{
    struct conf *c = t_svc("[service]\nhost = true\ncommand = /usr/sbin/sshd -D -e\nuser = root\nenvironment = A=1\n"
                           "network = host\nkill_mode = process\nmemory_max = 64M\nulimits = nofile=1024\n"
                           "[healthcheck]\ntcp = 22\n");
    const struct svc_conf *s = c->svcs[0];
    CHECK_STR(t_diags(c), "");
    CHECK(s->host);
    CHECK(s->kill_process);
    CHECK_INT(s->network, NET_HOST);
    CHECK(s->image == NULL);
    struct plan *p = plan_build(c, NULL, NULL);
    /* what it runs is known without an image store */
    CHECK_INT(p->svcs[0].argv.n, 3);
    CHECK_STR(p->svcs[0].argv.v[0], "/usr/sbin/sshd");
    CHECK_STR(p->svcs[0].user, "root");
    CHECK_STR(p->svcs[0].workdir, "/");
    CHECK(p->svcs[0].hc == &s->hc);
    CHECK_INT(p->svcs[0].stop_signal, 15);
    char *text = t_plan_print(p);
    CHECK_CONTAINS(text, "# host service: in no container; runs on the host as root, with all of root's privileges\n"
                         "[service]\nname = svc\nhost = true\ncommand = [\"/usr/sbin/sshd\", \"-D\", \"-e\"]\n");
    CHECK_CONTAINS(text, "kill_mode = process\n");
    CHECK(strstr(text, "image =") == NULL && strstr(text, "read_only") == NULL && strstr(text, "seccomp") == NULL);
    free(text);
    conf_free(c);

    /* root without saying so; the default kill_mode */
    c = t_svc("[service]\nhost = yes\ncommand = sleep 1\n");
    CHECK_STR(t_diags(c), "");
    CHECK(!c->svcs[0]->kill_process);
    text = t_plan_text(c);
    CHECK_CONTAINS(text, "# host service: in no container; runs on the host as root, with all of root's privileges\n");
    CHECK_CONTAINS(text, "kill_mode = control-group\n");
    free(text);
    conf_free(c);

    /* every container-only key, at its line, saying why */
    c = t_svc("[service]\nhost = true\nimage = a:1\nentrypoint = x\ncommand = y\nhostname = h\nports = 80:80\n"
              "ipv4 = 10.88.0.5\nvolumes = /a:/b\ntmpfs = /t\nread_only = true\ndevices = /dev/null\ncap_add = NET_ADMIN\n"
              "cap_drop = ALL\nseccomp = unconfined\ninit = true\nnetwork = bridge\n");
    const char *d = t_diags(c);
    CHECK_INT(c->diags.errors, 14);
    CHECK_CONTAINS(d, "conf.d/svc.conf:3: image: only for containers: a host service runs a program of the host, not "
                      "an image (host = true, line 2)");
    CHECK_CONTAINS(d, "conf.d/svc.conf:4: entrypoint: only for containers: a host service has no image whose "
                      "entrypoint this would replace; write the whole command line in command");
    CHECK_CONTAINS(d, "conf.d/svc.conf:6: hostname: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:7: ports: only for containers: a host service is on the host's network");
    CHECK_CONTAINS(d, "conf.d/svc.conf:8: ipv4: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:9: volumes: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:10: tmpfs: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:11: read_only: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:12: devices: only for containers: a host service has every device of the host");
    CHECK_CONTAINS(d, "conf.d/svc.conf:13: cap_add: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:14: cap_drop: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:15: seccomp: only for containers: a host service runs without a seccomp filter");
    CHECK_CONTAINS(d, "conf.d/svc.conf:16: init: only for containers");
    CHECK_CONTAINS(d, "conf.d/svc.conf:17: network: only for containers: a host service is on the host's network, so "
                      "only network = host fits (host = true, line 2)");
    CHECK(strstr(d, "publishing ports needs") == NULL); /* said once, as a host service's */
    conf_free(c);

    /* the command is what it runs: required, not empty */
    c = t_svc("[service]\nhost = true\nuser = nobody\n");
    CHECK_STR(t_diags(c), "conf.d/svc.conf:1: command: missing: a host service needs the command to run (there is no "
                          "image to take one from)\n");
    conf_free(c);
    c = t_svc("[service]\nhost = true\ncommand =\n");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:3: command: a host service needs a command to run; this one is empty");
    conf_free(c);

    /* kill_mode: its values, and only for host services */
    c = t_svc("[service]\nhost = true\ncommand = x\nkill_mode = mixed\n");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:4: kill_mode: 'mixed': expected control-group (every process of the "
                               "service) or process (its main process only)");
    conf_free(c);
    c = t_svc("[service]\nimage = a\nkill_mode = process\n");
    CHECK_STR(t_diags(c), "conf.d/svc.conf:3: kill_mode: only for host services (host = true): every process of a "
                          "container ends with it, when its PID namespace does\n");
    conf_free(c);
    c = t_svc("[service]\nhost = maybe\ncommand = x\n");
    CHECK_CONTAINS(t_diags(c), "conf.d/svc.conf:2: host: ");
    conf_free(c);
    /* host = false is a container, which needs its image */
    c = t_svc("[service]\nhost = false\ncommand = x\n");
    CHECK_CONTAINS(t_diags(c), "image: missing: every service needs an image (or host = true, to run a program of "
                               "the host)");
    conf_free(c);
}
