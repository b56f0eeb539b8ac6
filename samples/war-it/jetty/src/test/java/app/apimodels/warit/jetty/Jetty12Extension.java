package app.apimodels.warit.jetty;

import org.jboss.arquillian.container.spi.client.container.DeployableContainer;
import org.jboss.arquillian.core.spi.LoadableExtension;

/** Registers {@link Jetty12Container} with Arquillian. */
public final class Jetty12Extension implements LoadableExtension {

    @Override
    public void register(ExtensionBuilder builder) {
        builder.service(DeployableContainer.class, Jetty12Container.class);
    }
}
