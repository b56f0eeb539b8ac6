package app.apimodels.core.config;

import app.apimodels.core.accounts.SignUps;
import app.apimodels.core.api.AdminApi;
import app.apimodels.core.api.RedemptionApi;
import app.apimodels.core.fetch.Cidr;
import app.apimodels.core.fetch.FetchPolicy;
import app.apimodels.core.ledger.AsyncCommits;
import app.apimodels.core.limits.ClientAddress;
import app.apimodels.core.limits.Limit;

import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Every configuration key, defined once: name, type, default and meaning. The README's
 * configuration table lists the same keys with the same defaults (a test checks both ways), so a
 * new key is one constant here and one row there. Plug-in families ({@code apimodels.storage.*},
 * {@code apimodels.<type>.*} for payment gateways, {@code apimodels.mail.*}) are handed to the plug-ins as maps.
 */
public final class Keys {

    private Keys() {
    }

    // ---- where things are -----------------------------------------------------------------------
    public static final Setting<Integer> PORT = Setting.integer("apimodels.port", 8080, 0, 65_535,
            "quickstart only: the HTTP port (0 picks a free one)");
    public static final Setting<Integer> MAX_CONNECTIONS = Setting.integer("apimodels.max-connections", 16_384, 1, 1_000_000,
            "quickstart only: client connections kept open at once (held-open streams count; mind the process's file limit)");
    public static final Setting<Path> DATA_DIR = Setting.path("apimodels.data-dir", "./apimodels-data",
            "embedded database, generated key pepper, quickstart files");
    public static final Setting<Path> CATALOG = Setting.path("apimodels.catalog",
            "the YAML catalog file, applied at every start").documentedAs("demo catalog (quickstart)");
    public static final Setting<URI> PUBLIC_URL = Setting.url("apimodels.public-url",
            "where clients and upstreams reach the mount").documentedAs("the address each request came to");

    // ---- database -------------------------------------------------------------------------------
    public static final Setting<String> DB_URL = Setting.text("apimodels.db.url",
            "JDBC URL (PostgreSQL or H2); a pool is made for it").documentedAs("H2 file in the data dir");
    public static final Setting<String> DB_USER = Setting.text("apimodels.db.user", "user for apimodels.db.url");
    public static final Setting<String> DB_PASSWORD = Setting.text("apimodels.db.password", "password for apimodels.db.url");
    public static final Setting<Integer> DB_POOL_SIZE = Setting.integer("apimodels.db.pool-size", 16, 1, 1000,
            "pool size when apimodels makes the pool");
    public static final Setting<String> DB_JNDI = Setting.text("apimodels.db.jndi",
            "servlet adapter: the container's DataSource under this JNDI name");
    public static final Setting<Boolean> DB_ALLOW_IN_MEMORY = Setting.flag("apimodels.db.allow-in-memory", false,
            "servlet adapter: true accepts a database in memory, lost at every restart");

    // ---- servlet adapter ------------------------------------------------------------------------
    public static final Setting<String> BASE_PATH = Setting.text("apimodels.base-path", "",
            "servlet adapter: where the auto-mounted API lives inside the web application");
    public static final Setting<Boolean> AUTO_MOUNT = Setting.flag("apimodels.auto-mount", true,
            "servlet adapter: false leaves the web application alone");

