/* conf_parse.c - reading one conf file with inih: lines, sections, keys.
 *
 * inih does the INI lexing: it splits "key = value", strips blanks and
 * comments, and joins continuation lines. We feed it through our own line
 * reader so that we know the line number of everything it hands us (the
 * Debian build of inih has no line numbers in its callback) and so that
 * every malformed line is reported, not only the first one inih sees. The
 * reader classifies each line the way inih will; lines inih would reject
 * are reported here and handed to inih blank, so inih never fails.
 *
 * Each key has one entry in the table below: its section, whether it may
 * repeat, and the function that checks and stores its value (in the file
 * of its section: conf_droplet.c, conf_process.c, conf_container.c,
 * conf_healthcheck.c). on_value() finds the entry, reports unknown keys,
 * keys set twice, empty values and stray ${...}, splits list values into
 * words and calls the function. */
#include "conf_int.h"

#include <ctype.h>
#include <ini.h>
#include <string.h>

#include "../lib/util.h"
#include "value.h"

/* ---------- the table ---------- */

static const struct keydef keys[K_COUNT] = {
    [K_D_HOSTNAME] = {"hostname", SEC_DROPLET, 0, k_d_hostname},
    [K_D_MODULES] = {"modules", SEC_DROPLET, KF_LIST | KF_EMPTY, k_d_modules},
    [K_D_SECRETS] = {"secrets", SEC_DROPLET, 0, k_d_secrets},
    [K_D_PROC_HIDEPID] = {"proc_hidepid", SEC_DROPLET, 0, k_d_proc_hidepid},
    [K_V_DEVICE] = {"device", SEC_VOLUME, 0, k_v_device},
    [K_V_FSTYPE] = {"fstype", SEC_VOLUME, 0, k_v_fstype},
    [K_V_MOUNTPOINT] = {"mountpoint", SEC_VOLUME, 0, k_v_mountpoint},
    [K_V_OPTIONS] = {"options", SEC_VOLUME, 0, k_v_options},
    [K_V_TIMEOUT] = {"timeout", SEC_VOLUME, 0, k_v_timeout},
    [K_N_BRIDGE] = {"bridge", SEC_NETWORK, 0, k_n_bridge},
    [K_N_SUBNET] = {"subnet", SEC_NETWORK, 0, k_n_subnet},
    [K_N_GATEWAY] = {"gateway", SEC_NETWORK, 0, k_n_gateway},
    [K_N_MTU] = {"mtu", SEC_NETWORK, 0, k_n_mtu},
    [K_N_DNS] = {"dns", SEC_NETWORK, KF_LIST, k_n_dns},
    [K_L_DIR] = {"dir", SEC_LOGGING, 0, k_l_dir},
    [K_L_MAX_SIZE] = {"max_size", SEC_LOGGING, 0, k_l_max_size},
    [K_L_MAX_FILES] = {"max_files", SEC_LOGGING, 0, k_l_max_files},
    [K_U_INTERFACE] = {"interface", SEC_UPLINK, 0, k_u_interface},
    [K_U_ADDRESS] = {"address", SEC_UPLINK, 0, k_u_address},
    [K_U_GATEWAY] = {"gateway", SEC_UPLINK, 0, k_u_gateway},
    [K_M_LISTEN] = {"listen", SEC_METRICS, 0, k_m_listen},

    [K_NAME] = {"name", SEC_SERVICE, 0, k_name},
    [K_HOST] = {"host", SEC_SERVICE, 0, k_host},
    [K_IMAGE] = {"image", SEC_SERVICE, 0, k_image},
    [K_ENTRYPOINT] = {"entrypoint", SEC_SERVICE, KF_ARGV | KF_EMPTY | KF_INTERP, k_entrypoint},
    [K_COMMAND] = {"command", SEC_SERVICE, KF_ARGV | KF_EMPTY | KF_INTERP, k_command},
    [K_ENVIRONMENT] = {"environment", SEC_SERVICE, KF_LIST | KF_INTERP, k_environment},
    [K_ENV_FILE] = {"env_file", SEC_SERVICE, KF_LIST, k_env_file},
    [K_USER] = {"user", SEC_SERVICE, 0, k_user},
    [K_WORKING_DIR] = {"working_dir", SEC_SERVICE, 0, k_working_dir},
    [K_HOSTNAME] = {"hostname", SEC_SERVICE, 0, k_hostname},
    [K_PORTS] = {"ports", SEC_SERVICE, KF_LIST, k_ports},
    [K_VOLUMES] = {"volumes", SEC_SERVICE, KF_LIST, k_volumes},
    [K_TMPFS] = {"tmpfs", SEC_SERVICE, KF_LIST, k_tmpfs},
    [K_DEVICES] = {"devices", SEC_SERVICE, KF_LIST, k_devices},
    [K_READ_ONLY] = {"read_only", SEC_SERVICE, 0, k_read_only},
    [K_INIT] = {"init", SEC_SERVICE, 0, k_init},
    [K_CAP_ADD] = {"cap_add", SEC_SERVICE, KF_LIST, k_cap_add},
    [K_CAP_DROP] = {"cap_drop", SEC_SERVICE, KF_LIST, k_cap_drop},
    [K_SECCOMP] = {"seccomp", SEC_SERVICE, 0, k_seccomp},
    [K_NETWORK] = {"network", SEC_SERVICE, 0, k_network},
    [K_IPV4] = {"ipv4", SEC_SERVICE, 0, k_ipv4},
    [K_DEPENDS_ON] = {"depends_on", SEC_SERVICE, KF_LIST, k_depends_on},
    [K_RESTART] = {"restart", SEC_SERVICE, 0, k_restart},
    [K_STOP_SIGNAL] = {"stop_signal", SEC_SERVICE, 0, k_stop_signal},
    [K_RESTART_BACKOFF] = {"restart_backoff", SEC_SERVICE, 0, k_restart_backoff},
    [K_RESTART_BACKOFF_MAX] = {"restart_backoff_max", SEC_SERVICE, 0, k_restart_backoff_max},
    [K_RESTART_DEPENDENTS] = {"restart_dependents", SEC_SERVICE, 0, k_restart_dependents},
    [K_STOP_TIMEOUT] = {"stop_timeout", SEC_SERVICE, 0, k_stop_timeout},
    [K_KILL_MODE] = {"kill_mode", SEC_SERVICE, 0, k_kill_mode},
    [K_MEMORY_MAX] = {"memory_max", SEC_SERVICE, 0, k_memory_max},
    [K_CPUS] = {"cpus", SEC_SERVICE, 0, k_cpus},
    [K_PIDS_MAX] = {"pids_max", SEC_SERVICE, 0, k_pids_max},
    [K_IO_WEIGHT] = {"io_weight", SEC_SERVICE, 0, k_io_weight},
    [K_ULIMITS] = {"ulimits", SEC_SERVICE, KF_LIST, k_ulimits},

    [K_HC_HTTP] = {"http", SEC_HEALTHCHECK, 0, k_hc_http},
    [K_HC_TCP] = {"tcp", SEC_HEALTHCHECK, 0, k_hc_tcp},
    [K_HC_EXEC] = {"exec", SEC_HEALTHCHECK, KF_ARGV | KF_INTERP, k_hc_exec},
    [K_HC_INTERVAL] = {"interval", SEC_HEALTHCHECK, 0, k_hc_interval},
    [K_HC_TIMEOUT] = {"timeout", SEC_HEALTHCHECK, 0, k_hc_timeout},
    [K_HC_RETRIES] = {"retries", SEC_HEALTHCHECK, 0, k_hc_retries},
    [K_HC_START_PERIOD] = {"start_period", SEC_HEALTHCHECK, 0, k_hc_start_period},
    [K_HC_START_INTERVAL] = {"start_interval", SEC_HEALTHCHECK, 0, k_hc_start_interval},
};

