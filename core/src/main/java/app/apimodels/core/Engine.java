package app.apimodels.core;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.api.AccountApi;
import app.apimodels.core.api.AdminApi;
import app.apimodels.core.api.ModelsApi;
import app.apimodels.core.api.OpsApi;
import app.apimodels.core.auth.Caller;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.catalog.CatalogService;
import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.DataException;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.fetch.FetchPolicy;
import app.apimodels.core.fetch.SafeFetcher;
import app.apimodels.core.idempotency.Idempotency;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.media.MediaApi;
import app.apimodels.core.media.MediaLimits;
import app.apimodels.core.media.MediaLinks;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.tasks.TaskApi;
import app.apimodels.core.tasks.TaskService;
import app.apimodels.core.threads.Threads;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.providers.ProviderRegistry;
import app.apimodels.core.relay.InFlight;
import app.apimodels.core.relay.Relay;
import app.apimodels.core.relay.TokenCounter;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.ErrorRenderer;
import app.apimodels.core.web.Handler;
import app.apimodels.spi.web.BodyLimits;
import app.apimodels.spi.web.Exchange;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router;
import app.apimodels.core.web.Text;
import app.apimodels.core.web.Router.Access;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.storage.MediaStorage;
import app.apimodels.spi.storage.MediaStorageFactory;
import app.apimodels.spi.storage.StorageConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Wires the services together, owns their threads, and dispatches every request. */
final class Engine {

    private static final System.Logger LOG = System.getLogger(ApiModels.class.getName());

    private final Settings settings;
    private final Database database;
    private final ThreadPoolExecutor callbacks;
    private final ScheduledExecutorService timer;
    private final Ledger ledger;
    private final ApiKeys keys;
    private final CatalogService catalog;
    private final Idempotency idempotency;
    private final Metrics metrics;
    private final InFlight inFlight = new InFlight();
    private final Threads.Daemons workerThreads = new Threads.Daemons("apimodels-worker");
    private final Threads.Daemons timerThreads = new Threads.Daemons("apimodels-timer");
    private final Router router = new Router();
    private final long maxBodyBytes;
    private final BodyLimits bodyLimits;
    private final SafeFetcher fetcher;
    private final MediaStorage storage;
    private final Jobs jobs;
    private volatile boolean open = true;

