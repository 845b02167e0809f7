/* The bridge's MAC addresses (netns/net.c): made from the IPv4 address,
 * Docker's way, so a restarted container has the same one. */
#include <string.h>

#include "../../netns/net.h"
#include "t.h"

static void mac_text(uint32_t addr, char out[18])
{
    uint8_t m[6];
    net_mac(addr, m);
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

TEST(net_mac_is_02_42_and_the_address)
{
    char s[18];
    mac_text(0x0a580002u, s); /* 10.88.0.2 */
    CHECK_STR(s, "02:42:0a:58:00:02");
    mac_text(0xc0a8fffeu, s); /* 192.168.255.254 */
    CHECK_STR(s, "02:42:c0:a8:ff:fe");
    mac_text(0x0a580001u, s); /* the gateway's, the bridge's own */
    CHECK_STR(s, "02:42:0a:58:00:01");
    /* unicast (bit 0 of the first byte clear) and locally administered
     * (bit 1 set): never a vendor's address, never a group */
    uint8_t m[6];
    net_mac(0xffffffffu, m);
    CHECK_INT(m[0] & 1, 0);
    CHECK_INT(m[0] & 2, 2);
}
