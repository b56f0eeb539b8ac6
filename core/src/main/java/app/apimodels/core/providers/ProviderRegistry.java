package app.apimodels.core.providers;

import app.apimodels.core.config.ConfigException;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * The provider types and HTTP transports available to this engine: those found by
 * {@link ServiceLoader} on the given class loader plus those handed to the builder (which win on
 * a name clash). Transports are shared: one instance per name, so connections are reused across
 * provider instances.
 */
public final class ProviderRegistry implements AutoCloseable {

    private final Map<String, ModelProvider> types = new LinkedHashMap<>();
    private final Map<String, HttpTransportFactory> transportFactories = new LinkedHashMap<>();
    private final Map<String, HttpTransport> transports = new LinkedHashMap<>();
    private final TransportOptions transportOptions;

    public ProviderRegistry(ClassLoader loader, List<ModelProvider> extraProviders,
                            List<HttpTransportFactory> extraTransports, TransportOptions transportOptions) {
        this.transportOptions = transportOptions;
        ServiceLoader.load(ModelProvider.class, loader).forEach(p -> types.put(p.type(), p));
        extraProviders.forEach(p -> types.put(p.type(), p));
        ServiceLoader.load(HttpTransportFactory.class, loader).forEach(f -> transportFactories.put(f.name(), f));
        extraTransports.forEach(f -> transportFactories.put(f.name(), f));
    }

    /** The provider types known, sorted. */
    public synchronized java.util.List<String> providerTypes() {
        return types.keySet().stream().sorted().toList();
    }

    /** The transports known, sorted. */
    public synchronized java.util.List<String> transportNames() {
        return transportFactories.keySet().stream().sorted().toList();
    }

    /** Creates the client for a configured instance; an unknown type or transport is a configuration error. */
    public synchronized ProviderClient create(ProviderConfig config, String transportName) {
        ModelProvider type = types.get(config.type());
        if (type == null) {
            throw new ConfigException("no provider of type '" + config.type() + "' (available: "
                    + new TreeSet<>(types.keySet()) + "; add the integration module to the classpath)");
        }
        return type.create(config, transport(transportName));
    }

    private HttpTransport transport(String name) {
        HttpTransport t = transports.get(name);
        if (t == null) {
            HttpTransportFactory f = transportFactories.get(name);
            if (f == null) {
                throw new ConfigException("no HTTP transport named '" + name + "' (available: "
                        + new TreeSet<>(transportFactories.keySet()) + ")");
            }
            t = f.create(transportOptions);
            transports.put(name, t);
        }
        return t;
    }

    @Override
    public synchronized void close() {
        List<RuntimeException> failures = new ArrayList<>();
        transports.values().forEach(t -> {
            try {
                t.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        });
        transports.clear();
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }
}
