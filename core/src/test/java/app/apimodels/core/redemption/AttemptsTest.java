package app.apimodels.core.redemption;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which address an attempt is counted against. */
class AttemptsTest {

    @Test
    void anIpv4AddressCountsAsItIs() {
        assertThat(Attempts.addressKey("203.0.113.7")).isEqualTo("203.0.113.7");
    }

    @Test
    void anIpv6AddressCountsByItsSlash64() {
        String a = Attempts.addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
        assertThat(a).isEqualTo(Attempts.addressKey("2001:db8:1:2::1")).isEqualTo(Attempts.addressKey("[2001:db8:1:2::9%eth0]"));
        assertThat(a).endsWith("/64").isNotEqualTo(Attempts.addressKey("2001:db8:1:3::1"));
    }

    @Test
    void anythingElseCountsAsGivenAndBounded() {
        assertThat(Attempts.addressKey(null)).isEqualTo("unknown");
        assertThat(Attempts.addressKey("")).isEqualTo("unknown");
        assertThat(Attempts.addressKey("not:an:address:zz")).isEqualTo("not:an:address:zz");
        assertThat(Attempts.addressKey("ab::cd::ef")).isEqualTo("ab::cd::ef");
        assertThat(Attempts.addressKey("x".repeat(300))).hasSize(64);
    }
}
