/* Value types: durations, sizes, booleans, signals, capabilities, limits,
 * addresses, shell words, JSON arrays, and the printers that write them
 * back. */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "../../lib/arena.h"
#include "../../lib/util.h"
#include "../../config/value.h"
#include "t.h"

TEST(duration_units)
{
    const char *why;
    uint64_t ms;
    struct {
        const char *in;
        uint64_t ms;
    } ok[] = {{"500ms", 500}, {"30s", 30000}, {"2m", 120000}, {"1h", 3600000}, {"1m30s", 90000},
              {"1.5s", 1500}, {"0", 0},       {"0s", 0},      {"10ms", 10}, {"1h2m3s4ms", 3723004}, {"0.001s", 1}};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK(parse_duration(ok[i].in, &ms, &why) == 0);
        CHECK_INT(ms, ok[i].ms);
    }
    const char *bad[] = {"10", "", "s", "10x", "-1s", "1.s", "999999h", "ms", "1 s", "30s1h", "1s1s", "0.5ms",
                         "1.0001s"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK(parse_duration(bad[i], &ms, &why) < 0);
    CHECK(parse_duration("10", &ms, &why) < 0);
    CHECK_CONTAINS(why, "missing unit");
    CHECK(parse_duration("30 s", &ms, &why) < 0);
    CHECK_CONTAINS(why, "no spaces in a duration");
}

TEST(size_units)
{
    const char *why;
    uint64_t b;
    struct {
        const char *in;
        uint64_t b;
    } ok[] = {{"512M", 512ULL << 20}, {"1G", 1ULL << 30}, {"1g", 1ULL << 30}, {"64k", 65536},
              {"4096", 4096},         {"1.5G", 3ULL << 29}, {"512MiB", 512ULL << 20}, {"512MB", 512ULL << 20},
              {"100b", 100},          {"2T", 2ULL << 40}, {"1 GB", 1ULL << 30}};
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        CHECK(parse_size(ok[i].in, &b, &why) == 0);
        CHECK_INT(b, ok[i].b);
    }
    const char *bad[] = {"", "M", "12X", "1.G", "-1M", "1Mi", "99999999999T", "1  G", "1 "};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK(parse_size(bad[i], &b, &why) < 0);
}

