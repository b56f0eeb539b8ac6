package app.apimodels.servlet;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import jakarta.servlet.ServletContext;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The settings the auto-mount reads before it builds anything. */
class ApiModelsInitializerTest {

    @Test
    void normalisesTheBasePath() {
        assertThat(ApiModelsInitializer.basePath("")).isEmpty();
        assertThat(ApiModelsInitializer.basePath("/")).isEmpty();
        assertThat(ApiModelsInitializer.basePath(" /api/ ")).isEqualTo("/api");
        assertThat(ApiModelsInitializer.basePath("api")).isEqualTo("/api");
        assertThat(ApiModelsInitializer.basePath("/ai/v2//")).isEqualTo("/ai/v2");
    }

    @Test
    void refusesASwitchThatIsNeitherTrueNorFalse() {
        assertThatThrownBy(() -> new ApiModelsInitializer().onStartup(null, contextWith(Map.of("apimodels.auto-mount", "off"))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("apimodels.auto-mount must be true or false, got 'off'");
    }

    /** A servlet context that has parameters and nothing else. */
    private static ServletContext contextWith(Map<String, String> parameters) {
        return (ServletContext) Proxy.newProxyInstance(ServletContext.class.getClassLoader(), new Class<?>[] {ServletContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getInitParameterNames" -> Collections.enumeration(parameters.keySet());
                    case "getInitParameter" -> parameters.get((String) args[0]);
                    case "getClassLoader" -> ApiModelsInitializerTest.class.getClassLoader();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void refusesBothAJndiNameAndAJdbcUrl() {
        var settings = new Settings(ConfigSource.of(Map.of(
                "apimodels.db.jndi", "java:comp/env/jdbc/x", "apimodels.db.url", "jdbc:h2:mem:x")));
        assertThatThrownBy(() -> DeploymentDatabase.choose(settings))
                .isInstanceOf(ConfigException.class)
                .hasMessage("set apimodels.db.jndi or apimodels.db.url, not both");
    }

    @Test
    void withoutANamingServiceTheEngineKeepsItsOwnDatabase() {
        assertThat(DeploymentDatabase.choose(new Settings(ConfigSource.of(Map.of()))).dataSource()).isNull();
        assertThat(DeploymentDatabase.choose(new Settings(ConfigSource.of(Map.of("apimodels.db.url", "jdbc:h2:mem:y",
                "apimodels.db.allow-in-memory", "true")))).dataSource()).isNull();
    }
}