    // ---- keys and requests ----------------------------------------------------------------------
    public static final Setting<String> BOOTSTRAP_ADMIN_KEY = Setting.text("apimodels.bootstrap.admin-key",
            "this exact secret (at least 16 characters) is made an admin key at start");
    public static final Setting<String> BOOTSTRAP_ADMIN_PASSWORD = Setting.text("apimodels.bootstrap.admin-password",
            "the first admin account logs in to the console with this password (set again at each start if it differs)");
    public static final Setting<String> KEYS_PEPPER = Setting.text("apimodels.keys.pepper",
            "HMAC pepper for stored keys (at least 32 characters); the same on every node")
            .documentedAs("generated into `<data-dir>/key-pepper`");
    public static final Setting<Duration> KEYS_CACHE_TTL = Setting.millis("apimodels.keys.cache-ttl-ms", 5_000, 0,
            "how long other nodes may keep honouring a revoked key");
    public static final Setting<Long> MAX_BODY_BYTES = Setting.number("apimodels.max-body-bytes", 10L * 1024 * 1024, 1024, Integer.MAX_VALUE,
            "larger request bodies get 413");
    public static final Setting<Long> RELAY_DEFAULT_MAX_TOKENS = Setting.number("apimodels.relay.default-max-tokens", 4096, 1, 10_000_000,
            "output cap held for when neither the request nor the model sets one");
    public static final Setting<Duration> STREAM_KEEP_ALIVE = Setting.millis("apimodels.stream.keep-alive-ms", 15_000, 0,
            "SSE keep-alive comment interval while a stream waits for its first token; 0: none");

    // ---- abuse limits (0: unlimited) ------------------------------------------------------------
    public static final Setting<Long> LIMITS_KEY_RPM = Setting.number("apimodels.limits.key.requests-per-minute", 0, 0, Limit.MAX,
            "model calls per minute per API key, unless an admin set the key's own");
    public static final Setting<Long> LIMITS_KEY_TPM = Setting.number("apimodels.limits.key.tokens-per-minute", 0, 0, Limit.MAX,
            "model tokens per minute per API key, unless an admin set the key's own");
    public static final Setting<Long> LIMITS_KEY_CONCURRENT = Setting.number("apimodels.limits.key.concurrent-calls", 0, 0, Limit.MAX,
            "model calls running at once per API key, unless an admin set the key's own");
    public static final Setting<Long> LIMITS_ACCOUNT_RPM = Setting.number("apimodels.limits.account.requests-per-minute", 0, 0,
            Limit.MAX, "model calls per minute per account, unless an admin set the account's own");
    public static final Setting<Long> LIMITS_ACCOUNT_TPM = Setting.number("apimodels.limits.account.tokens-per-minute", 0, 0,
            Limit.MAX, "model tokens per minute per account, unless an admin set the account's own");
    public static final Setting<Long> LIMITS_ACCOUNT_CONCURRENT = Setting.number("apimodels.limits.account.concurrent-calls", 0, 0,
            Limit.MAX, "model calls running at once per account, unless an admin set the account's own");
    public static final Setting<Long> LIMITS_IP_RPM = Setting.number("apimodels.limits.ip.requests-per-minute", 0, 0, Limit.MAX,
            "model calls per minute per client address");
    public static final Setting<Long> LIMITS_IP_TPM = Setting.number("apimodels.limits.ip.tokens-per-minute", 0, 0, Limit.MAX,
            "model tokens per minute per client address");
    public static final Setting<Long> LIMITS_IP_CONCURRENT = Setting.number("apimodels.limits.ip.concurrent-calls", 0, 0, Limit.MAX,
            "model calls running at once per client address");
    public static final Setting<Duration> LIMITS_CACHE_TTL = Setting.millis("apimodels.limits.cache-ttl-ms", 5_000, 0,
            "how long other nodes may take to apply an admin's change of limits");
    public static final Setting<List<Cidr>> LIMITS_TRUSTED_PROXIES = Setting.parsed("apimodels.limits.trusted-proxies",
            ClientAddress::parseProxies, "proxies whose X-Forwarded-For names the client address").documentedAs("none");

