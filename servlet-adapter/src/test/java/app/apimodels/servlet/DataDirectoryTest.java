package app.apimodels.servlet;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The default data directory: the server's own, one folder per application. */
class DataDirectoryTest {

    private static Path choose(String contextPath, String... properties) {
        Map<String, String> values = new HashMap<>(Map.of("java.io.tmpdir", "/tmp", "user.home", "/home/app"));
        for (int i = 0; i < properties.length; i += 2) {
            values.put(properties[i], properties[i + 1]);
        }
        return DataDirectory.serverDefault(contextPath, values::get);
    }

    @Test
    void wildFlyKeepsItInItsDataDirectory() {
        assertThat(choose("/apimodels", "jboss.server.data.dir", "/opt/wildfly/standalone/data",
                "jboss.home.dir", "/opt/wildfly"))
                .isEqualTo(Path.of("/opt/wildfly/standalone/data/apimodels/apimodels"));
    }

    @Test
    void payaraServerKeepsItInTheDomain() {
        assertThat(choose("/apimodels", "com.sun.aas.instanceRoot", "/opt/payara6/glassfish/domains/domain1"))
                .isEqualTo(Path.of("/opt/payara6/glassfish/domains/domain1/data/apimodels/apimodels"));
    }

    @Test
    void payaraMicrosTemporaryRootIsNotUsed() {
        // Payara sets catalina.base to its instance root too (seen on Payara Micro 6.2025.10).
        assertThat(choose("/apimodels", "com.sun.aas.instanceRoot", "/tmp/payaramicro-rt123tmp/",
                "catalina.base", "/tmp/payaramicro-rt123tmp"))
                .isEqualTo(Path.of("/home/app/.apimodels/apimodels"));
    }

    @Test
    void tomcatAndJettyKeepItInTheirBaseDirectory() {
        assertThat(choose("", "catalina.base", "/var/lib/tomcat10", "catalina.home", "/usr/share/tomcat10"))
                .isEqualTo(Path.of("/var/lib/tomcat10/data/apimodels/ROOT"));
        assertThat(choose("/shop/api", "jetty.base", "/srv/jetty-base", "jetty.home", "/opt/jetty-home"))
                .isEqualTo(Path.of("/srv/jetty-base/data/apimodels/shop_api"));
    }

    @Test
    void aTomcatBaseInTheTemporaryDirectoryIsStillTheServersOwn() {
        assertThat(choose("/apimodels", "catalina.base", "/tmp/tomcat.8080"))
                .isEqualTo(Path.of("/tmp/tomcat.8080/data/apimodels/apimodels"));
    }

    @Test
    void anyOtherServerUsesTheUsersHome() {
        assertThat(choose("/apimodels")).isEqualTo(Path.of("/home/app/.apimodels/apimodels"));
    }

    @Test
    void aFolderNameNeverLeavesTheDirectory() {
        assertThat(DataDirectory.folder("/..")).isEqualTo("_");
        assertThat(DataDirectory.folder("/a b/c")).isEqualTo("a_b_c");
        assertThat(DataDirectory.folder("/")).isEqualTo("ROOT");
    }
}
