package app.apimodels.core.providers;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.plugins.Plugin;
import app.apimodels.core.plugins.Plugins;
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

/**
 * Makes provider clients from the provider types and HTTP transports the engine's {@link Plugins}
 * found. Transports are shared: one instance per name, so connections are reused across provider
 * instances.
 */
public final class ProviderRegistry implements AutoCloseable {

    private final Map<String, Plugin<ModelProvider>> types;
    private final Map<String, Plugin<HttpTransportFactory>> transportFactories;
    private final Map<String, HttpTransport> transports = new LinkedHashMap<>();
    private final TransportOptions transportOptions;
    private final String defaultTransport;

    public ProviderRegistry(Plugins plugins, TransportOptions transportOptions) {
        this.types = plugins.providers();
        this.transportFactories = plugins.transports();
        this.defaultTransport = plugins.defaultTransport();
        this.transportOptions = transportOptions;
    }

    /** A provider instance this node cannot make: a plug-in it names is not on this node's classpath. */
    public static final class Missing extends ConfigException {
        private final String field;

        Missing(String field, String message) {
            super(message);
            this.field = field;
        }

        /** The catalog field that names the missing plug-in: {@code type} or {@code transport}. */
        public String field() {
            return field;
        }
    }

    /** Creates the client for a configured instance; an unknown type or transport is {@link Missing}. */
    public synchronized ProviderClient create(ProviderConfig config, String transportName) {
        Plugin<ModelProvider> type = types.get(config.type());
        if (type == null) {
            throw new Missing("type", "no provider of type '" + config.type() + "' (available: "
                    + types.keySet() + "; add the integration module to the classpath)");
        }
        return type.instance().create(config, transport(transportName));
    }

    /** The named transport, or the default one for {@code null}; one shared instance per name. */
    private HttpTransport transport(String requested) {
        String name = requested == null ? defaultTransport : requested;
        HttpTransport t = transports.get(name);
        if (t == null) {
            Plugin<HttpTransportFactory> f = transportFactories.get(name);
            if (f == null) {
                throw new Missing("transport", "no HTTP transport named '" + name + "' (available: "
                        + transportFactories.keySet() + ")");
            }
            t = f.instance().create(transportOptions);
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
