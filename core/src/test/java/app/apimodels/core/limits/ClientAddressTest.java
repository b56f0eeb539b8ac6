package app.apimodels.core.limits;

import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which address a call is counted against, with and without trusted proxies. */
class ClientAddressTest {

    private static String from(ClientAddress a, String peer, String forwarded) {
        MockExchange.Builder b = MockExchange.get("/v1/models").remoteAddress(peer);
        if (forwarded != null) {
            b.header("X-Forwarded-For", forwarded);
        }
        return a.of(b.build());
    }

    @Test
    void withoutTrustedProxiesTheHeaderIsIgnored() {
        ClientAddress none = new ClientAddress(ClientAddress.parseProxies(""));
        assertThat(from(none, "10.0.0.1", "203.0.113.7")).isEqualTo("10.0.0.1");
    }

    @Test
    void theFirstAddressFromTheRightThatIsNoTrustedProxyIsTheClient() {
        ClientAddress proxies = new ClientAddress(ClientAddress.parseProxies("10.0.0.0/8, fd00::/8, 192.0.2.1"));
        assertThat(from(proxies, "10.0.0.1", "203.0.113.7")).isEqualTo("203.0.113.7");
        // What the client wrote itself (left of its own address) is not believed.
        assertThat(from(proxies, "10.0.0.1", "198.51.100.1, 203.0.113.7, 10.2.2.2")).isEqualTo("203.0.113.7");
        assertThat(from(proxies, "fd00::1", "2001:db8::5")).isEqualTo("2001:db8:0:0:0:0:0:0/64");
        assertThat(from(proxies, "192.0.2.1", "[2001:db8:0:7::6]")).isEqualTo("2001:db8:0:7:0:0:0:0/64");
        // Garbage beyond the proxies: the last address a proxy vouched for.
        assertThat(from(proxies, "10.0.0.1", "not-an-address, 10.9.9.9")).isEqualTo("10.9.9.9");
        assertThat(from(proxies, "10.0.0.1", "unknown")).isEqualTo("10.0.0.1");
        assertThat(from(proxies, "10.0.0.1", null)).isEqualTo("10.0.0.1");
        // A peer that is no proxy: its header is anyone's word.
        assertThat(from(proxies, "203.0.113.9", "10.0.0.5")).isEqualTo("203.0.113.9");
    }

    @Test
    void anIpv6ClientIsCountedByItsSlash64() {
        ClientAddress none = new ClientAddress(java.util.List.of());
        assertThat(from(none, "2001:db8:1:2:aaaa::1", null)).isEqualTo(from(none, "2001:db8:1:2:bbbb::9", null))
                .isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(from(none, "2001:db8:1:3::1", null)).isEqualTo("2001:db8:1:3:0:0:0:0/64");
        assertThat(from(none, "203.0.113.7", null)).isEqualTo("203.0.113.7");
        assertThat(ClientAddress.counted("fe80::1%eth0")).isEqualTo("fe80:0:0:0:0:0:0:0/64");
        assertThat(ClientAddress.counted(null)).isEqualTo("unknown");
    }

    @Test
    void proxiesAreLiteralsOrBlocksNeverNames() {
        for (String bad : new String[] {"proxy.example.com", "10.0.0.0/33", "300.1.1.1", "10.0.0.0/x", "::1/129"}) {
            assertThatThrownBy(() -> ClientAddress.parseProxies(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
