package app.apimodels.warit.jetty;

import org.jboss.arquillian.container.spi.ConfigurationException;
import org.jboss.arquillian.container.spi.client.container.ContainerConfiguration;

/** {@code arquillian.xml} settings of {@link Jetty12Container}. */
public final class Jetty12Configuration implements ContainerConfiguration {

    private int httpPort = 8080;

    public int getHttpPort() {
        return httpPort;
    }

    public void setHttpPort(int httpPort) {
        this.httpPort = httpPort;
    }

    @Override
    public void validate() throws ConfigurationException {
        if (httpPort <= 0 || httpPort > 65535) {
            throw new ConfigurationException("httpPort must be a port number, not " + httpPort);
        }
    }
}
