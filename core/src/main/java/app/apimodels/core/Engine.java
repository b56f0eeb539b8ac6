package app.apimodels.core;

import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.api.AccountApi;
import app.apimodels.core.api.AnnouncementApi;
import app.apimodels.core.api.AdminApi;
import app.apimodels.core.api.LimitsApi;
import app.apimodels.core.api.ModelsApi;
import app.apimodels.core.api.OpsApi;
import app.apimodels.core.openapi.OpenApi;
import app.apimodels.core.api.RedemptionApi;
import app.apimodels.core.api.PrivacyApi;
import app.apimodels.core.auth.Authenticator;
import app.apimodels.core.auth.Caller;
import app.apimodels.core.billing.Billing;
import app.apimodels.core.billing.BillingApi;
import app.apimodels.core.billing.Gateways;
import app.apimodels.core.reconciliation.Reconciliation;
import app.apimodels.core.reconciliation.ReconciliationApi;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.catalog.CatalogService;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.DataException;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.fetch.FetchPolicy;
import app.apimodels.core.fetch.SafeFetcher;
import app.apimodels.core.idempotency.Idempotency;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.limits.AbuseLimits;
import app.apimodels.core.limits.ClientAddress;
import app.apimodels.core.limits.Limit;
import app.apimodels.core.limits.Nodes;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.mail.Announcements;
import app.apimodels.core.mail.LowBalanceNotices;
import app.apimodels.core.mail.MailSender;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.mail.Templates;
import app.apimodels.core.media.MediaApi;
import app.apimodels.core.media.MediaLimits;
import app.apimodels.core.media.MediaLinks;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.plugins.Plugins;
import app.apimodels.core.privacy.Consents;
import app.apimodels.core.privacy.CoreExport;
import app.apimodels.core.privacy.Erasure;
import app.apimodels.core.privacy.ExportSection;
import app.apimodels.core.privacy.Exports;
import app.apimodels.core.privacy.PrivacyRequests;
import app.apimodels.core.privacy.Profiles;
import app.apimodels.core.privacy.Restrictions;
import app.apimodels.core.providers.ProviderRegistry;
import app.apimodels.core.relay.InFlight;
import app.apimodels.core.relay.Relay;
import app.apimodels.core.relay.TokenCounter;
import app.apimodels.core.routing.Routing;
import app.apimodels.core.routing.RoutesApi;
import app.apimodels.core.retention.Retention;
import app.apimodels.core.redemption.Redemptions;
import app.apimodels.core.startup.BootstrapAdmin;
import app.apimodels.core.startup.Pepper;
import app.apimodels.core.tasks.TaskApi;
import app.apimodels.core.tasks.TaskService;
import app.apimodels.core.threads.Threads;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.ErrorRenderer;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.core.accounts.MailLinks;
import app.apimodels.core.extension.Extension;
import app.apimodels.core.extension.Services;
import app.apimodels.core.sessions.Csrf;
import app.apimodels.spi.web.BodyLimits;
import app.apimodels.spi.web.Exchange;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router;
import app.apimodels.core.web.Text;
import app.apimodels.core.web.Router.Access;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.storage.MediaStorage;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The composition root: reads the settings, wires the services together, owns their threads and
 * closes them, and dispatches every request ({@link #handle}). The route table, the authenticator,
 * the start-up steps and the plug-ins live in classes of their own.
 */
final class Engine {

    private static final System.Logger LOG = System.getLogger(ApiModels.class.getName());

    private final Settings settings;
    private final Database database;
    private final ThreadPoolExecutor callbacks;
    private final Background background;
    private final Ledger ledger;
    private final ApiKeys keys;
    private final Authenticator authenticator;
    private final CatalogService catalog;
    private final Idempotency idempotency;
    private final Metrics metrics;
    private final InFlight inFlight = new InFlight();
    private final Threads.Daemons workerThreads = new Threads.Daemons("apimodels-worker");
    private final Router router = new Router();
    private final long maxBodyBytes;
    private final BodyLimits bodyLimits;
    private final SafeFetcher fetcher;
    private final MediaStorage storage;
    private final Jobs jobs;
    private final Outbox outbox;
    private final Restrictions restrictions;
    private Mailer mailer;
    private final Nodes nodes;
    private final AbuseLimits limits;
    private final Gateways gateways;
    private final Csrf csrf;
    /** The installed extensions (the console): their routes are in the router, their paths' failures theirs to render. */
    private final List<Extension> extensions;
    private volatile boolean open = true;

    private Engine(ApiModels.Builder b) {
        try {
            settings = new Settings(b.config).checked();
            maxBodyBytes = settings.get(Keys.MAX_BODY_BYTES);
            database = Database.open(b.dataSource, settings);
            Sql sql = new Sql(database);
            // Services that write mail get this outbox in their constructor (see outbox()).
            outbox = new Outbox(sql, b.clock);
            int workers = settings.get(Keys.WORKER_THREADS);
            callbacks = new ThreadPoolExecutor(workers, workers, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), workerThreads);
            callbacks.allowCoreThreadTimeOut(true);
            background = new Background();
            metrics = new Metrics();
            ledger = new Ledger(sql, b.clock, settings.get(Keys.LEDGER_HOLD_TTL), settings.get(Keys.LEDGER_MAX_BATCH), callbacks,
                    settings.get(Keys.LEDGER_ASYNC_COMMITS), settings.get(Keys.LEDGER_SETTLE_LINGER),
                    settings.get(Keys.LEDGER_LEASE_CALLS), settings.get(Keys.LEDGER_LEASE_IDLE),
                    settings.get(Keys.DATA_DIR).resolve("ledger-journal"));
            ledger.observe(metrics);
            byte[] pepper = Pepper.load(settings);
            Duration cacheTtl = settings.get(Keys.KEYS_CACHE_TTL);
            keys = new ApiKeys(sql, b.clock, pepper, cacheTtl);
            ClientAddress clientAddress = new ClientAddress(settings.find(Keys.LIMITS_TRUSTED_PROXIES).orElse(java.util.List.of()));
            Plugins plugins = new Plugins(b.classLoader, new Plugins.Extras(b.providers, b.transports, b.storageFactories,
                    b.storage, b.paymentGateways, b.mailers, b.extensions));
            extensions = plugins.enabledExtensions(settings);
            MailLinks mailLinks = extensions.stream().map(Extension::mailLinks).filter(java.util.Objects::nonNull).findFirst()
                    .orElse(MailLinks.JSON);
            People people = People.wire(settings, sql, b.clock, outbox, pepper, cacheTtl, clientAddress, mailLinks);
            Accounts accounts = people.accounts();
            csrf = people.csrf();
            authenticator = new Authenticator(keys, people.sessions(), csrf, people.policies());
            LOG.log(System.Logger.Level.INFO, "Upstream HTTP transports found: " + plugins.transports().keySet()
                    + "; providers that name none use '" + plugins.defaultTransport() + "'");
            ProviderRegistry registry = new ProviderRegistry(plugins, new TransportOptions(
                    settings.get(Keys.HTTP_CONNECT_TIMEOUT), settings.get(Keys.HTTP_MAX_CONNECTIONS_PER_HOST)));
            catalog = new CatalogService(sql, b.clock, registry, b.config);
            catalog.start(settings.find(Keys.CATALOG).orElse(null));
            metrics.knownModels(id -> catalog.catalog().model(id).isPresent());
            idempotency = new Idempotency(sql, b.clock, Duration.ofHours(24));
            CallLog callLog = new CallLog(sql);
            BootstrapAdmin.run(settings, sql, accounts, keys);

            jobs = new Jobs(database.dataSource(), settings, b.clock);
            nodes = new Nodes(sql, b.clock, jobs.node());
            nodes.beat();
            limits = new AbuseLimits(sql, b.clock, settings.get(Keys.LIMITS_CACHE_TTL), limitDefaults(settings), clientAddress, nodes::live,
                    metrics);
            Routing routing = new Routing(catalog::catalog, b.clock, new Routing.Policy(settings.get(Keys.ROUTING_BREAKER_FAILURES),
                    settings.get(Keys.ROUTING_BREAKER_OPEN), settings.get(Keys.ROUTING_FIRST_BYTE_TIMEOUT), settings.get(Keys.ROUTING_KEY_REST)));
            metrics.circuits(routing::statuses);
            Relay relay = new Relay(catalog::catalog, routing, ledger, new TokenCounter(), background.timer(), b.clock, inFlight, limits, metrics,
                    settings.get(Keys.RELAY_DEFAULT_MAX_TOKENS), settings.get(Keys.STREAM_KEEP_ALIVE),
                    settings.get(Keys.UPLOADS_MAX_AUDIO_BYTES), plugins.tracer());
            Duration fetchTimeout = settings.get(Keys.FETCH_TIMEOUT);
            fetcher = new SafeFetcher(new FetchPolicy(settings.find(Keys.FETCH_ALLOWED_PRIVATE_HOSTS).orElse(java.util.Set.of()),
                    settings.get(Keys.FETCH_CONNECT_TIMEOUT), fetchTimeout, 5, "apimodels/1"));
            storage = plugins.openStorage(settings);
            MediaLinks links = new MediaLinks(Pepper.derive(pepper, "apimodels media links"), b.clock,
                    settings.get(Keys.MEDIA_LINK_TTL), settings.find(Keys.PUBLIC_URL).map(URI::toString).orElse(null));
            MediaLimits mediaLimits = MediaLimits.from(settings);
            MediaStore media = new MediaStore(sql, b.clock, storage, mediaLimits, fetcher);
            // An upload's multipart envelope (boundaries, part headers, form fields) comes on top of the file.
            bodyLimits = new BodyLimits(maxBodyBytes, Math.addExact(mediaLimits.maxBytes(), 1L << 20),
                    settings.get(Keys.HTTP_BODY_TIMEOUT), settings.get(Keys.HTTP_UPLOAD_TIMEOUT),
                    settings.get(Keys.HTTP_MAX_CONCURRENT_BODY_READS), settings.get(Keys.HTTP_MAX_CONCURRENT_UPLOADS),
                    settings.get(Keys.HTTP_MAX_PUBLIC_BODY_BYTES), settings.get(Keys.HTTP_PUBLIC_BODY_TIMEOUT),
                    settings.get(Keys.HTTP_MAX_CONCURRENT_PUBLIC_BODY_READS), settings.get(Keys.HTTP_MAX_BUFFERED_BODY_BYTES));
            Duration uploadRetention = settings.get(Keys.UPLOADS_RETENTION);
            MediaApi mediaApi = new MediaApi(media, links, uploadRetention, fetchTimeout,
                    settings.get(Keys.MEDIA_REDIRECT), authenticator::keyCaller);
            Duration outputRetention = settings.get(Keys.MEDIA_OUTPUT_RETENTION);
            TaskService tasks = new TaskService(sql, b.clock, catalog::catalog, routing, ledger, media, links, fetcher, jobs, metrics, plugins.tracer(),
                    new TaskService.Config(settings.get(Keys.TASKS_TIMEOUT), settings.get(Keys.TASKS_POLL_INITIAL),
                            settings.get(Keys.TASKS_POLL_MAX), settings.get(Keys.TASKS_REHOST_DEFAULT_VALIDITY),
                            uploadRetention, outputRetention.isZero() ? null : outputRetention, fetchTimeout,
                            settings.get(Keys.TASKS_PROVIDER_WEBHOOKS)));
            startMail(plugins, sql, b.clock);
            jobs.recurring("media-retention", settings.get(Keys.MEDIA_RETENTION_SWEEP), () -> media.deleteExpired(1000));
            Duration redemptionWindow = settings.get(Keys.REDEMPTION_WINDOW);
            Redemptions redemptions = new Redemptions(sql, b.clock, ledger, Pepper.derive(pepper, "apimodels redemption codes"),
                    redemptionWindow, settings.get(Keys.REDEMPTION_MAX_FAILURES_PER_ACCOUNT),
                    settings.get(Keys.REDEMPTION_MAX_FAILURES_PER_ADDRESS));
            jobs.recurring("redemption-attempts", redemptionWindow, redemptions::sweepAttempts);
            PrivacyRequests privacyRequests = new PrivacyRequests(sql, b.clock);
            restrictions = new Restrictions(sql, b.clock, privacyRequests, settings.get(Keys.KEYS_CACHE_TTL));
            Consents consents = new Consents(b.clock);
            Profiles profiles = new Profiles(sql, consents, privacyRequests);
            // Every owner of personal data contributes its part of the export here.
            List<ExportSection> exportSections = new ArrayList<>(CoreExport.sections(links));
            Exports exports = new Exports(sql, b.clock, privacyRequests, exportSections, () -> ledger.flush().join());
            // Every owner of personal data with tables of its own adds its erasure step here.
            List<Erasure.Step> erasureSteps = new ArrayList<>(List.of(people.erasure()));
            erasureSteps.add((tx, person) -> redemptions.erase(tx, person.accountId()));
            Erasure erasure = new Erasure(sql, b.clock, privacyRequests, consents, outbox, media, () -> ledger.flush().join(),
                    keys::invalidateAll, erasureSteps, people.passwordMatches());
            Retention retention = new Retention(sql, b.clock, Retention.Policy.ofDays(settings.get(Keys.RETENTION_CALL_LOG_DAYS),
                    settings.get(Keys.RETENTION_CONTENT_DAYS), settings.get(Keys.RETENTION_SESSION_DAYS)));
            jobs.recurring("retention", settings.get(Keys.RETENTION_SWEEP), retention::sweep);
            PrivacyApi privacyApi = new PrivacyApi(profiles, restrictions, exports, erasure, privacyRequests, people.emailChange(), b.clock);
            gateways = new Gateways(plugins.openPaymentGateways(settings));
            Billing billing = new Billing(sql, b.clock, ledger, gateways, metrics, outbox, settings);
            jobs.recurring("billing-order-expiry", settings.get(Keys.BILLING_EXPIRY_SWEEP), () -> billing.expire(1000));
            Reconciliation reconciliation = new Reconciliation(sql, b.clock, billing, metrics);
            jobs.recurring("billing-reconciliation", Duration.ofDays(1), reconciliation::daily);
            TaskApi taskApi = new TaskApi(tasks, background.timer(), settings.get(Keys.TASKS_SYNC_WAIT), limits);
            Announcements announcements = new Announcements(sql, outbox);
            Services services = new Services(settings, b.clock, people.site(), csrf, people.cookie(), people.sessions(), clientAddress,
                    people.throttle(), accounts, people.signUps(), people.logins(), people.resets(), people.policies(), keys, ledger,
                    callLog, billing, redemptions, reconciliation, catalog, tasks, media, links, profiles, people.emailChange(), exports, erasure,
                    privacyRequests, restrictions, limits, jobs, plugins, routing, announcements);
            OpsApi ops = new OpsApi(sql, metrics, () -> open);
            Routes.add(router, new ModelsApi(catalog::catalog), relay, taskApi, mediaApi,
                    new AccountApi(accounts, keys, ledger, callLog, b.clock), new AdminApi(accounts, keys, ledger, catalog, callLog, restrictions, jobs,
                            settings.get(Keys.ADMIN_MAX_GRANT_MICROS)),
                    new LimitsApi(limits, accounts, keys),
                    ops,
                    new RedemptionApi(redemptions, accounts, ledger, clientAddress, settings.get(Keys.REDEMPTION_MAX_CODES),
                            settings.get(Keys.REDEMPTION_MAX_AMOUNT)), privacyApi, jobs, plugins, new BillingApi(billing),
                    new ReconciliationApi(reconciliation, b.clock), people.authApi(), people.policyApi(),
                    new AnnouncementApi(announcements), new RoutesApi(routing));
            extensions.forEach(x -> x.install(router, services));
            List<OpenApi.Fragment> fragments = new ArrayList<>(OpenApi.Fragment.core());
            extensions.stream().filter(x -> x.openApi() != null)
                    .forEach(x -> fragments.add(OpenApi.Fragment.load(x.name(), x.openApi(), x.getClass().getClassLoader())));
            ops.publish(OpenApi.document(router.routes(), path -> extensions.stream().anyMatch(x -> x.owns(path)), fragments));

            metrics.gauge("apimodels_upstream_keys_disabled", "Upstream keys this node leaves out because their upstream refused them",
                    routing::disabledKeys);
            metrics.gauge("apimodels_catalog_providers_unavailable", "Catalog providers this node cannot call (plug-in or secret missing here)",
                    () -> catalog.catalog().unavailable().size());
            metrics.gauge("apimodels_calls_in_flight", "Calls holding credits right now", inFlight::size);
            // Read from the pool's own counters: HikariCP's Micrometer tracker kept an undeployed
            // application's class loader reachable (RedeployTest).
            database.pool().ifPresent(pool -> {
                metrics.gauge("apimodels_db_connections", "Pooled database connections by state", "state", "active",
                        pool::getActiveConnections);
                metrics.gauge("apimodels_db_connections", "Pooled database connections by state", "state", "idle",
                        pool::getIdleConnections);
                metrics.gauge("apimodels_db_connections_pending", "Threads waiting for a pooled database connection",
                        pool::getThreadsAwaitingConnection);
            });
            metrics.gauge("apimodels_limits_counted_calls", "Calls running under an abuse limit, summed over their key, account and address counters",
                    limits::counted);
            metrics.gauge("apimodels_limits_nodes", "Live nodes sharing each abuse limit", nodes::live);
            metrics.gauge("apimodels_ledger_leases", "Budget leases this node holds open", ledger::openLeases);
            metrics.gauge("apimodels_tasks_unfinished", "Generation tasks not yet completed or failed",
                    () -> sql.one("SELECT COUNT(*) FROM apimodels_task WHERE state IN ('submitting', 'running', 'rehosting', 'failing', 'completing')", rs -> rs.getLong(1)).orElse(0L));
            metrics.gauge("apimodels_worker_queue", "Tasks waiting for a worker thread", () -> callbacks.getQueue().size());
            background.every("return-idle-leases", Duration.ofSeconds(1), ledger::returnIdleLeases);
            background.every("sweep-holds", settings.get(Keys.LEDGER_SWEEP), () -> ledger.sweepExpired(1000));
            background.every("key-last-used", Duration.ofSeconds(5), keys::flushLastUsed);
            background.every("catalog-refresh", settings.get(Keys.CATALOG_REFRESH), catalog::refresh);
            background.every("idempotency-sweep", Duration.ofHours(1), idempotency::sweep);
            background.every("node-heartbeat", Nodes.EVERY, nodes::beat);
            background.every("limits-sweep", Duration.ofMinutes(1), limits::sweep);
            background.every("auth-attempts-sweep", Duration.ofMinutes(10), people.throttle()::sweep);
            metrics.jobs(jobs.names(), jobs::backlog);
            jobs.start();
        } catch (RuntimeException | Error e) {
            // Whatever started before the failure (pool, writer threads, embedded database) must not
            // outlive it: inside a server a failed deployment would otherwise leak them.
            open = false;
            release();
            throw e;
        }
    }

    /** The mail outbox, for the services this root wires: they queue letters, the mail job sends them. */
    Outbox outbox() {
        return outbox;
    }

    /** The mail job, when a mailer is there to send with; without one, letters wait in the outbox. */
    private void startMail(Plugins plugins, Sql sql, java.time.Clock clock) {
        metrics.gauge("apimodels_mail_queued", "Letters waiting to be sent",
                () -> sql.one("SELECT COUNT(*) FROM apimodels_mail_outbox WHERE state = 'queued'", rs -> rs.getLong(1)).orElse(0L));
        mailer = plugins.openMailer(settings).orElse(null);
        if (mailer == null) {
            LOG.log(System.Logger.Level.WARNING, "no mailer of type ''{0}'' is installed (add apimodels-smtp for the .eml outbox, "
                    + "or set {1}): mail waits in the outbox table until one is", settings.get(Keys.MAIL_TYPE), Keys.MAIL_TYPE.key());
            return;
        }
        MailSender sender = new MailSender(sql, clock, mailer,
                new Templates(settings.get(Keys.BRAND), settings.find(Keys.PUBLIC_URL).orElse(null)), metrics,
                new MailSender.Policy(settings.get(Keys.MAIL_MAX_ATTEMPTS), settings.get(Keys.MAIL_RETRY_INITIAL)),
                UUID.randomUUID().toString());
        jobs.recurring("mail-send", settings.get(Keys.MAIL_SEND_INTERVAL), () -> sender.sendDue(100));
        LowBalanceNotices lowBalance = new LowBalanceNotices(sql, clock, outbox);
        jobs.recurring("low-balance-notices", Duration.ofMinutes(10), lowBalance::queueDue);
    }

    private static AbuseLimits.Defaults limitDefaults(Settings s) {
        return new AbuseLimits.Defaults(
                new Limit(s.get(Keys.LIMITS_KEY_RPM), s.get(Keys.LIMITS_KEY_TPM), s.get(Keys.LIMITS_KEY_CONCURRENT)),
                new Limit(s.get(Keys.LIMITS_ACCOUNT_RPM), s.get(Keys.LIMITS_ACCOUNT_TPM), s.get(Keys.LIMITS_ACCOUNT_CONCURRENT)),
                new Limit(s.get(Keys.LIMITS_IP_RPM), s.get(Keys.LIMITS_IP_TPM), s.get(Keys.LIMITS_IP_CONCURRENT)));
    }

    static Engine start(ApiModels.Builder b) {
        return new Engine(b);
    }

    boolean streamsBody(String method, String path, String contentType) {
        return MediaApi.streamsBody(method, path, contentType) || Relay.streamsBody(method, path, contentType);
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
                caller = authenticator.caller(exchange, match.route().access());
                if (match.route().access() == Access.ADMIN && !caller.isAdmin()) {
                    throw new ApiException(403, "forbidden", "this endpoint needs an admin's key or session");
                }
                restrictions.check(caller.accountId(), match.route());
                if (match.route().access() != Access.ADMIN) {
                    // On the headers, so a client over its limit never has its body read. Admin routes
                    // are not counted: an operator must be able to lift a limit while over it.
                    limits.request(caller, exchange);
                }
            }
            Caller authenticated = caller;
            // A public route's body (a webhook, verified only once read) has its own smaller cap and deadline.
            exchange.readBody(senderOf(caller), () -> dispatch(exchange, match, authenticated));
        } catch (Exception e) {
            fail(exchange, e);
        }
    }

    /** No caller: a public route, read with the adapter's limits for unauthenticated bodies. */
    private static Exchange.Sender senderOf(Caller caller) {
        return caller == null ? Exchange.Sender.PUBLIC : Exchange.Sender.AUTHENTICATED;
    }

    /** What depends on the body, on whatever thread the adapter finished reading it. */
    private void dispatch(Exchange exchange, Router.Match match, Caller caller) {
        String path = exchange.path();
        try {
            boolean streamed = streamsBody(exchange.method(), path, exchange.header("Content-Type"));
            if (exchange.bodyTooLarge()) {
                throw new ApiException(413, "body_too_large", "request body exceeds "
                        + bodyLimits.maxBytes(streamed, senderOf(caller)) + " bytes");
            }
            Exchange ex = exchange;
            String idemKey = exchange.header("Idempotency-Key");
            if (caller != null && idemKey != null && "POST".equals(exchange.method()) && !streamed) {
                ex = idempotency.begin(exchange, caller.accountId(), idemKey);
                if (ex == null) {
                    return; // replayed
                }
            }
            if (caller != null && caller.session() != null && !Csrf.safe(exchange.method()) && Csrf.inForm(exchange)) {
                csrf.checkForm(exchange, caller.session());
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
        ApiException error;
        if (failure instanceof ApiException e) {
            error = e;
        } else if (failure instanceof Failure e) {
            error = FailureMapping.toApi(e);
        } else if (failure instanceof DataException e) {
            LOG.log(System.Logger.Level.ERROR, "database failure on " + exchange.method() + " " + path, e);
            error = new ApiException(503, "unavailable", "the service cannot reach its database; retry shortly", null,
                    Map.of("Retry-After", "1"));
        } else {
            String ref = UUID.randomUUID().toString();
            LOG.log(System.Logger.Level.ERROR, "internal error " + ref + " on " + exchange.method() + " " + path, failure);
            error = new ApiException(500, "internal_error", "internal error (reference " + ref + ")");
        }
        for (Extension x : extensions) {
            if (x.owns(path)) {
                exchange.respond(x.failure(exchange, error));
                return;
            }
        }
        exchange.respond(ErrorRenderer.render(path, error));
    }

    synchronized void close() {
        if (!open) {
            return;
        }
        open = false;
        inFlight.drain(settings.get(Keys.SHUTDOWN_GRACE));
        release();
    }

    /**
     * Closes everything the engine started; each step runs even if an earlier one failed (a plug-in
     * that cannot close, a container bean already destroyed, a storage outage must not leave threads,
     * pools or the database open). After a failed start only what was opened is there to close.
     */
    private void release() {
        closing("timers", background, Background::close);
        closing("job runner", jobs, Jobs::close);
        closing("node heartbeat", nodes, Nodes::leave);
        closing("key last-use times", keys, ApiKeys::flushLastUsed);
        closing("ledger", ledger, Ledger::close);
        closing("workers", callbacks, pool -> {
            Threads.stop(pool);
            workerThreads.awaitEnd();
        });
        closing("providers", catalog, CatalogService::close);
        closing("fetcher", fetcher, SafeFetcher::close);
        closing("media storage", storage, MediaStorage::close);
        closing("mailer", mailer, Mailer::close);
        closing("payment gateways", gateways, Gateways::close);
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
