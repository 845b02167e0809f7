#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void rt_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno; /* close() in cleanup must not clobber the caller's errno */
        close(*fd);
        errno = saved;
    }
}

bool endswith(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool word_in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

char *strstrip(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

unsigned edit_distance(const char *a, const char *b)
{
    /* Optimal string alignment distance: Levenshtein plus transposition
     * of neighbours ("imgae" is one edit from "image"). Three rows of 64
     * cells: names here are short, and longer words are never typos of our
     * keys anyway. */
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 255;
    unsigned rows[3][64];
    unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            unsigned v = prev[j - 1] + (ca != cb);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
        }
        unsigned *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb] > 255 ? 255 : prev[lb];
}

static size_t common_prefix(const char *a, const char *b)
{
    size_t n = 0;
    while (a[n] && tolower((unsigned char)a[n]) == tolower((unsigned char)b[n]))
        n++;
    return n;
}

const char *did_you_mean(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    unsigned best_d = 255;
    size_t lw = strlen(word);
    /* Allow roughly one edit per three characters, at least one and at most
     * three: "imgae" -> "image", but "foo" is not a typo of "ports". */
    unsigned limit = (unsigned)(lw / 3);
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    for (size_t i = 0; i < n; i++) {
        unsigned d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    if (best_d <= limit)
        return best;
    /* A shortened or lengthened word: "mount" for "mountpoint", "logs" for
     * "logging". A shared start of three or more characters that covers most
     * of the shorter word is a good enough sign. */
    for (size_t i = 0; i < n; i++) {
        size_t lc = strlen(candidates[i]);
        size_t shorter = lw < lc ? lw : lc;
        size_t cp = common_prefix(word, candidates[i]);
        if (cp >= 3 && cp * 4 >= shorter * 3)
            return candidates[i];
    }
    return NULL;
}

char *strfmt(const char *fmt, ...)
{
    char *out = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}
