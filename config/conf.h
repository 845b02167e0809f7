/* conf.h - the conf.d language: droplet.conf and one NAME.conf per service.
 *
 * conf_load() reads a directory with inih, checks every value, and returns
 * a typed description of the host and its services together with every
 * problem found (conf->diags). It checks what one file can tell; relations
 * between services (dependencies, cycles, port clashes) are the plan's job
 * (plan.h). Everything hangs off conf->arena and is freed by conf_free(). */
#ifndef RT_CONF_H
#define RT_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "diag.h"
#include "../lib/err.h"
#include "../lib/paths.h"

/* Every key of the language. The table in conf_parse.c gives each its
 * section, its kind and its parser; svc->set[] / droplet->set[] record
 * where each was set (line 0 = not set, the default applies). */
enum conf_key {
    /* droplet.conf */
    K_D_HOSTNAME, K_D_MODULES, K_D_SECRETS, K_D_PROC_HIDEPID,
    K_V_DEVICE, K_V_FSTYPE, K_V_MOUNTPOINT, K_V_OPTIONS, K_V_TIMEOUT,
    K_N_BRIDGE, K_N_SUBNET, K_N_GATEWAY, K_N_MTU, K_N_DNS,
    K_L_DIR, K_L_MAX_SIZE, K_L_MAX_FILES,
    K_U_INTERFACE, K_U_ADDRESS, K_U_GATEWAY,
    K_M_LISTEN,
    /* NAME.conf [service] */
    K_NAME, K_HOST, K_IMAGE, K_ENTRYPOINT, K_COMMAND, K_ENVIRONMENT, K_ENV_FILE, K_USER,
    K_WORKING_DIR, K_HOSTNAME, K_PORTS, K_VOLUMES, K_TMPFS, K_DEVICES, K_READ_ONLY, K_INIT, K_CAP_ADD,
    K_CAP_DROP, K_SECCOMP, K_NETWORK, K_IPV4, K_DEPENDS_ON, K_RESTART, K_RESTART_BACKOFF, K_RESTART_BACKOFF_MAX, K_RESTART_DEPENDENTS, K_STOP_SIGNAL,
    K_STOP_TIMEOUT, K_KILL_MODE, K_MEMORY_MAX, K_CPUS, K_PIDS_MAX, K_IO_WEIGHT, K_ULIMITS,
    /* NAME.conf [healthcheck] */
    K_HC_HTTP, K_HC_TCP, K_HC_EXEC, K_HC_INTERVAL, K_HC_TIMEOUT, K_HC_RETRIES,
    K_HC_START_PERIOD, K_HC_START_INTERVAL,
    K_COUNT
};

enum conf_section {
    SEC_NONE, SEC_DROPLET, SEC_VOLUME, SEC_NETWORK, SEC_LOGGING, SEC_UPLINK, SEC_METRICS, SEC_SERVICE, SEC_HEALTHCHECK,
    SEC_COUNT
};

/* Name of a key as written in files, and of its section. */
const char *conf_key_name(enum conf_key k);
enum conf_section conf_key_section(enum conf_key k);
const char *conf_section_name(enum conf_section s);

enum net_mode { NET_BRIDGE, NET_NONE, NET_HOST };
enum restart_policy { RESTART_NO, RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_UNLESS_STOPPED };
enum dep_cond { DEP_STARTED, DEP_HEALTHY, DEP_COMPLETED };
enum seccomp_mode { SECCOMP_DEFAULT, SECCOMP_UNCONFINED, SECCOMP_PROFILE };
enum hc_kind { HC_NONE, HC_HTTP, HC_TCP, HC_EXEC };

const char *net_mode_name(enum net_mode m);
const char *restart_name(enum restart_policy r);
const char *dep_cond_name(enum dep_cond c);

/* A command line: NULL-terminated words, each with the line it was
 * written on (continuation lines add words). */
struct argv {
    char **v;
    size_t n;
    int *lines;
};

struct env_var {
    const char *name;
    const char *value;       /* as written; ${VAR} expanded only at start */
    struct src at;
};

struct port_map {
    uint32_t host_ip;        /* host byte order; 0 = every address */
    uint16_t host_port, ctr_port;
    int proto;               /* IPPROTO_TCP or IPPROTO_UDP */
    struct src at;
};

struct volume {
    const char *src;         /* as written */
    const char *host_path;   /* absolute, normalised; relative src is under the block volume */
    const char *dst;         /* absolute, normalised path in the container */
    bool ro;
    struct src at;
};