    // ---- ledger ---------------------------------------------------------------------------------
    public static final Setting<Duration> LEDGER_HOLD_TTL = Setting.seconds("apimodels.ledger.hold-ttl-seconds", 900, 1,
            "a hold not ended by then is voided by the sweeper");
    public static final Setting<Duration> LEDGER_SWEEP = Setting.seconds("apimodels.ledger.sweep-seconds", 30, 1,
            "how often expired holds are looked for");
    public static final Setting<Integer> LEDGER_MAX_BATCH = Setting.integer("apimodels.ledger.max-batch", 512, 1, 10_000,
            "most ledger operations committed together");
    public static final Setting<Duration> LEDGER_SETTLE_LINGER = Setting.millis("apimodels.ledger.settle-linger-ms", 50, 0,
            "how long the settlement writer waits to gather more settlements into one commit");
    public static final Setting<Long> LEDGER_LEASE_CALLS = Setting.number("apimodels.ledger.lease-calls", 100, 0, 1_000_000,
            "a budget lease grows by at least the worst case of this many calls (a busy account's by a second of its spending if more); 0 turns leases off");
    public static final Setting<Duration> LEDGER_LEASE_IDLE = Setting.millis("apimodels.ledger.lease-idle-ms", 2_000, 1,
            "a lease without calls for this long goes back to the wallet");
    public static final Setting<AsyncCommits> LEDGER_ASYNC_COMMITS = Setting.choice("apimodels.ledger.async-commits",
            AsyncCommits.SETTLEMENTS, "PostgreSQL only: which ledger batches commit without waiting for the WAL flush");

    // ---- engine ---------------------------------------------------------------------------------
    // ---- routing: this node's view of each route (see README "Routing") ---------------------------
    public static final Setting<Integer> ROUTING_BREAKER_FAILURES = Setting.integer("apimodels.routing.breaker-failures", 5, 1, 1000,
            "failures of a route (5xx, timeouts, broken connections) within 10 s that open its circuit breaker, when they are at least half of its calls judged in that time");
    public static final Setting<Duration> ROUTING_BREAKER_OPEN = Setting.seconds("apimodels.routing.breaker-open-seconds", 30, 1,
            "how long an open breaker keeps calls off its route before one probe call may close it");
    public static final Setting<Duration> ROUTING_FIRST_BYTE_TIMEOUT = Setting.seconds("apimodels.routing.first-byte-timeout-seconds", 60, 0,
            "a stream whose upstream sent no content by then goes to the next route (per route: first-byte-timeout-seconds); 0: no limit");
    public static final Setting<Duration> ROUTING_KEY_REST = Setting.seconds("apimodels.routing.key-rest-seconds", 3600, 1,
            "an upstream key refused by its upstream (401, 403, out of quota) is left out this long, then tried again");

    public static final Setting<Duration> CATALOG_REFRESH = Setting.seconds("apimodels.catalog.refresh-seconds", 30, 1,
            "how often a node reloads catalog changes made on other nodes");
    public static final Setting<Duration> SHUTDOWN_GRACE = Setting.seconds("apimodels.shutdown.grace-seconds", 30, 0,
            "how long a shutdown waits for calls in flight");
    public static final Setting<Integer> WORKER_THREADS = Setting.integer("apimodels.worker-threads", 8, 1, 1024,
            "threads that continue calls after their hold commits")
            .computed(() -> Math.max(8, 4 * Runtime.getRuntime().availableProcessors()), "`max(8, 4 × cores)`");
    public static final Setting<Duration> HTTP_CONNECT_TIMEOUT = Setting.seconds("apimodels.http.connect-timeout-seconds", 10, 1,
            "upstream connect timeout");
    public static final Setting<Duration> HTTP_BODY_TIMEOUT = Setting.seconds("apimodels.http.body-timeout-seconds", 30, 1,
            "servlet adapter: a request body not received in full by then gets 408");
    public static final Setting<Duration> HTTP_UPLOAD_TIMEOUT = Setting.seconds("apimodels.http.upload-timeout-seconds", 600, 1,
            "the same deadline for multipart uploads");
    public static final Setting<Integer> HTTP_MAX_CONCURRENT_BODY_READS = Setting.integer("apimodels.http.max-concurrent-body-reads",
            512, 1, 1_000_000, "servlet adapter: bodies received at once; more get 503");
    public static final Setting<Long> HTTP_MAX_BUFFERED_BODY_BYTES = Setting.number("apimodels.http.max-buffered-body-bytes",
            256L << 20, 1024, Long.MAX_VALUE, "servlet adapter: bytes of request bodies being received at once; more get 503")
            .computed(() -> Runtime.getRuntime().maxMemory() / 4, "a quarter of the maximum heap");
    public static final Setting<Integer> HTTP_MAX_CONCURRENT_UPLOADS = Setting.integer("apimodels.http.max-concurrent-uploads",
            32, 1, 1_000_000, "of those, multipart uploads; more get 503");
    public static final Setting<Integer> HTTP_MAX_CONCURRENT_PUBLIC_BODY_READS = Setting.integer(
            "apimodels.http.max-concurrent-public-body-reads", 32, 1, 1_000_000,
            "servlet adapter: bodies on public routes (provider webhooks, unauthenticated) received at once, "
                    + "apart from the authenticated callers' ones; more get 503");
    public static final Setting<Duration> HTTP_PUBLIC_BODY_TIMEOUT = Setting.seconds("apimodels.http.public-body-timeout-seconds",
            10, 1, "servlet adapter: a body on a public route not received in full by then gets 408");
    public static final Setting<Long> HTTP_MAX_PUBLIC_BODY_BYTES = Setting.number("apimodels.http.max-public-body-bytes",
            1024 * 1024, 1024, Integer.MAX_VALUE, "larger bodies on public routes get 413");
    public static final Setting<Long> ADMIN_MAX_GRANT_MICROS = Setting.number("apimodels.admin.max-grant-micros",
            AdminApi.DEFAULT_MAX_GRANT_MICROS, 1, AdminApi.MAX_GRANT_MICROS, "largest single grant in micros");
    public static final Setting<Integer> HTTP_MAX_CONNECTIONS_PER_HOST = Setting.integer("apimodels.http.max-connections-per-host",
            512, 1, 100_000, "upstream connection pool per host");

