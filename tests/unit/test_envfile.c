/* Environment files and ${VAR} interpolation. */
#include "../../config/envfile.h"
#include "../../lib/util.h"
#include "t.h"

static const char *lookup(void *ud, const char *name)
{
    const struct envfile *e = ud;
    const struct envfile_var *v = envfile_get(e, name);
    return v ? v->value : NULL;
}

TEST(envfile_format)
{
    struct arena a;
    arena_init(&a);
    static const char text[] = "# comment\n\nA=1\nexport B = two words \nC=\"quoted # not a comment\"\n"
                               "D='single'\nE=\nF=a=b\nG=\"unbalanced\n  H=indented\n";
    struct envfile e = {0};
    struct envfile_result r = {0};
    envfile_parse(&a, text, sizeof(text) - 1, &e, &r);
    CHECK_INT(r.nproblems, 0);
    CHECK_INT(e.n, 8);
    CHECK_STR(envfile_get(&e, "A")->value, "1");
    CHECK_STR(envfile_get(&e, "B")->value, "two words");
    CHECK_STR(envfile_get(&e, "C")->value, "quoted # not a comment");
    CHECK_STR(envfile_get(&e, "D")->value, "single");
    CHECK_STR(envfile_get(&e, "E")->value, "");
    CHECK_STR(envfile_get(&e, "F")->value, "a=b");
    CHECK_STR(envfile_get(&e, "G")->value, "\"unbalanced");
    CHECK_STR(envfile_get(&e, "H")->value, "indented");
    CHECK_INT(envfile_get(&e, "H")->line, 10);
    CHECK(envfile_get(&e, "Z") == NULL);
    arena_free(&a);
}

TEST(envfile_problems)
{
    struct arena a;
    arena_init(&a);
    static const char text[] = "novalue\n=x\n1A=2\nA=1\nA=2\nB C=1\nD.E-F=ok\n";
    struct envfile e = {0};
    struct envfile_result r = {0};
    envfile_parse(&a, text, sizeof(text) - 1, &e, &r);
    CHECK_INT(r.nproblems, 5);
    CHECK_INT(r.problems[0].line, 1);
    CHECK_STR(r.problems[0].msg, "expected NAME=VALUE");
    CHECK_INT(r.problems[1].line, 2);
    CHECK_INT(r.problems[2].line, 3);
    CHECK_STR(r.problems[3].msg, "A is set twice (first at line 4)");
    CHECK_INT(r.problems[4].line, 6);
    arena_free(&a);
}

TEST(interpolation)
{
    struct arena a;
    arena_init(&a);
    static const char text[] = "PW=p@ss word\nEMPTY=\n";
    struct envfile e = {0};
    struct envfile_result r = {0};
    envfile_parse(&a, text, sizeof(text) - 1, &e, &r);
    const char *why = NULL;
    struct {
        const char *in, *out;
    } ok[] = {
        {"redis://:${PW}@redis:6379", "redis://:p@ss word@redis:6379"},
        {"$$HOME and $HOME and $", "$HOME and $HOME and $"},
        {"${MISSING:-fallback}", "fallback"},
        {"${MISSING-fallback}", "fallback"},
        {"${EMPTY:-fallback}", "fallback"},
        {"${EMPTY-fallback}", ""},
        {"${EMPTY}", ""},
        {"a${PW}b${PW}", "ap@ss wordbp@ss word"},
        {"$${PW}", "${PW}"},
        {"no refs", "no refs"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        char *got = interp_expand(&a, ok[i].in, lookup, &e, &why);
        CHECK_STR(got, ok[i].out);
    }
    CHECK(interp_expand(&a, "${MISSING}", lookup, &e, &why) == NULL);
    CHECK_STR(why, "${MISSING} is not defined");
    CHECK(interp_expand(&a, "${MISSING:?set it in secrets.env}", lookup, &e, &why) == NULL);
    CHECK_STR(why, "MISSING: set it in secrets.env");
    CHECK(interp_expand(&a, "${EMPTY:?}", lookup, &e, &why) == NULL);
    CHECK_STR(why, "EMPTY is not set");
    CHECK(interp_expand(&a, "${EMPTY?}", lookup, &e, &why) != NULL);
    CHECK(interp_expand(&a, "${", lookup, &e, &why) == NULL);
    CHECK_STR(why, "unterminated ${");
    CHECK(interp_expand(&a, "${}", lookup, &e, &why) == NULL);
    CHECK_STR(why, "empty ${} reference");
    CHECK(interp_expand(&a, "${A B}", lookup, &e, &why) == NULL);
    CHECK_STR(why, "unexpected character in ${...}");
    arena_free(&a);
}

static int refs;
static void count(void *ud, const char *name, size_t len, bool has_default)
{
    (void)ud;
    (void)name;
    (void)len;
    if (!has_default)
        refs++;
}

TEST(interp_scan_names)
{
    const char *why;
    refs = 0;
    CHECK(interp_scan("${A} ${B:-x} $${C} ${D?} $E", count, NULL, &why) == 0);
    CHECK_INT(refs, 2); /* A and D; B has a default, C is escaped, $E is literal */
    CHECK(interp_scan("${1}", count, NULL, &why) < 0);
}