TEST(bool_values)
{
    const char *why;
    bool v;
    const char *t[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
    const char *f[] = {"false", "no", "off", "0", "False"};
    for (size_t i = 0; i < ARRAY_SIZE(t); i++)
        CHECK(parse_bool(t[i], &v, &why) == 0 && v);
    for (size_t i = 0; i < ARRAY_SIZE(f); i++)
        CHECK(parse_bool(f[i], &v, &why) == 0 && !v);
    CHECK(parse_bool("maybe", &v, &why) < 0);
    CHECK(parse_bool("", &v, &why) < 0);
}

TEST(signal_names)
{
    const char *why;
    int s;
    CHECK(parse_signal("SIGTERM", &s, &why) == 0 && s == SIGTERM);
    CHECK(parse_signal("TERM", &s, &why) == 0 && s == SIGTERM);
    CHECK(parse_signal("sigquit", &s, &why) == 0 && s == SIGQUIT);
    CHECK(parse_signal("9", &s, &why) == 0 && s == SIGKILL);
    CHECK(parse_signal("SIGRTMIN+3", &s, &why) == 0 && s == SIGRTMIN + 3);
    CHECK(parse_signal("SIGFOO", &s, &why) < 0);
    CHECK(parse_signal("0", &s, &why) < 0);
    CHECK(parse_signal("999", &s, &why) < 0);
    char buf[32];
    CHECK_STR(signal_name(SIGQUIT, buf, sizeof(buf)), "SIGQUIT");
    CHECK_STR(signal_name(SIGRTMIN + 2, buf, sizeof(buf)), "SIGRTMIN+2");
}

TEST(capability_names)
{
    const char *why;
    int c;
    CHECK(parse_capability("NET_ADMIN", &c, &why) == 0 && c == 12);
    CHECK(parse_capability("cap_net_admin", &c, &why) == 0 && c == 12);
    CHECK(parse_capability("CAP_CHOWN", &c, &why) == 0 && c == 0);
    CHECK(parse_capability("NET_ADMINS", &c, &why) < 0);
    CHECK(parse_capability("", &c, &why) < 0);
    char buf[64];
    CHECK_STR(capability_name(12, buf, sizeof(buf)), "NET_ADMIN");
}

TEST(ulimit_names)
{
    CHECK_INT(ulimit_resource("nofile"), RLIMIT_NOFILE);
    CHECK_INT(ulimit_resource("NPROC"), RLIMIT_NPROC);
    CHECK_INT(ulimit_resource("files"), -1);
    CHECK_STR(ulimit_name(RLIMIT_CORE), "core");
}

TEST(ipv4_and_cidr)
{
    uint32_t a;
    int p;
    const char *why;
    CHECK(parse_ipv4("10.88.0.1", &a) == 0 && a == 0x0a580001);
    CHECK(parse_ipv4("10.88.0", &a) < 0);
    CHECK(parse_ipv4("256.1.1.1", &a) < 0);
    CHECK(parse_cidr("10.88.0.0/24", &a, &p, &why) == 0 && a == 0x0a580000 && p == 24);
    CHECK(parse_cidr("10.88.0.1/24", &a, &p, &why) < 0);
    CHECK_CONTAINS(why, "host bits");
    CHECK(parse_cidr("10.88.0.0", &a, &p, &why) < 0);
    CHECK(parse_cidr("10.88.0.0/33", &a, &p, &why) < 0);
    char buf[16];
    format_ipv4(0x7f000001, buf, sizeof(buf));
    CHECK_STR(buf, "127.0.0.1");
}

TEST(shell_words)
{
    struct arena a;
    arena_init(&a);
    const char *why;
    size_t n;
    char **w = shell_split(&a, "redis-server --requirepass ${X} --appendonly yes", &n, &why);
    CHECK(w && n == 5);
    CHECK_STR(w[2], "${X}");
    CHECK(w[5] == NULL);
    w = shell_split(&a, "sh -c 'echo a; echo \"b\"' \"x y\" z\\ w \"q\\\"\"", &n, &why);
    CHECK(w && n == 6);
    if (w && n == 6) {
        CHECK_STR(w[2], "echo a; echo \"b\"");
        CHECK_STR(w[3], "x y");
        CHECK_STR(w[4], "z w");
        CHECK_STR(w[5], "q\"");
    }
    w = shell_split(&a, "a''b \"\" ''", &n, &why);
    CHECK(w && n == 3 && streq(w[0], "ab") && streq(w[1], "") && streq(w[2], ""));
    w = shell_split(&a, "   ", &n, &why);
    CHECK(w && n == 0);
    CHECK(shell_split(&a, "'open", &n, &why) == NULL);
    CHECK_CONTAINS(why, "single quote");
    CHECK(shell_split(&a, "\"open", &n, &why) == NULL);
    CHECK_CONTAINS(why, "double quote");
    CHECK(shell_split(&a, "end\\", &n, &why) == NULL);
    arena_free(&a);
}

TEST(json_arrays)
{
    struct arena a;
    arena_init(&a);
    const char *why;
    size_t n;
    char **w = parse_argv(&a, "[\"node\", \"dist/main.js\"]", 0, &n, &why);
    CHECK(w && n == 2 && streq(w[1], "dist/main.js") && w[2] == NULL);
    w = parse_argv(&a, "[]", 0, &n, &why);
    CHECK(w && n == 0);
    CHECK(parse_argv(&a, "[\"a\", 1]", 0, &n, &why) == NULL);
    CHECK_CONTAINS(why, "element 2");
    CHECK(parse_argv(&a, "[\"a\"", 0, &n, &why) == NULL);
    CHECK_CONTAINS(why, "invalid JSON");
    /* columns count from the start of the line when told where s starts */
    CHECK(parse_argv(&a, "[\"a\",]", 11, &n, &why) == NULL);
    CHECK_CONTAINS(why, "at column 16:");
    CHECK(parse_argv(&a, "[\"a\\u0000b\"]", 0, &n, &why) == NULL);
    arena_free(&a);
}

/* Printers must write what the parsers read back. */
TEST(print_round_trip)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    print_duration(f, 90000);
    fputc(' ', f);
    print_duration(f, 1500);
    fputc(' ', f);
    print_duration(f, 3600000);
    fputc(' ', f);
    print_size(f, 512ULL << 20);
    fputc(' ', f);
    print_size(f, 1000);
    fputc(' ', f);
    print_shell_word(f, "a b'c");
    fputc(' ', f);
    print_shell_word(f, "plain=${X}");
    fputc(' ', f);
    print_shell_word(f, "");
    fclose(f);
    CHECK_STR(buf, "90s 1500ms 1h 512M 1000 'a b'\\''c' plain=${X} ''");
    struct arena a;
    arena_init(&a);
    const char *why;
    size_t n;
    char **w = shell_split(&a, buf + 23, &n, &why);
    CHECK(w && n == 3 && streq(w[0], "a b'c") && streq(w[1], "plain=${X}") && streq(w[2], ""));
    arena_free(&a);
    free(buf);
}

TEST(did_you_mean_limits)
{
    const char *const c[] = {"image", "ports", "volumes", "memory_max", "depends_on"};
    CHECK_STR(did_you_mean("imgae", c, 5), "image");
    CHECK_STR(did_you_mean("volume", c, 5), "volumes");
    CHECK_STR(did_you_mean("memory_mx", c, 5), "memory_max");
    CHECK_STR(did_you_mean("depend_on", c, 5), "depends_on");
    CHECK(did_you_mean("foo", c, 5) == NULL);
    CHECK(did_you_mean("x", c, 5) == NULL);
}
