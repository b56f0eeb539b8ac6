package app.apimodels.core.plugins;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.core.extension.Extension;
import app.apimodels.core.plugins.Plugin.Origin;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.spi.mail.MailerFactory;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.spi.payment.PaymentGatewayFactory;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.MediaStorageFactory;
import app.apimodels.spi.storage.StorageConfig;
import app.apimodels.spi.trace.CallTracer;


import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Every plug-in of the engine, found in one place: {@link ServiceLoader} on the engine's class
 * loader, then what was handed to the builder (the application's objects, or CDI beans through the
 * servlet adapter), which wins on a name clash. Providers, transports, storage, payment gateways,
 * mailers and extensions (the console) are all looked up here, and {@link #report()} says what was found and what is used.
 */
public final class Plugins {

    /** What the builder handed over beside ServiceLoader's plug-ins; {@code storage} may be null. */
    public record Extras(List<ModelProvider> providers, List<HttpTransportFactory> transports,
                         List<MediaStorageFactory> storageFactories, MediaStorage storage,
                         List<PaymentGateway> paymentGateways, List<Mailer> mailers, List<Extension> extensions) {
    }

    private final Map<String, Plugin<ModelProvider>> providers;
    private final Map<String, Plugin<HttpTransportFactory>> transports;
    private final Map<String, Plugin<MediaStorageFactory>> storageTypes;
    /** Factories (ServiceLoader) and ready gateways (builder); {@link #openPaymentGateways} makes the enabled ones. */
    private final Map<String, Plugin<?>> paymentGateways;
    private volatile List<String> enabledGateways = List.of();
    private final Map<String, Plugin<?>> mailers;
    private final MediaStorage givenStorage;
    private final Map<String, Plugin<CallTracer>> tracers;
    private volatile Plugin<MediaStorage> storage;
    private volatile String mailer;
    private final Map<String, Plugin<Extension>> extensions;
    private volatile List<String> installedExtensions = List.of();

    public Plugins(ClassLoader loader, Extras extras) {
        providers = find(loader, ModelProvider.class, ModelProvider::type, extras.providers());
        transports = find(loader, HttpTransportFactory.class, HttpTransportFactory::name, extras.transports());
        storageTypes = find(loader, MediaStorageFactory.class, MediaStorageFactory::type, extras.storageFactories());
        paymentGateways = find(loader, PaymentGatewayFactory.class, PaymentGatewayFactory::type,
                extras.paymentGateways(), PaymentGateway::type);
        mailers = find(loader, MailerFactory.class, MailerFactory::type, extras.mailers(), Mailer::type);
        givenStorage = extras.storage();
        extensions = find(loader, Extension.class, Extension::name, extras.extensions());
        tracers = find(loader, CallTracer.class, CallTracer::name, List.of());
    }

    /** What follows relayed calls: the one tracer found, all of them in turn, or none. */
    public CallTracer tracer() {
        List<CallTracer> all = tracers.values().stream().map(Plugin::instance).toList();
        return switch (all.size()) {
            case 0 -> CallTracer.NONE;
            case 1 -> all.get(0);
            default -> new Tracers(all);
        };
    }

    /** The extensions the settings switch on ({@link Extension#enabled}), by name; the engine installs them. */
    public List<Extension> enabledExtensions(Settings settings) {
        List<Extension> enabled = extensions.values().stream().map(Plugin::instance).filter(x -> x.enabled(settings)).toList();
        installedExtensions = enabled.stream().map(Extension::name).toList();
        return enabled;
    }

    public Map<String, Plugin<ModelProvider>> providers() {
        return providers;
    }

    public Map<String, Plugin<HttpTransportFactory>> transports() {
        return transports;
    }

    /**
     * The transport of providers that name none: the highest {@link HttpTransportFactory#preference()}
     * found, the first name on a tie (core's {@code jdk} is always there).
     */
    public String defaultTransport() {
        String best = null;
        int bestPreference = Integer.MIN_VALUE;
        for (Map.Entry<String, Plugin<HttpTransportFactory>> e : transports.entrySet()) { // sorted by name
            int preference = e.getValue().instance().preference();
            if (preference > bestPreference) {
                best = e.getKey();
                bestPreference = preference;
            }
        }
        return best;
    }

    /**
     * The media storage: the builder's, ready to use, or the one {@code apimodels.storage.type} names
     * (default {@code local}, under the data directory) made from the {@code apimodels.storage.*} settings.
     */
    public MediaStorage openStorage(Settings settings) {
        if (givenStorage != null) {
            storage = new Plugin<>(givenStorage.getClass().getName(), givenStorage, Origin.BUILDER);
            return givenStorage;
        }
        String type = settings.get(Keys.STORAGE_TYPE);
        Plugin<MediaStorageFactory> factory = storageTypes.get(type);
        if (factory == null) {
            throw new ConfigException(Keys.STORAGE_TYPE.key() + ": no storage of type '" + type + "' (available: "
                    + storageTypes.keySet() + ")");
        }
        Map<String, String> options = new HashMap<>(settings.startingWith("apimodels.storage."));
        options.remove("type");
        if ("local".equals(type)) {
            options.putIfAbsent("dir", settings.get(Keys.DATA_DIR).resolve("media").toString());
        }
        try {
            MediaStorage opened = factory.instance().create(new StorageConfig(type, options));
            storage = new Plugin<>(type, opened, factory.origin());
            return opened;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /**
     * The mailer {@code apimodels.mail.type} names (default {@code outbox}, with its folder under the
     * data directory): the builder's, ready to use, or made by its factory from every
     * {@code apimodels.mail.*} and {@code apimodels.<type>.*} setting. Empty when the type was left
     * at its default and no such mailer is installed: letters then wait in the outbox table.
     */
    public Optional<Mailer> openMailer(Settings settings) {
        String type = settings.get(Keys.MAIL_TYPE);
        Plugin<?> found = mailers.get(type);
        if (found == null) {
            if (settings.find(Keys.MAIL_TYPE).isEmpty()) {
                return Optional.empty();
            }
            throw new ConfigException(Keys.MAIL_TYPE.key() + ": no mailer of type '" + type + "' (available: "
                    + mailers.keySet() + ")");
        }
        mailer = type;
        if (found.instance() instanceof Mailer ready) {
            return Optional.of(ready);
        }
        Map<String, String> options = new HashMap<>(settings.startingWith("apimodels." + type + "."));
        options.putAll(settings.startingWith("apimodels.mail."));
        options.remove("type");
        if ("outbox".equals(type)) {
            options.putIfAbsent("dir", settings.get(Keys.DATA_DIR).resolve("outbox").toString());
        }
        try {
            return Optional.of(((MailerFactory) found.instance()).create(new MailerConfig(type, options)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /**
     * The payment gateways in use, by type: every ready gateway handed to the builder, and every
     * factory whose settings {@code apimodels.<type>.*} are present (a gateway is enabled by
     * configuring it), created from those settings with the prefix removed
     * ({@code apimodels.stripe.secret-key} → {@code secret-key}).
     *
     * @throws ConfigException naming the setting if a factory refuses its settings
     */
    public Map<String, PaymentGateway> openPaymentGateways(Settings settings) {
        Map<String, PaymentGateway> open = new TreeMap<>();
        paymentGateways.forEach((type, plugin) -> {
            if (plugin.instance() instanceof PaymentGateway ready) {
                open.put(type, ready);
            } else if (plugin.instance() instanceof PaymentGatewayFactory factory) {
                Map<String, String> options = settings.startingWith("apimodels." + type + ".");
                if (!options.isEmpty()) {
                    try {
                        open.put(type, factory.create(new PaymentGatewayConfig(type, options)));
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException(e.getMessage(), e);
                    }
                }
            }
        });
        enabledGateways = List.copyOf(open.keySet());
        return open;
    }

    /**
     * {@code GET /admin/plugins}: the names found of each kind (sorted), the storage and the mailer
     * in use (null: none, letters wait), and
     * under {@code origins} where each came from — so an operator can see that a jar or bean was
     * picked up, and which one won.
     */
    public Map<String, Object> report() {
        Plugin<MediaStorage> used = storage;
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("providers", List.copyOf(providers.keySet()));
        view.put("transports", List.copyOf(transports.keySet()));
        view.put("default_transport", defaultTransport());
        view.put("storage", used == null ? null : used.name());
        view.put("payment_gateways", List.copyOf(paymentGateways.keySet()));
        view.put("payment_gateways_enabled", enabledGateways);
        view.put("mailers", List.copyOf(mailers.keySet()));
        view.put("mailer", mailer);
        view.put("extensions", List.copyOf(extensions.keySet()));
        view.put("extensions_enabled", installedExtensions);
        view.put("tracers", List.copyOf(tracers.keySet()));
        Map<String, Object> origins = new LinkedHashMap<>();
        origins.put("providers", origins(providers));
        origins.put("transports", origins(transports));
        origins.put("storage", used == null ? Map.of() : Map.of(used.name(), used.origin().label()));
        origins.put("payment_gateways", origins(paymentGateways));
        origins.put("mailers", origins(mailers));
        origins.put("extensions", origins(extensions));
        origins.put("tracers", origins(tracers));
        view.put("origins", origins);
        return view;
    }

    private static Map<String, String> origins(Map<String, ? extends Plugin<?>> found) {
        Map<String, String> out = new LinkedHashMap<>();
        found.forEach((name, plugin) -> out.put(name, plugin.origin().label()));
        return out;
    }

    /** ServiceLoader's, then the builder's (which win on a name clash); sorted by name. */
    private static <T> Map<String, Plugin<T>> find(ClassLoader loader, Class<T> type, Function<T, String> name, List<? extends T> extras) {
        Map<String, Plugin<T>> found = new TreeMap<>();
        ServiceLoader.load(type, loader).forEach(p -> found.put(name.apply(p), new Plugin<>(name.apply(p), p, Origin.SERVICE_LOADER)));
        extras.forEach(p -> found.put(name.apply(p), new Plugin<>(name.apply(p), p, Origin.BUILDER)));
        return Collections.unmodifiableMap(found);
    }

    /** A kind whose ServiceLoader plug-ins are factories and whose builder plug-ins are ready instances. */
    private static <F, I> Map<String, Plugin<?>> find(ClassLoader loader, Class<F> factory, Function<F, String> type,
                                                      List<I> instances, Function<I, String> name) {
        Map<String, Plugin<?>> found = new TreeMap<>(find(loader, factory, type, List.of()));
        instances.forEach(i -> found.put(name.apply(i), new Plugin<>(name.apply(i), i, Origin.BUILDER)));
        return Collections.unmodifiableMap(found);
    }
}