    // ---- redemption codes -----------------------------------------------------------------------
    public static final Setting<Integer> REDEMPTION_MAX_CODES = Setting.integer("apimodels.redemption.max-codes-per-batch",
            10_000, 1, 100_000, "most codes an admin may make in one batch");
    public static final Setting<Long> REDEMPTION_MAX_AMOUNT = Setting.number("apimodels.redemption.max-amount-micros",
            RedemptionApi.DEFAULT_MAX_AMOUNT_MICROS, 1, RedemptionApi.MAX_AMOUNT_MICROS, "most one code may be worth, in micros");
    public static final Setting<Duration> REDEMPTION_WINDOW = Setting.seconds("apimodels.redemption.attempt-window-seconds",
            900, 1, 86_400L * 365, "the window in which failed redemption attempts are counted");
    public static final Setting<Integer> REDEMPTION_MAX_FAILURES_PER_ACCOUNT = Setting.integer(
            "apimodels.redemption.max-failures-per-account", 10, 1, 1_000_000,
            "failed redemption attempts an account may make in a window; more get 429");
    public static final Setting<Integer> REDEMPTION_MAX_FAILURES_PER_ADDRESS = Setting.integer(
            "apimodels.redemption.max-failures-per-address", 50, 1, 1_000_000,
            "failed redemption attempts from one client address (IPv6: its /64) in a window; more get 429");

    // ---- media ----------------------------------------------------------------------------------
    public static final Setting<String> STORAGE_TYPE = Setting.text("apimodels.storage.type", "local",
            "the media storage plug-in; every apimodels.storage.* key is handed to it");
    public static final Setting<Duration> MEDIA_LINK_TTL = Setting.seconds("apimodels.media.link-ttl-seconds", 7 * 86_400, 1,
            "validity of signed /media/{id} links");
    public static final Setting<Boolean> MEDIA_REDIRECT = Setting.flag("apimodels.media.redirect", true,
            "a signed /media/{id} redirects to the storage's own link when it has one");
    public static final Setting<Duration> MEDIA_OUTPUT_RETENTION = Setting.seconds("apimodels.media.output-retention-seconds",
            30L * 86_400, 0, Long.MAX_VALUE / 1000, "generated outputs are deleted after this; 0 keeps them");
    public static final Setting<Duration> MEDIA_RETENTION_SWEEP = Setting.seconds("apimodels.media.retention-sweep-seconds", 60, 1,
            "how often expired files are deleted");
    public static final Setting<Duration> UPLOADS_RETENTION = Setting.seconds("apimodels.uploads.retention-seconds", 72 * 3600, 1,
            "uploads and fetched model inputs are deleted after this");
    public static final Setting<Long> UPLOADS_MAX_IMAGE_BYTES = Setting.number("apimodels.uploads.max-image-bytes", 20L << 20, 1,
            Long.MAX_VALUE, "largest image accepted");
    public static final Setting<Long> UPLOADS_MAX_VIDEO_BYTES = Setting.number("apimodels.uploads.max-video-bytes", 200L << 20, 1,
            Long.MAX_VALUE, "largest video accepted");
    public static final Setting<Long> UPLOADS_MAX_AUDIO_BYTES = Setting.number("apimodels.uploads.max-audio-bytes", 50L << 20, 1,
            Long.MAX_VALUE, "largest audio file accepted");

