/* t.h - a unit test framework small enough to read in a minute.
 *
 * TEST(name) { ... } defines and registers a test. CHECK* macros record a
 * failure with its file and line and carry on, so one run shows every
 * broken expectation. The runner prints "ok NAME" or "FAIL NAME: ...". */
#ifndef T_H
#define T_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct t_case {
    const char *name;
    void (*fn)(void);
    struct t_case *next;
};

void t_register(struct t_case *tc);
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    static struct t_case t_case_##name = {#name, test_##name, NULL};                               \
    __attribute__((constructor)) static void t_reg_##name(void) { t_register(&t_case_##name); }    \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            t_fail(__FILE__, __LINE__, "%s", #cond);                                               \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long _a = (long long)(a), _b = (long long)(b);                                        \
        if (_a != _b)                                                                              \
            t_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, _a, _b);                   \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *_a = (a), *_b = (b);                                                           \
        if (!_a || !_b || strcmp(_a, _b) != 0)                                                     \
            t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)",   \
                   _b ? _b : "(null)");                                                            \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
    do {                                                                                           \
        const char *_h = (hay), *_n = (needle);                                                    \
        if (!_h || !strstr(_h, _n))                                                                \
            t_fail(__FILE__, __LINE__, "%s == \"%s\" lacks \"%s\"", #hay, _h ? _h : "(null)", _n); \
    } while (0)

#endif