struct tmpfs_mount {
    const char *path;
    const char *options;     /* normalised mount data, e.g. "size=64M,mode=1777" ("" if none) */
    unsigned long flags;     /* MS_NOSUID etc. */
    struct src at;
};

/* A host device given to the container (`devices`). */
struct device_map {
    const char *host;        /* absolute, normalised host path */
    const char *ctr;         /* absolute, normalised path under /dev in the container */
    unsigned access;         /* DEVICE_READ | DEVICE_WRITE | DEVICE_MKNOD (device.h) */
    struct src at;
};

struct dep {
    const char *name;
    enum dep_cond cond;
    struct src at;
};

struct ulimit {
    int resource;
    uint64_t soft, hard;     /* UINT64_MAX = unlimited */
    struct src at;
};

struct env_file {
    const char *path;        /* resolved (relative paths are under the conf dir) */
    struct src at;
};

struct healthcheck {
    enum hc_kind kind;
    const char *url;                 /* http: as written */
    const char *host;                /* http/tcp: "localhost" or an IPv4 literal */
    uint32_t addr;                   /* http/tcp: host as an address */
    uint16_t port;                   /* http/tcp */
    const char *path;                /* http: request path, "/" by default */
    struct argv exec;                /* exec */
    uint64_t interval_ms, timeout_ms, start_period_ms;
    uint64_t start_interval_ms;      /* within start_period while never healthy; capped at interval_ms */
    unsigned retries;
    struct src at;                   /* the [healthcheck] line */
};

#define UNLIMITED UINT64_MAX

struct svc_conf {
    const char *name;
    const char *file;                /* conf file path as shown to users */
    struct src header;               /* the [service] line */
    struct src set[K_COUNT];

    bool host;                       /* a host service: runs on the host, in no container (host = true) */
    bool kill_process;               /* kill_mode = process (host services): a stop ends the main process
                                        only; what it started runs on */
    const char *image;
    struct argv entrypoint;          /* meaningful when set[K_ENTRYPOINT] */
    struct argv command;             /* meaningful when set[K_COMMAND] */
    struct env_var *env;
    size_t nenv, capenv;
    struct env_file *env_files;
    size_t nenv_files, capenv_files;
    const char *user;                /* as written; resolved in the image at start */
    const char *working_dir;
    const char *hostname;            /* defaults to the service name */
    struct port_map *ports;
    size_t nports, capports;
    struct volume *volumes;
    size_t nvolumes, capvolumes;
    struct tmpfs_mount *tmpfs;
    size_t ntmpfs, captmpfs;
    struct device_map *devices;
    size_t ndevices, capdevices;
    bool read_only;
    bool init;                       /* the runtime's small init is PID 1 and runs the command */
    uint64_t cap_add, cap_drop;      /* bit n = capability n */
    bool cap_add_all, cap_drop_all;
    enum seccomp_mode seccomp;
    const char *seccomp_profile;     /* resolved path for SECCOMP_PROFILE */
    enum net_mode network;
    uint32_t ipv4;                   /* a fixed address on the bridge; 0 = one is given */
    struct dep *deps;
    size_t ndeps, capdeps;
    enum restart_policy restart;
    unsigned restart_max;            /* on-failure:N; 0 = no limit */
    uint64_t restart_backoff_ms;     /* the first wait before a restart (100 ms) */
    uint64_t restart_backoff_max_ms; /* the longest, as it doubles (60 s) */
    bool restart_dependents;         /* restarted when a dependency was */
    int stop_signal;
    uint64_t stop_timeout_ms;
    uint64_t memory_max;             /* bytes; 0 = no limit */
    uint64_t cpus_milli;             /* 1000 = one CPU; 0 = no limit */
    uint64_t pids_max;               /* 0 = no limit */
    unsigned io_weight;              /* cgroup io.weight, 1-10000; 0 = the default (100) */
    struct ulimit *ulimits;
    size_t nulimits, capulimits;
    struct healthcheck hc;
};

struct droplet_conf {
    const char *file;                /* "DIR/droplet.conf", present or not */
    bool present;
    struct src set[K_COUNT];

