/* util.h - small helpers shared by every module: cleanup attributes,
 * string predicates, did-you-mean.
 *
 * The cleanup attributes follow crun's style: a variable declared with
 * `_cleanup_close_ int fd = -1;` is closed on every return path, so error
 * paths cannot leak descriptors. */
#ifndef RT_UTIL_H
#define RT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void rt_closep(int *fd);

#define _cleanup_close_ __attribute__((cleanup(rt_closep)))

static inline bool streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix);

/* word in a blank-separated list, as cgroup.controllers has them. */
bool word_in_list(const char *list, const char *word);

/* A malloc'd formatted string; NULL when memory runs out. */
char *strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns s with leading and trailing ASCII whitespace removed, in place. */
char *strstrip(char *s);

/* Edit distance between a and b (case-insensitive), capped at 255. */
unsigned edit_distance(const char *a, const char *b);

/* The candidate closest to word by edit distance, or NULL if none is
 * close enough to be a plausible typo. */
const char *did_you_mean(const char *word, const char *const *candidates, size_t n);

#endif