static const char *const section_names[SEC_COUNT] = {
    [SEC_NONE] = "", [SEC_DROPLET] = "droplet", [SEC_VOLUME] = "volume",
    [SEC_NETWORK] = "network", [SEC_LOGGING] = "logging", [SEC_UPLINK] = "uplink", [SEC_METRICS] = "metrics",
    [SEC_SERVICE] = "service",
    [SEC_HEALTHCHECK] = "healthcheck",
};

/* What docker compose users type, and where it lives here. */
static const struct {
    const char *name, *hint;
} compose_hints[] = {
    {"container_name", "the service is named after its file; set name = to rename it"},
    {"mem_limit", "use memory_max"},
    {"memory", "use memory_max"},
    {"pids_limit", "use pids_max"},
    {"cpu_count", "use cpus"},
    {"env", "use environment"},
    {"expose", "not needed: services on the bridge reach every port of each other"},
    {"links", "not needed: every service name resolves on the bridge"},
    {"networks", "use network = bridge, none or host"},
    {"network_mode", "use network = bridge, none or host"},
    {"security_opt", "use seccomp = default, unconfined or a profile path"},
    {"healthcheck", "write the check in a [healthcheck] section"},
    {"test", "use http = URL, tcp = PORT or exec = CMD"},
    {"restart_policy", "use restart"},
    {"deploy", "use memory_max, cpus and pids_max"},
    {"build", "images are built elsewhere and imported with rtctl image import"},
    {"container", "use name"},
    {"stop_grace_period", "use stop_timeout"},
    {"privileged", "not supported: add only the capabilities the service needs with cap_add, and the devices "
                   "it needs with devices"},
    {"secrets", "use env_file, or ${VAR} with [droplet] secrets in droplet.conf"},
    {"dns", "set dns in the [network] section of droplet.conf"},
    {"logging", "logs are set for all services in the [logging] section of droplet.conf"},
    {"labels", "not supported"},
    {"volumes_from", "not supported: list the volumes"},
};

