package app.apimodels.core.fetch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FetchPolicyTest {

    @Test
    void defaultsAllowNothingPrivate() {
        FetchPolicy policy = FetchPolicy.defaults();

        assertThat(policy.allowedPrivateHosts()).isEmpty();
        assertThat(policy.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.totalTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(policy.maxRedirects()).isEqualTo(5);
        assertThat(policy.userAgent()).isEqualTo("apimodels/1");
    }

    @Test
    void parsesEntriesInCanonicalForm() {
        assertThat(FetchPolicy.parseHosts(" 127.0.0.1:8080, Files.Internal.EXAMPLE:443 ,[::1]:9000,,127.1:81 ,"))
                .containsExactlyInAnyOrder("127.0.0.1:8080", "files.internal.example:443", "[::1]:9000", "127.0.0.1:81");
    }

    @Test
    void emptyOrMissingListAllowsNothing() {
        assertThat(FetchPolicy.parseHosts(null)).isEmpty();
        assertThat(FetchPolicy.parseHosts("  ")).isEmpty();
        assertThat(FetchPolicy.parseHosts(" , ")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "localhost:", ":8080", "localhost:0", "localhost:65536", "localhost:http",
            "localhost:-1", "http://localhost:80", "[::1:80", "[::1]", "::1:80", "a b:80", "under%20:80",
            "1.2.3.4.5:80", "[fe80::1%eth0]:80"})
    void refusesMalformedEntryAndNamesIt(String bad) {
        assertThatThrownBy(() -> FetchPolicy.parseHosts("127.0.0.1:8080," + bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("apimodels.fetch.allowed-private-hosts")
                .hasMessageContaining("'" + bad + "'");
    }

    @Test
    void constructorCanonicalisesAndValidates() {
        FetchPolicy policy = new FetchPolicy(Set.of("LocalHost:8080"), Duration.ofSeconds(1), Duration.ofSeconds(2), 0, "ua");
        assertThat(policy.allowedPrivateHosts()).containsExactly("localhost:8080");

        assertThatThrownBy(() -> new FetchPolicy(Set.of("nope"), Duration.ofSeconds(1), Duration.ofSeconds(2), 0, "ua"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nope'");
        assertThatThrownBy(() -> new FetchPolicy(Set.of(), Duration.ZERO, Duration.ofSeconds(2), 0, "ua"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> new FetchPolicy(Set.of(), Duration.ofSeconds(1), Duration.ofSeconds(-2), 0, "ua"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("totalTimeout");
        assertThatThrownBy(() -> new FetchPolicy(Set.of(), Duration.ofSeconds(1), Duration.ofSeconds(2), -1, "ua"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxRedirects");
        assertThatThrownBy(() -> new FetchPolicy(Set.of(), Duration.ofSeconds(1), Duration.ofSeconds(2), 0, " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userAgent");
    }
}