    // ---- outbound fetcher -----------------------------------------------------------------------
    public static final Setting<Set<String>> FETCH_ALLOWED_PRIVATE_HOSTS = Setting.parsed(FetchPolicy.ALLOWED_PRIVATE_HOSTS_KEY,
            FetchPolicy::parseHosts, "host:port entries the fetcher may reach although private")
            .documentedAs("none");
    public static final Setting<Duration> FETCH_TIMEOUT = Setting.seconds("apimodels.fetch.timeout-seconds", 120, 1,
            "whole-download limit of the outbound fetcher");
    public static final Setting<Duration> FETCH_CONNECT_TIMEOUT = Setting.seconds("apimodels.fetch.connect-timeout-seconds", 10, 1,
            "connect limit of the outbound fetcher");

    // ---- tasks ----------------------------------------------------------------------------------
    public static final Setting<Duration> TASKS_TIMEOUT = Setting.seconds("apimodels.tasks.timeout-seconds", 1800, 1,
            "a task not finished by then fails, uncharged");
    public static final Setting<Duration> TASKS_POLL_INITIAL = Setting.millis("apimodels.tasks.poll-initial-ms", 2_000, 1,
            "first provider polling delay");
    public static final Setting<Duration> TASKS_POLL_MAX = Setting.millis("apimodels.tasks.poll-max-ms", 30_000, 1,
            "longest provider polling delay");
    public static final Setting<Duration> TASKS_REHOST_DEFAULT_VALIDITY = Setting.seconds("apimodels.tasks.rehost-default-validity-seconds",
            3600, 1, "how long an upstream result link is assumed valid");
    public static final Setting<Boolean> TASKS_PROVIDER_WEBHOOKS = Setting.flag("apimodels.tasks.provider-webhooks", true,
            "give providers a webhook URL so tasks finish without waiting for a poll");
    public static final Setting<Duration> TASKS_SYNC_WAIT = Setting.seconds("apimodels.tasks.sync-wait-seconds", 300, 1,
            "how long POST /v1/images/generations waits for an asynchronous model");