    private Engine(ApiModels.Builder b) {
        try {
            settings = new Settings(b.config);
            maxBodyBytes = settings.number("apimodels.max-body-bytes", 10L * 1024 * 1024, 1024, Integer.MAX_VALUE);
            database = Database.open(b.dataSource, settings);
            Sql sql = new Sql(database);
            int workers = (int) settings.number("apimodels.worker-threads", Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), 1, 1024);
            callbacks = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), workerThreads);
            callbacks.allowCoreThreadTimeOut(true);
            timer = Executors.newScheduledThreadPool(2, timerThreads);
            metrics = new Metrics();
            ledger = new Ledger(sql, b.clock, settings.seconds("apimodels.ledger.hold-ttl-seconds", 900),
                    (int) settings.number("apimodels.ledger.max-batch", 512, 1, 10_000), callbacks,
                    settings.string("apimodels.ledger.async-commits", "settlements"),
                    settings.millis("apimodels.ledger.settle-linger-ms", 5),
                    settings.number("apimodels.ledger.lease-calls", Ledger.DEFAULT_LEASE_CALLS, 0, 1_000_000),
                    settings.millis("apimodels.ledger.lease-idle-ms", Ledger.DEFAULT_LEASE_IDLE.toMillis()),
                    settings.dataDir().resolve("ledger-journal"));
            Accounts accounts = new Accounts(sql, b.clock);
            byte[] pepper = pepper();
            keys = new ApiKeys(sql, b.clock, pepper, settings.millis("apimodels.keys.cache-ttl-ms", 5_000));
            ProviderRegistry registry = new ProviderRegistry(b.classLoader, b.providers, b.transports,
                    new TransportOptions(settings.seconds("apimodels.http.connect-timeout-seconds", 10),
                            (int) settings.number("apimodels.http.max-connections-per-host", 512, 1, 100_000)));
            catalog = new CatalogService(sql, b.clock, registry, b.config);
            catalog.start(settings.string("apimodels.catalog").map(Path::of).orElse(null));
            idempotency = new Idempotency(sql, b.clock, Duration.ofHours(24));
            CallLog callLog = new CallLog(sql);
            bootstrapAdmin(sql, accounts);

            Relay relay = new Relay(catalog::catalog, ledger, new TokenCounter(), timer, b.clock, inFlight, metrics,
                    settings.number("apimodels.relay.default-max-tokens", 4096, 1, 10_000_000),
                    settings.millis("apimodels.stream.keep-alive-ms", 15_000));
            AccountApi account = new AccountApi(accounts, keys, ledger, callLog);
            AdminApi admin = new AdminApi(accounts, keys, ledger, catalog, callLog,
                    settings.number("apimodels.admin.max-grant-micros", AdminApi.DEFAULT_MAX_GRANT_MICROS, 1, AdminApi.MAX_GRANT_MICROS));
            ModelsApi models = new ModelsApi(catalog::catalog);

            fetcher = new SafeFetcher(new FetchPolicy(
                    FetchPolicy.parseHosts(settings.string("apimodels.fetch.allowed-private-hosts", "")),
                    settings.seconds("apimodels.fetch.connect-timeout-seconds", 10),
                    settings.seconds("apimodels.fetch.timeout-seconds", 120), 5, "apimodels/1"));
            storage = b.storage != null ? b.storage : openStorage(b);
            MediaLinks links = new MediaLinks(derive(pepper, "apimodels media links"), b.clock,
                    settings.seconds("apimodels.media.link-ttl-seconds", 7 * 86_400),
                    settings.string("apimodels.public-url").orElse(null));
            MediaLimits mediaLimits = MediaLimits.from(settings);
            MediaStore media = new MediaStore(sql, b.clock, storage, mediaLimits, fetcher);
            // An upload's multipart envelope (boundaries, part headers, form fields) comes on top of the file.
            bodyLimits = new BodyLimits(maxBodyBytes, Math.addExact(mediaLimits.maxBytes(), 1L << 20),
                    settings.seconds("apimodels.http.body-timeout-seconds", 30),
                    settings.seconds("apimodels.http.upload-timeout-seconds", 600),
                    (int) settings.number("apimodels.http.max-concurrent-body-reads", 512, 1, 1_000_000),
                    (int) settings.number("apimodels.http.max-concurrent-uploads", 32, 1, 1_000_000));
            Duration uploadRetention = settings.seconds("apimodels.uploads.retention-seconds", 72 * 3600);
            Duration fetchTimeout = settings.seconds("apimodels.fetch.timeout-seconds", 120);
            MediaApi mediaApi = new MediaApi(media, links, uploadRetention, fetchTimeout,
                    !"false".equals(settings.string("apimodels.media.redirect", "true")), ex -> new Caller(authenticate(ex)));
            jobs = new Jobs(database.dataSource(), settings, b.clock);
            long outputRetention = settings.number("apimodels.media.output-retention-seconds", 30L * 86_400, 0, Long.MAX_VALUE);
            TaskService tasks = new TaskService(sql, b.clock, catalog::catalog, ledger, media, links, fetcher, jobs, metrics,
                    new TaskService.Config(settings.seconds("apimodels.tasks.timeout-seconds", 1800),
                            settings.millis("apimodels.tasks.poll-initial-ms", 2000),
                            settings.millis("apimodels.tasks.poll-max-ms", 30_000),
                            settings.seconds("apimodels.tasks.rehost-default-validity-seconds", 3600),
                            uploadRetention, outputRetention == 0 ? null : Duration.ofSeconds(outputRetention), fetchTimeout,
                            !"false".equals(settings.string("apimodels.tasks.provider-webhooks", "true"))));
            jobs.recurring("media-retention", settings.seconds("apimodels.media.retention-sweep-seconds", 60),
                    () -> media.deleteExpired(1000));
            TaskApi taskApi = new TaskApi(tasks, timer, settings.seconds("apimodels.tasks.sync-wait-seconds", 300));
            OpsApi ops = new OpsApi(sql, metrics, () -> open, router);
            router.add("GET", "/v1/models", Access.KEY, models::list)
                    .add("GET", "/v1/models/{id}", Access.KEY, models::get)
                    .add("POST", "/v1/chat/completions", Access.KEY, relay::chat)
                    .add("POST", "/v1/embeddings", Access.KEY, relay::embeddings)
                    .add("POST", "/v1/images/generations", Access.KEY, taskApi::openAiImages)
                    .add("POST", "/v1/audio/speech", Access.KEY, taskApi::openAiSpeech)
                    .add("POST", "/api/v1/{kind}/generations", Access.KEY, taskApi::submit)
                    .add("GET", "/api/v1/{kind}/generations", Access.KEY, taskApi::get)
                    .add("POST", "/api/v1/uploads", Access.KEY, mediaApi::upload)
                    .add("GET", "/api/v1/uploads/{id}", Access.KEY, mediaApi::getUpload)
                    .add("DELETE", "/api/v1/uploads/{id}", Access.KEY, mediaApi::deleteUpload)
                    .add("GET", "/media/{id}", Access.PUBLIC, mediaApi::serve)
                    .add("POST", "/webhooks/providers/{id}", Access.PUBLIC, taskApi::providerWebhook)
                    .add("GET", "/api/v1/account/webhook-secret", Access.KEY, taskApi::webhookSecret)
                    .add("POST", "/api/v1/account/webhook-secret", Access.KEY, taskApi::webhookSecret)
                    .add("GET", "/api/v1/account", Access.KEY, account::account)
                    .add("GET", "/api/v1/account/usage", Access.KEY, account::usage)
                    .add("GET", "/api/v1/account/ledger", Access.KEY, account::ledger)
                    .add("GET", "/api/v1/account/keys", Access.KEY, account::listKeys)
                    .add("POST", "/api/v1/account/keys", Access.KEY, account::createKey)
                    .add("DELETE", "/api/v1/account/keys/{id}", Access.KEY, account::revokeKey)
                    .add("POST", "/admin/users", Access.ADMIN, admin::createUser)
                    .add("GET", "/admin/users/{id}", Access.ADMIN, admin::getUser)
                    .add("POST", "/admin/users/{id}/credits", Access.ADMIN, admin::grant)
                    .add("POST", "/admin/users/{id}/keys", Access.ADMIN, admin::createKey)
                    .add("GET", "/admin/calls", Access.ADMIN, admin::calls)
                    .add("POST", "/admin/jobs/{name}/run", Access.ADMIN, this::runJob)
                    .add("GET", "/admin/plugins", Access.ADMIN, plugins(b, registry))
                    .add("GET", "/admin/catalog", Access.ADMIN, admin::getCatalog)
                    .add("PUT", "/admin/catalog/providers/{id}", Access.ADMIN, admin::putProvider)
                    .add("DELETE", "/admin/catalog/providers/{id}", Access.ADMIN, admin::deleteProvider)
                    .add("PUT", "/admin/catalog/models/{id}", Access.ADMIN, admin::putModel)
                    .add("DELETE", "/admin/catalog/models/{id}", Access.ADMIN, admin::deleteModel)
                    .add("GET", "/health/live", Access.PUBLIC, ops::live)
                    .add("GET", "/health/ready", Access.PUBLIC, ops::ready)
                    .add("GET", "/metrics", Access.PUBLIC, ops::metrics)
                    .add("GET", "/openapi.json", Access.PUBLIC, ops::openApi);

            metrics.gauge("apimodels_calls_in_flight", "Calls holding credits right now", inFlight::size);
            metrics.gauge("apimodels_ledger_leases", "Budget leases this node holds open", ledger::openLeases);
            metrics.gauge("apimodels_tasks_unfinished", "Generation tasks not yet completed or failed",
                    () -> sql.one("SELECT COUNT(*) FROM apimodels_task WHERE state IN ('submitting', 'running', 'rehosting')", rs -> rs.getLong(1)).orElse(0L));
            metrics.gauge("apimodels_worker_queue", "Tasks waiting for a worker thread", () -> callbacks.getQueue().size());
            background("return-idle-leases", Duration.ofSeconds(1), ledger::returnIdleLeases);
            background("sweep-holds", settings.seconds("apimodels.ledger.sweep-seconds", 30), () -> ledger.sweepExpired(1000));
            background("key-last-used", Duration.ofSeconds(5), keys::flushLastUsed);
            background("catalog-refresh", settings.seconds("apimodels.catalog.refresh-seconds", 30), catalog::refresh);
            background("idempotency-sweep", Duration.ofHours(1), idempotency::sweep);
            jobs.start();
        } catch (RuntimeException | Error e) {
            // Whatever started before the failure (pool, writer threads, embedded database) must not
            // outlive it: inside a server a failed deployment would otherwise leak them.
            open = false;
            release();
            throw e;
        }
    }

    /** The storage chosen by {@code apimodels.storage.type} (default {@code local}, under the data directory). */
    private MediaStorage openStorage(ApiModels.Builder b) {
        String type = settings.string("apimodels.storage.type", "local");
        Map<String, MediaStorageFactory> factories = new java.util.HashMap<>();
        java.util.ServiceLoader.load(MediaStorageFactory.class, b.classLoader).forEach(f -> factories.put(f.type(), f));
        b.storageFactories.forEach(f -> factories.put(f.type(), f));
        MediaStorageFactory factory = factories.get(type);
        if (factory == null) {
            throw new ConfigException("apimodels.storage.type: no storage of type '" + type + "' (available: "
                    + new java.util.TreeSet<>(factories.keySet()) + ")");
        }
        Map<String, String> options = new java.util.HashMap<>(settings.startingWith("apimodels.storage."));
        options.remove("type");
        if ("local".equals(type)) {
            options.putIfAbsent("dir", settings.dataDir().resolve("media").toString());
        }
        try {
            return factory.create(new StorageConfig(type, options));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /**
     * {@code GET /admin/plugins}: every plug-in the engine found (ServiceLoader and the builder — CDI
     * beans inside a container), so an operator can see that a jar or bean was picked up.
     */
    private Handler plugins(ApiModels.Builder b, ProviderRegistry registry) {
        java.util.TreeSet<String> payments = new java.util.TreeSet<>();
        java.util.ServiceLoader.load(app.apimodels.spi.payment.PaymentGatewayFactory.class, b.classLoader).forEach(f -> payments.add(f.type()));
        b.paymentGateways.forEach(g -> payments.add(g.type()));
        java.util.TreeSet<String> mailers = new java.util.TreeSet<>();
        java.util.ServiceLoader.load(app.apimodels.spi.mail.MailerFactory.class, b.classLoader).forEach(f -> mailers.add(f.type()));
        b.mailers.forEach(m -> mailers.add(m.type()));
        Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("providers", registry.providerTypes());
        view.put("transports", registry.transportNames());
        view.put("storage", settings.string("apimodels.storage.type", b.storage != null ? b.storage.getClass().getName() : "local"));
        view.put("payment_gateways", List.copyOf(payments));
        view.put("mailers", List.copyOf(mailers));
        return r -> r.json(200, view);
    }

    private static byte[] derive(byte[] secret, String purpose) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void runJob(Request r) {
        if (!jobs.runNow(r.param("name"))) {
            throw new ApiException(404, "not_found", "no job '" + r.param("name") + "' (jobs: " + jobs.sweepNames() + ")");
        }
        r.json(200, Map.of("job", r.param("name"), "ran", true));
    }

    boolean streamsBody(String method, String path, String contentType) {
        return MediaApi.streamsBody(method, path, contentType);
    }

    static Engine start(ApiModels.Builder b) {
        return new Engine(b);
    }

    private void background(String name, Duration every, Runnable task) {
        long ms = Math.max(1, every.toMillis());
        timer.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "background task " + name + " failed: " + e.getMessage());
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * The key pepper: {@code apimodels.keys.pepper}, or a random one kept in the data directory
     * (fine for one node; every node of a cluster must share the configured value).
     */
    private byte[] pepper() {
        var configured = settings.string("apimodels.keys.pepper");
        if (configured.isPresent()) {
            if (configured.get().length() < 32) {
                throw new ConfigException("apimodels.keys.pepper must be at least 32 characters");
            }
            return configured.get().getBytes(StandardCharsets.UTF_8);
        }
        Path file = settings.dataDir().resolve("key-pepper");
        try {
            if (Files.exists(file)) {
                return HexFormat.of().parseHex(Files.readString(file).trim());
            }
            Files.createDirectories(file.getParent());
            byte[] pepper = ApiKeys.randomBytes(32);
            Files.writeString(file, HexFormat.of().formatHex(pepper), StandardOpenOption.CREATE_NEW);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            LOG.log(System.Logger.Level.WARNING, "apimodels.keys.pepper is not set; generated one in " + file
                    + " (set the same apimodels.keys.pepper on every node of a cluster)");
            return pepper;
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("apimodels.keys.pepper: cannot read or create " + file + ": " + e.getMessage(), e);
        }
    }

    /** Makes the configured bootstrap key an admin key, or prints a one-time admin key on an empty database. */
    private void bootstrapAdmin(Sql sql, Accounts accounts) {
        var configured = settings.string("apimodels.bootstrap.admin-key");
        if (configured.isPresent()) {
            String secret = configured.get();
            if (secret.length() < 16) {
                throw new ConfigException("apimodels.bootstrap.admin-key must be at least 16 characters");
            }
            var existing = keys.findByHash(secret);
            if (existing.isPresent()) {
                if (existing.get().role() != Role.ADMIN) {
                    accounts.setRole(existing.get().accountId(), Role.ADMIN);
                    keys.invalidateAll();
                }
                return;
            }
            Account admin = accounts.firstAdmin().orElseGet(() -> accounts.create("admin@apimodels.local", null, Role.ADMIN));
            sql.tx(c -> keys.register(c, admin.id(), "bootstrap", secret));
            return;
        }
        if (accounts.isEmpty()) {
            Account admin = accounts.create("admin@apimodels.local", null, Role.ADMIN);
            String secret = keys.create(admin.id(), app.apimodels.core.keys.KeyOptions.named("first admin key")).secret();
            // Printed once, to the console only: it is not stored anywhere in clear.
            System.out.println("apimodels: created the first admin account. One-time admin API key (store it now, it is not shown again):");
            System.out.println("  " + secret);
        }
    }

    long maxBodyBytes() {
        return maxBodyBytes;
    }

    BodyLimits bodyLimits() {
        return bodyLimits;
    }

    boolean ready() {
        return open;
    }

    /**
     * Routes and authenticates on the headers alone, then has the adapter read the body: a request
     * refused on its headers (unknown path, no key) never has a body byte read.
     */
    void handle(Exchange exchange) {
        try {
            Text.checkRequestLine(exchange);
            Router.Match match = router.match(exchange.method(), exchange.path());
            Caller caller = null;
            if (match.route().access() != Access.PUBLIC) {
                if (!open) {
                    throw new ApiException(503, "shutting_down", "the service is restarting; retry shortly", null, Map.of("Retry-After", "2"));
                }
                caller = new Caller(authenticate(exchange));
                if (match.route().access() == Access.ADMIN && !caller.isAdmin()) {
                    throw new ApiException(403, "forbidden", "this endpoint needs an admin key");
                }
            }
            Caller authenticated = caller;
            exchange.readBody(() -> dispatch(exchange, match, authenticated));
        } catch (Exception e) {
            fail(exchange, e);
        }
    }

    /** What depends on the body, on whatever thread the adapter finished reading it. */
    private void dispatch(Exchange exchange, Router.Match match, Caller caller) {
        String path = exchange.path();
        try {
            boolean streamed = streamsBody(exchange.method(), path, exchange.header("Content-Type"));
            if (exchange.bodyTooLarge()) {
                throw new ApiException(413, "body_too_large", "request body exceeds "
                        + (streamed ? bodyLimits.maxStreamedBytes() : maxBodyBytes) + " bytes");
            }
            Exchange ex = exchange;
            String idemKey = exchange.header("Idempotency-Key");
            if (caller != null && idemKey != null && "POST".equals(exchange.method()) && !streamed) {
                ex = idempotency.begin(exchange, caller.accountId(), idemKey);
                if (ex == null) {
                    return; // replayed
                }
            }
            try {
                match.route().handler().handle(new Request(ex, match.params(), caller));
            } catch (java.util.concurrent.CompletionException e) {
                // A handler waited on the ledger (a flush before a read): judge what went wrong there.
                throw e.getCause() instanceof RuntimeException cause ? cause : e;
            }
        } catch (Exception e) {
            fail(exchange, e);
        }
    }

    private void fail(Exchange exchange, Exception failure) {
        String path = exchange.path();
        if (failure instanceof ApiException e) {
            exchange.respond(ErrorRenderer.render(path, e));
        } else if (failure instanceof DataException e) {
            LOG.log(System.Logger.Level.ERROR, "database failure on " + exchange.method() + " " + path, e);
            exchange.respond(ErrorRenderer.render(path, new ApiException(503, "unavailable",
                    "the service cannot reach its database; retry shortly", null, Map.of("Retry-After", "1"))));
        } else {
            String ref = UUID.randomUUID().toString();
            LOG.log(System.Logger.Level.ERROR, "internal error " + ref + " on " + exchange.method() + " " + path, failure);
            exchange.respond(ErrorRenderer.render(path, new ApiException(500, "internal_error",
                    "internal error (reference " + ref + ")")));
        }
    }

    private ApiKey authenticate(Exchange exchange) {
        String auth = exchange.header("Authorization");
        String secret = null;
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            secret = auth.substring(7).trim();
        } else if (exchange.header("x-api-key") != null) {
            secret = exchange.header("x-api-key").trim();
        }
        return keys.authenticate(secret);
    }

    synchronized void close() {
        if (!open) {
            return;
        }
        open = false;
        inFlight.drain(settings.seconds("apimodels.shutdown.grace-seconds", 30));
        release();
    }

    /**
     * Closes everything the engine started; each step runs even if an earlier one failed (a plug-in
     * that cannot close, a container bean already destroyed, a storage outage must not leave threads,
     * pools or the database open). After a failed start only what was opened is there to close.
     */
    private void release() {
        closing("timers", timer, t -> {
            t.shutdownNow();
            Threads.awaitTermination(t);
            timerThreads.awaitEnd();
        });
        closing("job runner", jobs, Jobs::close);
        closing("key last-use times", keys, ApiKeys::flushLastUsed);
        closing("ledger", ledger, Ledger::close);
        closing("workers", callbacks, pool -> {
            pool.shutdown();
            Threads.awaitTermination(pool);
            workerThreads.awaitEnd();
        });
        closing("providers", catalog, CatalogService::close);
        closing("fetcher", fetcher, SafeFetcher::close);
        closing("media storage", storage, MediaStorage::close);
        closing("metrics", metrics, Metrics::close);
        closing("database", database, Database::close);
    }

    private static <T> void closing(String what, T resource, java.util.function.Consumer<T> step) {
        if (resource == null) {
            return;
        }
        try {
            step.accept(resource);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "while stopping, could not close the " + what + ": " + e, e);
        }
    }
}