const char *conf_key_name(enum conf_key k)
{
    return keys[k].name;
}

enum conf_section conf_key_section(enum conf_key k)
{
    return keys[k].sec;
}

const char *conf_section_name(enum conf_section s)
{
    return section_names[s];
}

/* ---------- dispatch ---------- */

static bool section_in_file(struct pctx *p, enum conf_section s)
{
    if (p->droplet)
        return s == SEC_DROPLET || s == SEC_VOLUME || s == SEC_NETWORK || s == SEC_LOGGING || s == SEC_UPLINK ||
               s == SEC_METRICS;
    return s == SEC_SERVICE || s == SEC_HEALTHCHECK;
}

static int find_key(enum conf_section sec, const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (keys[k].sec == sec && streq(keys[k].name, name))
            return k;
    return -1;
}

static void unknown_key(struct pctx *p, const char *name)
{
    /* 1. a key of another section of this file */
    for (int k = 0; k < K_COUNT; k++) {
        if (keys[k].sec != p->sec && section_in_file(p, keys[k].sec) && streq(keys[k].name, name)) {
            bad(p, "unknown key in [%s]; it belongs in [%s]", section_names[p->sec],
                section_names[keys[k].sec]);
            return;
        }
    }
    /* 2. a typo of a key of this section */
    const char *cands[K_COUNT];
    size_t n = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (keys[k].sec == p->sec)
            cands[n++] = keys[k].name;
    const char *dym = did_you_mean(name, cands, n);
    if (dym) {
        bad(p, "unknown key in [%s] (did you mean '%s'?)", section_names[p->sec], dym);
        return;
    }
    /* 3. a docker compose name */
    if (!p->droplet) {
        for (size_t i = 0; i < ARRAY_SIZE(compose_hints); i++) {
            if (streq(compose_hints[i].name, name)) {
                bad(p, "unknown key in [%s]: %s", section_names[p->sec], compose_hints[i].hint);
                return;
            }
        }
    }
    bad(p, "unknown key in [%s]", section_names[p->sec]);
}

