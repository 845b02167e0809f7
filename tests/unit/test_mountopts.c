/* fstab-style mount options split into mount(2) flags and the file
 * system's data (config/mountopts.c): ext4 refuses "defaults,noatime" as
 * data, which [volume] options documents. */
#include <sys/mount.h>

#include "../../config/mountopts.h"
#include "t.h"

TEST(mountopts_generic_words_are_flags)
{
    unsigned long f;
    char data[64];
    const char *why;
    CHECK(mountopts_split("defaults,noatime", &f, data, sizeof(data), &why) == 0);
    CHECK_INT(f, MS_NOATIME);
    CHECK_STR(data, "");
    CHECK(mountopts_split("defaults", &f, data, sizeof(data), &why) == 0);
    CHECK_INT(f, 0);
    CHECK(mountopts_split("", &f, data, sizeof(data), &why) == 0);
    CHECK_INT(f, 0);
    CHECK(mountopts_split(NULL, &f, data, sizeof(data), &why) == 0);
    CHECK_STR(data, "");
    /* later words win, as with mount(8) */
    CHECK(mountopts_split("ro,nodev,rw,nofail", &f, data, sizeof(data), &why) == 0);
    CHECK_INT(f, MS_NODEV);
    CHECK(mountopts_split("noatime,relatime", &f, data, sizeof(data), &why) == 0);
    CHECK_INT(f, MS_RELATIME);
}

TEST(mountopts_the_rest_is_the_file_systems)
{
    unsigned long f;
    char data[64];
    const char *why;
    CHECK(mountopts_split("defaults,noatime,errors=remount-ro,commit=30,,nosuid", &f, data, sizeof(data), &why) == 0);
    CHECK_INT(f, MS_NOATIME | MS_NOSUID);
    CHECK_STR(data, "errors=remount-ro,commit=30");
    /* a prefix of a generic word is not that word */
    CHECK(mountopts_split("noat,rox", &f, data, sizeof(data), &why) == 0);
    CHECK_INT(f, 0);
    CHECK_STR(data, "noat,rox");
    char small[8];
    CHECK(mountopts_split("commit=30", &f, small, sizeof(small), &why) < 0);
    CHECK_CONTAINS(why, "too long");
    CHECK(mountopts_split("commit=", &f, small, sizeof(small), &why) == 0);
    CHECK_STR(small, "commit=");
}
