package app.apimodels.core.config;

import app.apimodels.core.accounts.SignUps;
import app.apimodels.core.ledger.AsyncCommits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {

    private static Settings of(String key, String value) {
        return new Settings(ConfigSource.of(Map.of(key, value)));
    }

    @Test
    void unsetAndBlankValuesGiveTheDefault() {
        Settings none = new Settings(ConfigSource.of(Map.of()));

        assertThat(none.get(Keys.LEDGER_SWEEP)).isEqualTo(Duration.ofSeconds(30));
        assertThat(none.get(Keys.MEDIA_REDIRECT)).isTrue();
        assertThat(none.get(Keys.LEDGER_ASYNC_COMMITS)).isEqualTo(AsyncCommits.SETTLEMENTS);
        assertThat(none.get(Keys.DATA_DIR)).isEqualTo(Path.of("./apimodels-data"));
        assertThat(none.get(Keys.WORKER_THREADS)).isEqualTo(Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
        assertThat(none.find(Keys.PUBLIC_URL)).isEmpty();
        assertThat(of(Keys.LEDGER_SWEEP.key(), "  ").get(Keys.LEDGER_SWEEP)).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> none.get(Keys.DB_URL)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readsEachType() {
        assertThat(of("apimodels.media.redirect", " FALSE ").get(Keys.MEDIA_REDIRECT)).isFalse();
        assertThat(of("apimodels.media.redirect", "True").get(Keys.MEDIA_REDIRECT)).isTrue();
        assertThat(of("apimodels.ledger.sweep-seconds", "5").get(Keys.LEDGER_SWEEP)).isEqualTo(Duration.ofSeconds(5));
        assertThat(of("apimodels.tasks.poll-initial-ms", "250").get(Keys.TASKS_POLL_INITIAL)).isEqualTo(Duration.ofMillis(250));
        assertThat(of("apimodels.ledger.async-commits", "ALWAYS").get(Keys.LEDGER_ASYNC_COMMITS)).isEqualTo(AsyncCommits.ALWAYS);
        assertThat(of("apimodels.signup.mode", "Invite").get(Keys.SIGNUP_MODE)).isEqualTo(SignUps.Mode.INVITE);
        assertThat(of("apimodels.public-url", "https://api.example.com/ai").find(Keys.PUBLIC_URL))
                .hasValue(URI.create("https://api.example.com/ai"));
        assertThat(of("apimodels.fetch.allowed-private-hosts", "localhost:8080, 127.0.0.1:9000").find(Keys.FETCH_ALLOWED_PRIVATE_HOSTS))
                .hasValue(Set.of("localhost:8080", "127.0.0.1:9000"));
        assertThat(of("apimodels.media.output-retention-seconds", "0").get(Keys.MEDIA_OUTPUT_RETENTION)).isZero();
        assertThat(of("apimodels.shutdown.grace-seconds", "0").get(Keys.SHUTDOWN_GRACE)).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"no", "yes", "0", "1", "off", "on", "ture"})
    void aFlagIsTrueOrFalseOnly(String value) {
        assertThatThrownBy(() -> of("apimodels.media.redirect", value).get(Keys.MEDIA_REDIRECT))
                .isInstanceOf(ConfigException.class)
                .hasMessage("apimodels.media.redirect must be true or false, got '" + value + "'");
    }

    @Test
    void theEnvironmentFormIsCheckedTheSameWay() {
        Settings env = new Settings(ConfigSource.environment(Map.of("APIMODELS_MEDIA_REDIRECT", "no")));

        assertThatThrownBy(() -> env.get(Keys.MEDIA_REDIRECT)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("apimodels.media.redirect must be true or false");
    }

    @Test
    void zeroOrNegativeDurationsWhereZeroMakesNoSenseNameTheKey() {
        assertThatThrownBy(() -> of("apimodels.fetch.timeout-seconds", "0").get(Keys.FETCH_TIMEOUT))
                .isInstanceOf(ConfigException.class).hasMessage("apimodels.fetch.timeout-seconds must be from 1 to 31536000, got '0'");
        assertThatThrownBy(() -> of("apimodels.ledger.sweep-seconds", "0").get(Keys.LEDGER_SWEEP))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.ledger.sweep-seconds must be from 1");
        assertThatThrownBy(() -> of("apimodels.tasks.poll-initial-ms", "-5").get(Keys.TASKS_POLL_INITIAL))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.tasks.poll-initial-ms must be from 1");
        assertThatThrownBy(() -> of("apimodels.shutdown.grace-seconds", "-1").get(Keys.SHUTDOWN_GRACE))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.shutdown.grace-seconds must be from 0");
    }

    @Test
    void otherBadValuesNameTheKey() {
        assertThatThrownBy(() -> of("apimodels.ledger.async-commits", "sometimes").get(Keys.LEDGER_ASYNC_COMMITS))
                .isInstanceOf(ConfigException.class)
                .hasMessage("apimodels.ledger.async-commits must be one of never, settlements, always, got 'sometimes'");
        assertThatThrownBy(() -> of("apimodels.db.pool-size", "ten").get(Keys.DB_POOL_SIZE))
                .isInstanceOf(ConfigException.class).hasMessage("apimodels.db.pool-size must be a whole number from 1 to 1000, got 'ten'");
        assertThatThrownBy(() -> of("apimodels.max-body-bytes", "99999999999").get(Keys.MAX_BODY_BYTES))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.max-body-bytes must be from 1024 to ");
        assertThatThrownBy(() -> of("apimodels.public-url", "api.example.com").find(Keys.PUBLIC_URL))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.public-url must be an absolute http or https URL");
        assertThatThrownBy(() -> of("apimodels.public-url", "ftp://x/").find(Keys.PUBLIC_URL))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("apimodels.public-url must be an absolute http or https URL");
        assertThatThrownBy(() -> of("apimodels.fetch.allowed-private-hosts", "localhost").find(Keys.FETCH_ALLOWED_PRIVATE_HOSTS))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("apimodels.fetch.allowed-private-hosts: 'localhost' is not a host:port entry");
    }
}