/* inih callback: one call per "key = value" line and per continuation line. */
static int on_value(void *user, const char *section, const char *name, const char *value)
{
    (void)section; /* we track sections ourselves, with their line numbers */
    struct pctx *p = user;
    p->at = (struct src){p->file, p->lineno};
    p->keyname = name;
    p->cont = p->cls == L_CONT;
    if (p->cls != L_KEY && p->cls != L_CONT) {
        /* Our reader and inih disagree about this line; say so rather than
         * guess. */
        p->keyname = NULL;
        bad(p, "cannot parse this line");
        return 1;
    }
    if (p->sec == SEC_NONE) {
        if (!p->outside_reported) {
            enum conf_section home = SEC_NONE;
            for (int k = 0; k < K_COUNT; k++)
                if (section_in_file(p, keys[k].sec) && streq(keys[k].name, name))
                    home = keys[k].sec;
            if (home != SEC_NONE)
                bad(p, "key outside any section; put it under [%s]", section_names[home]);
            else
                bad(p, "key outside any section; start the file with [%s]", p->droplet ? "droplet" : "service");
            p->outside_reported = true;
        }
        p->prev_key = -1;
        return 1;
    }
    if (p->sec_unknown)
        return 1;

    int k;
    if (p->cont) {
        k = p->prev_key;
        if (k < 0)
            return 1; /* continues an unknown key, already reported */
        if (!(keys[k].flags & (KF_LIST | KF_ARGV))) {
            bad(p, "'%s' takes one value, and this indented line continues it (remove the "
                   "indentation if it is a new key)",
                name);
            return 1;
        }
    } else {
        k = find_key(p->sec, name);
        p->prev_key = k;
        if (k < 0) {
            unknown_key(p, name);
            return 1;
        }
        if (p->set[k].line && !(keys[k].flags & KF_LIST)) {
            bad(p, "set twice (first at line %d)", p->set[k].line);
            p->prev_key = -1; /* its continuation lines belong to the refused line */
            return 1;
        }
    }
    unsigned flags = keys[k].flags;
    if (!p->cont)
        p->argv_json = false;
    p->key = k;
    p->keyname = keys[k].name;
    if (!p->set[k].line)
        p->set[k] = p->at;

    if (p->cont)
        p->empty_at.line = 0; /* "environment =" followed by indented lines */
    if (!*value) {
        if (flags & KF_EMPTY) {
            keys[k].fn(p, "");
        } else if (flags & (KF_LIST | KF_ARGV)) {
            /* Fine if indented lines follow; flush_empty() decides. */
            p->empty_at = p->at;
            p->empty_key = keys[k].name;
            p->empty_is_error = !(flags & KF_LIST);
        } else {
            bad(p, "empty value");
        }
        return 1;
    }
    if (!(flags & KF_INTERP) && strstr(value, "${")) {
        bad(p, "${...} is expanded only in environment, command, entrypoint and healthcheck exec");
        return 1;
    }
    if (flags & KF_LIST) {
        const char *why;
        size_t n;
        char **words = shell_split(A(p), value, &n, &why);
        if (!words) {
            bad(p, "%s", why);
            return 1;
        }
        p->words = words;
        p->nwords = n;
        for (size_t i = 0; i < n; i++) {
            p->word_index = i;
            if (streq(words[i], "-")) {
                bad(p, "'-' looks like a YAML list item: give the items separated by spaces or one per "
                       "line, without '- '");
                continue;
            }
            keys[k].fn(p, words[i]);
        }
        p->words = NULL;
        p->nwords = 0;
    } else if (flags & KF_ARGV) {
        keys[k].fn(p, value);
    } else {
        /* A single value may be quoted as a whole, as in YAML:
         * user = "1000:1000". The quotes are not part of it. */
        size_t n = strlen(value);
        if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0])
            value = arena_strndup(A(p), value + 1, n - 2);
        keys[k].fn(p, value);
    }
    return 1;
}

static void enter_section(struct pctx *p, const char *raw, size_t n, bool quiet)
{
    char *name = strstrip(arena_strndup(A(p), raw, n));
    p->at = (struct src){p->file, p->lineno};
    p->keyname = NULL;
    p->prev_key = -1;
    p->sec_unknown = false;
    for (int s = 1; s < SEC_COUNT; s++) {
        if (streq(name, section_names[s])) {
            if (!section_in_file(p, (enum conf_section)s)) {
                p->sec = (enum conf_section)s;
                p->sec_unknown = true;
                if (p->droplet)
                    bad(p, "[%s] belongs in a service file (NAME.conf), not in droplet.conf", name);
                else
                    bad(p, "[%s] belongs in droplet.conf, not in a service file", name);
                return;
            }
            if (p->sec_at[s].line) {
                bad(p, "section [%s] appears twice (first at line %d)", name, p->sec_at[s].line);
                p->sec = (enum conf_section)s;
                p->sec_unknown = true;
                return;
            }
            p->sec = (enum conf_section)s;
            p->sec_at[s] = p->at;
            return;
        }
    }
    p->sec = SEC_COUNT; /* none of ours */
    p->sec_unknown = true;
    if (quiet)
        return;
    const char *cands[SEC_COUNT];
    size_t nc = 0;
    for (int s = 1; s < SEC_COUNT; s++)
        if (section_in_file(p, (enum conf_section)s))
            cands[nc++] = section_names[s];
    const char *dym = did_you_mean(name, cands, nc);
    if (dym)
        bad(p, "unknown section [%s] (did you mean [%s]?)", name, dym);
    else if (p->droplet)
        bad(p, "unknown section [%s] (droplet.conf has [droplet], [volume], [network], [logging], [uplink] and "
               "[metrics])",
            name);
    else
        bad(p, "unknown section [%s] (a service file has [service] and [healthcheck])", name);
}

/* A list key left empty ("ports =") with no indented lines after it is
 * almost certainly a mistake, but harmless: say so once the next key,
 * section or the end of the file shows nothing followed. */
static void flush_empty(struct pctx *p)
{
    if (p->empty_at.line && p->empty_is_error)
        diag_error(&p->c->diags, p->empty_at, p->empty_key,
                   "empty command: give it on this line or on indented lines below");
    else if (p->empty_at.line)
        diag_warn(&p->c->diags, p->empty_at, p->empty_key, "empty value: nothing is listed");
    p->empty_at.line = 0;
}