    // ---- mail -----------------------------------------------------------------------------------
    public static final Setting<String> MAIL_TYPE = Setting.text("apimodels.mail.type", "outbox",
            "the mailer plug-in; every apimodels.mail.* and apimodels.<type>.* key is handed to it");
    public static final Setting<String> MAIL_FROM = Setting.text("apimodels.mail.from",
            "the sender of every mail, e.g. Acme AI <noreply@acme.example>");
    public static final Setting<String> BRAND = Setting.text("apimodels.brand", "apimodels",
            "the service's name in mail");
    public static final Setting<Duration> MAIL_SEND_INTERVAL = Setting.millis("apimodels.mail.send-interval-ms", 2_000, 1,
            "how often the mail job looks for letters to send");
    public static final Setting<Integer> MAIL_MAX_ATTEMPTS = Setting.integer("apimodels.mail.max-attempts", 10, 1, 100,
            "a letter the mail service keeps refusing for a passing reason is given up after this many tries");
    public static final Setting<Duration> MAIL_RETRY_INITIAL = Setting.seconds("apimodels.mail.retry-initial-seconds", 30, 1,
            "wait before the first retry; doubled for each next one, at most 6 hours");
    public static final Setting<String> RESEND_API_KEY = Setting.text("apimodels.resend.api-key",
            "mail type resend: the Resend API key");
    public static final Setting<URI> RESEND_API_BASE = Setting.url("apimodels.resend.api-base",
            "mail type resend: where Resend's API is").computed(() -> URI.create("https://api.resend.com"), "`https://api.resend.com`");
    // ---- billing --------------------------------------------------------------------------------
    public static final Setting<java.util.Map<String, Long>> BILLING_PACKAGES = Setting.parsed("apimodels.billing.packages",
            app.apimodels.core.billing.Packages::parse, "credit packages a checkout may name: name:micros,…")
            .documentedAs("none");
    public static final Setting<Long> BILLING_MIN_AMOUNT = Setting.number("apimodels.billing.min-amount-micros", 1_000_000,
            10_000, app.apimodels.core.api.Limits.MAX_MICROS, "smallest top-up a checkout may ask for");
    public static final Setting<Long> BILLING_MAX_AMOUNT = Setting.number("apimodels.billing.max-amount-micros", 10_000_000_000L,
            10_000, app.apimodels.core.api.Limits.MAX_MICROS, "largest top-up a checkout may ask for");
    public static final Setting<java.math.BigDecimal> BILLING_CNY_PER_USD = Setting.parsed("apimodels.billing.cny-per-usd",
            app.apimodels.core.billing.Packages::rate, "the fixed rate CNY orders are priced at (yuan per credit)");
    public static final Setting<Duration> BILLING_ORDER_EXPIRY = Setting.seconds("apimodels.billing.order-expiry-seconds", 7200, 60,
            "an unpaid order expires (and is closed at the gateway) after this");
    public static final Setting<Duration> BILLING_EXPIRY_SWEEP = Setting.seconds("apimodels.billing.expiry-sweep-seconds", 60, 1,
            "how often unpaid orders past their expiry are looked for");

    // ---- retention ------------------------------------------------------------------------------
    public static final Setting<Integer> RETENTION_CALL_LOG_DAYS = Setting.integer("apimodels.retention.call-log-days", 400, 0,
            100_000, "call-log rows older than this are deleted (billing reconciles from them first); 0 keeps them");
    public static final Setting<Integer> RETENTION_CONTENT_DAYS = Setting.integer("apimodels.retention.content-days", 30, 0,
            100_000, "prompts, callback URLs and upstream outputs of finished tasks are removed after this; 0 keeps them");
    public static final Setting<Integer> RETENTION_SESSION_DAYS = Setting.integer("apimodels.retention.expired-session-days", 7,
            0, 100_000, "browser sessions and one-time links are deleted this long after they expired, were revoked or used");
    public static final Setting<Duration> RETENTION_SWEEP = Setting.seconds("apimodels.retention.sweep-seconds", 3600, 1,
            "how often the retention job runs");

