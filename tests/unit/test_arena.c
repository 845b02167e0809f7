/* The arena, and that running out of memory mid-parse fails cleanly. */
#include <stdint.h>

#include "../../lib/arena.h"
#include "helpers.h"
#include "t.h"

TEST(arena_basics)
{
    struct arena a;
    arena_init(&a);
    jmp_buf jb;
    if (ARENA_TRY(&a, jb)) {
        CHECK(!"unexpected OOM");
        arena_free(&a);
        return;
    }
    char *s = arena_printf(&a, "%s-%d", "x", 42);
    CHECK_STR(s, "x-42");
    /* alignment and zeroing */
    for (int i = 1; i < 100; i++) {
        unsigned char *p = arena_alloc(&a, (size_t)i);
        CHECK(((uintptr_t)p % _Alignof(max_align_t)) == 0);
        for (int k = 0; k < i; k++)
            if (p[k])
                CHECK(!"not zeroed");
        memset(p, 0xff, (size_t)i);
    }
    /* a block larger than a chunk */
    char *big = arena_alloc(&a, 100000);
    big[99999] = 1;
    char *after = arena_strdup(&a, "still fine");
    CHECK_STR(after, "still fine");
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 1000; i++)
        ARENA_PUSH(&a, v, n, cap, i);
    CHECK_INT(n, 1000);
    CHECK_INT(v[999], 999);
    arena_free(&a);
}

TEST(arena_oom_jumps)
{
    struct arena a;
    arena_init(&a);
    a.limit = 20000;
    jmp_buf jb;
    volatile int reached = 0;
    if (ARENA_TRY(&a, jb)) {
        reached = 1;
    } else {
        for (int i = 0; i < 100; i++)
            arena_alloc(&a, 1000);
    }
    CHECK_INT(reached, 1);
    arena_free(&a);
}

/* A configuration load that runs out of memory returns -1, and the conf
 * can still be freed: nothing half-built is left reachable. */
TEST(conf_parse_oom_is_clean)
{
    struct rt_paths p;
    struct rt_err e;
    rt_paths_init(&p, "conf.d", NULL, &e);
    /* Big enough to need several arena chunks. */
    static char text[64 * 1024];
    size_t n = (size_t)snprintf(text, sizeof(text), "[service]\nimage = a\n");
    for (int i = 0; i < 1500; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "environment = VAR_%d=value-%d\n", i, i);
    size_t len = n;
    int failures = 0, successes = 0;
    for (size_t limit = 16384; limit < 1200000; limit += 16384) {
        struct conf *c = conf_new(&p, &e);
        CHECK(c != NULL);
        c->arena.limit = limit;
        int r = conf_parse_service(c, "conf.d/s.conf", "s", text, len);
        if (r < 0)
            failures++;
        else
            successes++;
        conf_free(c);
    }
    CHECK(failures > 0);
    CHECK(successes > 0);
}