    const char *hostname;
    char **modules;
    size_t nmodules;
    const char *secrets;             /* file of VAR=value for ${VAR}; NULL if unset */
    bool proc_hidepid;               /* PID 1 mounts /proc with hidepid=invisible (default true) */
    struct {
        const char *device;          /* NULL: no block volume */
        const char *fstype, *mountpoint, *options;
        uint64_t timeout_ms;
    } volume;
    struct {
        const char *bridge;
        uint32_t subnet, gateway;
        int prefix;
        unsigned mtu;
        uint32_t *dns;               /* NULL/0: the host's resolv.conf */
        size_t ndns;
    } network;
    struct {
        const char *dir;
        uint64_t max_size;
        unsigned max_files;
    } logging;
    /* The droplet's own link to the world, set up by PID 1 at boot (a
     * droplet whose init is rtinit has no other network configuration):
     * address NULL/0 leaves every link but lo as the kernel made it. */
    struct {
        const char *interface;       /* default eth0 */
        uint32_t address, gateway;   /* host byte order; gateway 0: no default route */
        int prefix;
    } uplink;
    /* rtinit's Prometheus endpoint (docs/observe.md): off unless listen
     * is set; config check warns when it is not a loopback address. */
    struct {
        uint32_t addr;               /* host byte order */
        uint16_t port;               /* 0: off */
    } metrics;
};

struct conf {
    struct arena arena;
    struct diag_list diags;
    const char *dir;
    const char *run_dir;             /* rtinit's (lib/paths): no volume may expose its control socket */
    struct droplet_conf droplet;
    struct svc_conf **svcs;          /* sorted by name */
    size_t nsvcs, capsvcs;
    size_t nfiles;                   /* .conf files read */
};

/* Read every *.conf in paths->conf_dir. Returns NULL with err set only when
 * the directory itself cannot be read or memory runs out; problems inside
 * files are in conf->diags (check conf->diags.errors). */
struct conf *conf_load(const struct rt_paths *paths, struct rt_err *err);
/* The same, leaving out the service files named in skip (paths as the
 * diagnostics give them, "DIR/NAME.conf"): rtinit at boot starts what is
 * valid and reports the rest. */
struct conf *conf_load_skipping(const struct rt_paths *paths, const char *const *skip, size_t nskip,
                                struct rt_err *err);
void conf_free(struct conf *c);

/* Building blocks of conf_load, also used by the fuzz target and tests:
 * start an empty conf, parse droplet.conf text, parse one service's text.
 * Service files must come after droplet.conf (relative volume paths are
 * resolved against its mountpoint). */
struct conf *conf_new(const struct rt_paths *paths, struct rt_err *err);
int conf_parse_droplet(struct conf *c, const char *file, const char *buf, size_t len);
int conf_parse_service(struct conf *c, const char *file, const char *name, const char *buf, size_t len);
/* Sort services and report duplicate names; conf_load calls it last. */
void conf_finish(struct conf *c);

/* Does a variable or option name look like it names a secret
 * (DB_PASSWORD, REDISCLI_AUTH, --api-key)? */
bool conf_name_looks_secret(const char *name);
/* Does this environment entry hold a literal secret (a secret-looking name
 * with a literal value)? `config check` redacts those. */
bool conf_env_is_secret(const struct env_var *e);
/* Is word i of a command line a literal secret ("--requirepass X",
 * "--token=X")? *value_off is where the secret starts in the word. */
bool conf_argv_is_secret(const struct argv *a, size_t i, size_t *value_off);
/* A value as `config check` and `rtctl inspect` print it, malloc'd (NULL
 * when memory runs out): "<redacted>" when name (NULL: none, as for a
 * command-line word) looks like a secret's and the value is a literal
 * (conf_env_is_secret's rule); otherwise the value with the password of
 * every URL in it shown as *** and the rest kept
 * ("postgres://app:***@db/app"), a ${VAR} in the password's place kept
 * as written. Pure: unit-tested. */
char *conf_redact_value(const char *name, const char *value);

struct svc_conf *conf_find(const struct conf *c, const char *name);

/* Lexically normalise a path: collapse "//", drop "." and resolve ".."
 * against earlier components (*escapes when one would climb above the
 * start; *dotdot, if given, when there was one at all). An arena string
 * without a trailing slash. */
char *normalize_path(struct arena *a, const char *path, bool *escapes, bool *dotdot);

/* Maximum sizes, in the docs and checked with clear errors. */
#define CONF_MAX_FILE_SIZE (1024 * 1024)
#define CONF_MAX_LINE 8192
#define CONF_MAX_SERVICES 256

#endif