/* Classify one line exactly as inih r55 will treat it (with inline
 * comments off and multi-line values on), report what inih would reject,
 * and return the text inih should see. */
static const char *classify(struct pctx *p, char *line)
{
    p->at = (struct src){p->file, p->lineno};
    p->keyname = NULL;
    const char *base = line; /* columns count from the line as written */
    if (p->lineno == 1 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB &&
        (unsigned char)line[2] == 0xBF)
        line += 3; /* inih skips a UTF-8 byte order mark */
    /* inih: start = lskip(rstrip(line)) */
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0';
    char *start = line;
    while (*start && isspace((unsigned char)*start))
        start++;
    if (*start == ';' || *start == '#') {
        p->cls = L_COMMENT;
        return line;
    }
    if (p->have_prev_key && *start && start > line) {
        p->cls = L_CONT;
        p->value_col = (int)(start - base) + 1;
        return line;
    }
    if (*start == '[') {
        flush_empty(p);
        char *close = strchr(start + 1, ']');
        if (!close) {
            /* Report it, then read on as if the ']' were there, so the keys
             * below are not reported as outside any section. inih is given
             * a well-formed header so that it, too, ends the previous key. */
            p->cls = L_SECTION;
            p->have_prev_key = false;
            bad(p, "section header is missing ']'");
            enter_section(p, start + 1, strlen(start + 1), true);
            return "[-]";
        }
        p->cls = L_SECTION;
        p->have_prev_key = false;
        if (strspn(close + 1, " \t") != strlen(close + 1)) {
            bad(p, "unexpected text after ']'");
        }
        enter_section(p, start + 1, (size_t)(close - start - 1), false);
        return line;
    }
    if (!*start) {
        p->cls = L_BLANK;
        return line;
    }
    char *sep = start + strcspn(start, "=:");
    if (!*sep) {
        p->cls = L_BAD;
        bad(p, "expected 'key = value'");
        return "";
    }
    char *vs = sep + 1;
    while (*vs == ' ' || *vs == '\t')
        vs++;
    p->value_col = (int)(vs - base) + 1;
    char *kend = sep;
    while (kend > start && isspace((unsigned char)kend[-1]))
        kend--;
    if (kend == start) {
        p->cls = L_BAD;
        bad(p, "missing key name before '%c'", *sep);
        return "";
    }
    flush_empty(p);
    p->cls = L_KEY;
    p->have_prev_key = true;
    return line;
}

/* The ini_reader: hands inih one whole line per call. */
static char *reader(char *str, int num, void *stream)
{
    struct pctx *p = stream;
    if (p->pos >= p->len)
        return NULL;
    const char *start = p->buf + p->pos;
    const char *nl = memchr(start, '\n', p->len - p->pos);
    size_t n = nl ? (size_t)(nl - start) : p->len - p->pos;
    p->pos += n + (nl ? 1 : 0);
    p->lineno++;

    const char *out;
    char *line = NULL;
    p->at = (struct src){p->file, p->lineno};
    p->keyname = NULL;
    if (n > CONF_MAX_LINE || n + 2 > (size_t)num) {
        p->cls = L_BAD;
        bad(p, "line is longer than %d bytes", CONF_MAX_LINE);
        out = "";
    } else if (memchr(start, '\0', n)) {
        p->cls = L_BAD;
        bad(p, "line contains a NUL byte");
        out = "";
    } else {
        line = arena_strndup(A(p), start, n);
        out = classify(p, line);
    }
    size_t ol = strlen(out);
    memcpy(str, out, ol);
    str[ol] = '\n';
    str[ol + 1] = '\0';
    return str;
}

static void configure_inih(void)
{
    /* Debian's inih exposes its compile-time options as variables. We
     * want: no inline comments (so "sh -c 'a; b'" keeps its ';'), long
     * lines, continuation lines, and never stopping at the first error.
     * Setting them is idempotent and happens before any parse. */
    ini_allow_inline_comments = false;
    ini_allow_multiline = true;
    ini_stop_on_first_error = false;
    ini_allow_no_value = false;
    ini_max_line = CONF_MAX_LINE + 3; /* '\n', '\r' and '\0' */
}

int parse_buffer(struct pctx *p, const char *buf, size_t len)
{
    configure_inih();
    p->buf = buf;
    p->len = len;
    p->pos = 0;
    p->lineno = 0;
    p->prev_key = -1;
    p->key = -1;
    int r = ini_parse_stream(reader, p, on_value, p);
    flush_empty(p);
    if (r != 0) {
        p->at = (struct src){p->file, r > 0 ? r : 0};
        p->keyname = NULL;
        bad(p, "cannot parse this line");
    }
    return 0;
}
