/* Stable addresses (netns/ipam.c): what a service gets, what it keeps,
 * what survives a restart (the file), and what a full subnet does. */
#include <stdlib.h>
#include <unistd.h>

#include "../../config/value.h"
#include "../../netns/ipam.h"
#include "t.h"

#define NET 0x0a580000u /* 10.88.0.0 */

static void fresh(char *dir)
{
    snprintf(dir, 64, "/tmp/rt-ipam-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static void cleanup(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

static int only_a_and_b(void *ud, const char *name)
{
    (void)ud;
    return !strcmp(name, "a") || !strcmp(name, "b");
}

TEST(ipam_gives_the_lowest_free_address_and_keeps_it_across_opens)
{
    char dir[64];
    fresh(dir);
    struct ipam m;
    struct rt_err err;
    uint32_t a, b, again;
    CHECK_INT(ipam_open(&m, dir, NET, 24, NET + 1, &err), 0);
    CHECK_INT(ipam_get(&m, "api", 0, NULL, NULL, &a, &err), 0);
    CHECK_INT(ipam_get(&m, "web", 0, NULL, NULL, &b, &err), 0);
    CHECK_INT(a, NET + 2); /* .0 is the network, .1 the gateway */
    CHECK_INT(b, NET + 3);
    CHECK_INT(ipam_get(&m, "api", 0, NULL, NULL, &again, &err), 0);
    CHECK_INT(again, a);
    ipam_close(&m);
    /* a new rtinit reads the same */
    CHECK_INT(ipam_open(&m, dir, NET, 24, NET + 1, &err), 0);
    CHECK_INT(ipam_get(&m, "web", 0, NULL, NULL, &again, &err), 0);
    CHECK_INT(again, b);
    ipam_close(&m);
    /* another subnet: the old leases are dropped */
    CHECK_INT(ipam_open(&m, dir, 0x0a590000u, 24, 0x0a590001u, &err), 0);
    CHECK_INT(ipam_get(&m, "web", 0, NULL, NULL, &again, &err), 0);
    CHECK_INT(again, 0x0a590002u);
    ipam_close(&m);
    cleanup(dir);
}

TEST(ipam_fixed_addresses_are_checked_and_taken_back_from_gone_services)
{
    char dir[64];
    fresh(dir);
    struct ipam m;
    struct rt_err err;
    uint32_t x;
    CHECK_INT(ipam_open(&m, dir, NET, 24, NET + 1, &err), 0);
    CHECK_INT(ipam_get(&m, "a", NET + 10, NULL, NULL, &x, &err), 0);
    CHECK_INT(x, NET + 10);
    CHECK_INT(ipam_get(&m, "b", NET + 10, only_a_and_b, NULL, &x, &err), -1);
    CHECK_CONTAINS(err.msg, "is a's address");
    CHECK_INT(ipam_get(&m, "b", NET + 1, NULL, NULL, &x, &err), -1); /* the gateway */
    CHECK_CONTAINS(err.msg, "not a host address");
    CHECK_INT(ipam_get(&m, "b", NET + 255, NULL, NULL, &x, &err), -1); /* broadcast */
    CHECK_INT(ipam_get(&m, "b", 0x0b000001u, NULL, NULL, &x, &err), -1);
    /* a service that is gone gives its fixed address up */
    CHECK_INT(ipam_get(&m, "c", NET + 10, only_a_and_b, NULL, &x, &err), -1);
    CHECK_STR(ipam_holder(&m, NET + 10), "a");
    CHECK_INT(ipam_release(&m, "a", &err), 0);
    CHECK_INT(ipam_get(&m, "c", NET + 10, NULL, NULL, &x, &err), 0);
    CHECK_STR(ipam_holder(&m, NET + 10), "c");
    ipam_close(&m);
    cleanup(dir);
}

TEST(ipam_a_full_subnet_reuses_the_address_of_a_gone_service)
{
    char dir[64];
    fresh(dir);
    struct ipam m;
    struct rt_err err;
    uint32_t x;
    /* a /29: .1 gateway, .2 to .6 for services */
    CHECK_INT(ipam_open(&m, dir, NET, 29, NET + 1, &err), 0);
    const char *names[] = {"a", "b", "gone1", "gone2", "gone3"};
    for (int i = 0; i < 5; i++)
        CHECK_INT(ipam_get(&m, names[i], 0, only_a_and_b, NULL, &x, &err), 0);
    CHECK_INT(x, NET + 6);
    CHECK_INT(ipam_get(&m, "new", 0, only_a_and_b, NULL, &x, &err), 0);
    CHECK_INT(x, NET + 4); /* gone1's: the lowest of a service that is gone */
    CHECK_INT(ipam_get(&m, "more", 0, NULL, NULL, &x, &err), -1);
    CHECK_CONTAINS(err.msg, "no free address");
    ipam_close(&m);
    cleanup(dir);
}
