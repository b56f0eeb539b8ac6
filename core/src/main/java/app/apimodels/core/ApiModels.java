package app.apimodels.core;

import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.extension.Extension;
import app.apimodels.core.mail.Outbox;
import app.apimodels.spi.web.BodyLimits;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.payment.PaymentGateway;
import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.MediaStorageFactory;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine: one instance per deployment. Build it, hand it every {@link Exchange}, close it
 * on shutdown (in-flight calls finish or are settled, pending ledger writes are flushed).
 */
public final class ApiModels implements AutoCloseable {

    private final Engine engine;

    private ApiModels(Engine engine) {
        this.engine = engine;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Serves one request; returns at once, answering on the exchange (possibly later). */
    public void handle(Exchange exchange) {
        engine.handle(exchange);
    }

    /** Largest request body accepted; adapters answer 413 past it (see {@link Exchange#bodyTooLarge()}). */
    public long maxBodyBytes() {
        return engine.maxBodyBytes();
    }

    /**
     * How adapters read bodies ({@link Exchange#readBody}): sizes, deadlines and how many at once
     * ({@code apimodels.max-body-bytes}, {@code apimodels.http.*}).
     */
    public BodyLimits bodyLimits() {
        return engine.bodyLimits();
    }

    /**
     * Whether the engine reads this request's body itself, as a stream ({@link Exchange#bodyStream()}):
     * file uploads, which may be far larger than {@link #maxBodyBytes()}. Adapters must then not
     * buffer the body in memory: they stream it, or receive it into a temporary file (the servlet
     * adapter does, so a slow upload holds no thread), bounded by {@link BodyLimits#maxStreamedBytes()}.
     */
    public boolean streamsBody(String method, String path, String contentType) {
        return engine.streamsBody(method, path, contentType);
    }

    /**
     * The service's mail outbox, for a host application that sends the service's letters itself
     * (an announcement from its own admin screens): queued letters go out through the configured
     * mailer, from whichever node, with retries.
     */
    public Outbox outbox() {
        return engine.outbox();
    }

    /** False once {@link #close()} began: new calls are refused with 503. */
    public boolean ready() {
        return engine.ready();
    }

    /**
     * Graceful stop: refuse new calls (503), let in-flight calls finish within the grace period,
     * settle what remains, flush ledger and call log, release resources.
     */
    @Override
    public void close() {
        engine.close();
    }

    public static final class Builder {
        ConfigSource config = ConfigSource.environment();
        DataSource dataSource;
        Clock clock = Clock.systemUTC();
        ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
        final List<ModelProvider> providers = new ArrayList<>();
        final List<HttpTransportFactory> transports = new ArrayList<>();
        final List<MediaStorageFactory> storageFactories = new ArrayList<>();
        final List<PaymentGateway> paymentGateways = new ArrayList<>();
        final List<Mailer> mailers = new ArrayList<>();
        final List<Extension> extensions = new ArrayList<>();
        MediaStorage storage;

        private Builder() {
        }

        /** Where settings come from (default: system properties and environment). */
        public Builder config(ConfigSource config) {
            this.config = config;
            return this;
        }

        /** A container-managed DataSource; without one, {@code apimodels.db.url} (or the embedded database) is used. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = dataSource;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Loader used for {@link java.util.ServiceLoader} discovery (default: the thread's context loader). */
        public Builder classLoader(ClassLoader classLoader) {
            this.classLoader = classLoader;
            return this;
        }

        /** Adds a provider type beside those ServiceLoader finds (e.g. CDI beans); wins on a type clash. */
        public Builder provider(ModelProvider provider) {
            providers.add(provider);
            return this;
        }

        /** Adds an HTTP transport beside those ServiceLoader finds. */
        public Builder transport(HttpTransportFactory transport) {
            transports.add(transport);
            return this;
        }

        /**
         * The storage for uploads and generated media, ready to use (the engine closes it).
         * Without one, {@code apimodels.storage.type} picks a {@link MediaStorageFactory}
         * ({@code local}, the default, keeps files under the data directory).
         */
        public Builder storage(MediaStorage storage) {
            this.storage = storage;
            return this;
        }

        /** Adds a storage type beside those ServiceLoader finds; wins on a type clash. */
        public Builder storageFactory(MediaStorageFactory factory) {
            storageFactories.add(factory);
            return this;
        }

        /**
         * Adds a ready payment gateway (e.g. a CDI bean) beside the types ServiceLoader finds. The
         * engine lists it under {@code GET /admin/plugins}; checkout and webhooks use it once billing
         * is built (a later feature).
         */
        public Builder paymentGateway(PaymentGateway gateway) {
            paymentGateways.add(gateway);
            return this;
        }

        /** Adds a ready mailer (e.g. a CDI bean), used when {@code apimodels.mail.type} names its type. */
        public Builder mailer(Mailer mailer) {
            mailers.add(mailer);
            return this;
        }

        /**
         * Adds an extension (pages or endpoints of another module, like the console) beside those
         * ServiceLoader finds; wins on a name clash. See {@link Extension}.
         */
        public Builder extension(Extension extension) {
            extensions.add(extension);
            return this;
        }

        /** Connects to the database, migrates it, loads the catalog and starts background work. */
        public ApiModels build() {
            return new ApiModels(Engine.start(this));
        }
    }
}
