/* volguard.c - see volguard.h. */
#include "volguard.h"

#include <string.h>

bool path_is_ancestor(const char *dir, const char *path)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/' && path[1] != '\0';
    return strncmp(dir, path, n) == 0 && path[n] == '/';
}

const char *volume_guard(const char *src, const char *const *writable, size_t n)
{
    const char *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (path_is_ancestor(writable[i], src) && (!best || strlen(writable[i]) < strlen(best)))
            best = writable[i];
    return best;
}