    // ---- people: sign-up, sessions, throttling, policy ---------------------------------------------
    public static final Setting<SignUps.Mode> SIGNUP_MODE = Setting.choice("apimodels.signup.mode", SignUps.Mode.OPEN,
            "who may sign up: anyone, holders of an admin's invitation, or nobody");
    public static final Setting<Integer> PASSWORD_ARGON2_MEMORY_KIB = Setting.integer("apimodels.passwords.argon2-memory-kib",
            19_456, 19_456, 4_194_304, "Argon2id memory per password hash (KiB; OWASP's minimum is 19456); "
                    + "a stored hash made with other parameters is redone at the next login");
    public static final Setting<Integer> PASSWORD_ARGON2_ITERATIONS = Setting.integer("apimodels.passwords.argon2-iterations",
            2, 2, 100, "Argon2id passes per password hash");
    public static final Setting<Integer> PASSWORD_ARGON2_PARALLELISM = Setting.integer("apimodels.passwords.argon2-parallelism",
            1, 1, 64, "Argon2id lanes per password hash");
    public static final Setting<Duration> SESSION_IDLE = Setting.seconds("apimodels.session.idle-seconds", 2 * 3600, 60,
            "a browser session unused for this long ends");
    public static final Setting<Duration> SESSION_ABSOLUTE = Setting.seconds("apimodels.session.absolute-seconds", 7 * 86_400, 60,
            "a browser session ends this long after login, used or not");
    public static final Setting<Duration> VERIFY_TOKEN_TTL = Setting.seconds("apimodels.auth.verify-link-seconds", 48 * 3600, 60,
            "validity of an e-mail verification link (sign-up and change of e-mail)");
    public static final Setting<Duration> RESET_TOKEN_TTL = Setting.seconds("apimodels.auth.reset-link-seconds", 3600, 60,
            "validity of a password reset link");
    public static final Setting<Duration> INVITE_TTL = Setting.seconds("apimodels.auth.invite-seconds", 14 * 86_400, 60,
            "validity of a sign-up invitation");
    public static final Setting<Duration> MAIL_COOLDOWN = Setting.seconds("apimodels.auth.mail-cooldown-seconds", 60, 1,
            "at most one verification, reset or sign-up mail per address in this time (more get 429)");
    public static final Setting<Integer> LOGIN_MAX_FAILURES = Setting.integer("apimodels.auth.login-max-failures", 5, 1, 1000,
            "failed logins for one e-mail address within the window that lock it");
    public static final Setting<Integer> LOGIN_MAX_FAILURES_PER_IP = Setting.integer("apimodels.auth.login-max-failures-per-ip",
            50, 1, 1_000_000, "failed logins and bad reset links from one client address within the window that block it");
    public static final Setting<Integer> RESET_MAX_REQUESTS = Setting.integer("apimodels.auth.reset-max-requests", 5, 1, 1000,
            "password reset requests for one e-mail address (and ten times as many per client address) within the window");
    public static final Setting<Duration> ATTEMPT_WINDOW = Setting.seconds("apimodels.auth.attempt-window-seconds", 900, 1,
            "the window those attempts are counted in");
    public static final Setting<Duration> LOCKOUT = Setting.seconds("apimodels.auth.lockout-seconds", 900, 1,
            "how long a locked address or blocked client waits (423/429 with Retry-After; the account owner gets a mail)");
    public static final Setting<Long> POLICY_KEY_GRACE_DAYS = Setting.number("apimodels.policy.key-grace-days", 30, 0, 3650,
            "API keys keep working this many days after a policy version takes effect before its owner must accept it; "
                    + "sessions must accept at once");

    // ---- console ----------------------------------------------------------------------------------
    public static final Setting<Boolean> CONSOLE_ENABLED = Setting.flag("apimodels.console.enabled", true,
            "serve the browser console under /console/ when the apimodels-console module is on the class path");

    // ---- job runner -----------------------------------------------------------------------------
    public static final Setting<Integer> JOBS_THREADS = Setting.integer("apimodels.jobs.threads", 8, 1, 256,
            "threads of the job runner");
    public static final Setting<Duration> JOBS_POLL_INTERVAL = Setting.millis("apimodels.jobs.poll-interval-ms", 1_000, 1,
            "how often the job runner looks for due jobs");
    public static final Setting<Duration> JOBS_HEARTBEAT = Setting.seconds("apimodels.jobs.heartbeat-seconds", 30, 1,
            "job runner heartbeat; a node silent for 4 has its jobs taken over");
    public static final Setting<Duration> JOBS_RETRY_AFTER_FAILURE = Setting.seconds("apimodels.jobs.retry-after-failure-seconds", 30, 1,
            "a job step that failed is retried after this");
    public static final Setting<Duration> JOBS_SHUTDOWN_WAIT = Setting.seconds("apimodels.jobs.shutdown-wait-seconds", 10, 0,
            "how long a stop waits for running jobs");

    /** Every key above. */
    public static List<Setting<?>> all() {
        List<Setting<?>> all = new ArrayList<>();
        for (var field : Keys.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == Setting.class) {
                try {
                    all.add((Setting<?>) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return List.copyOf(all);
    }
}
