package app.apimodels.core.catalog;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.db.Sql;
import app.apimodels.core.providers.ProviderRegistry;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.Json;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Owns the catalog: applies the catalog file at start (its entries win over stored ones with the
 * same id; entries added through the admin API stay), stores every entry in the database, and
 * serves an immutable {@link Catalog} snapshot that admin changes replace atomically. Other nodes
 * pick changes up on {@link #refresh()}.
 */
public final class CatalogService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(CatalogService.class.getName());
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_.]*)(?::([^}]*))?}");

    private final Sql sql;
    private final Clock clock;
    private final ProviderRegistry registry;
    private final ConfigSource secrets;
    private final AtomicReference<Catalog> current = new AtomicReference<>();
    /** Clients by provider spec, reused across snapshots while the spec is unchanged. */
    private final Map<String, Built> clients = new HashMap<>();
    private String lastLoaded = "";

    private record Built(ProviderSpec spec, List<Catalog.Key> keys) {
    }

    public CatalogService(Sql sql, Clock clock, ProviderRegistry registry, ConfigSource secrets) {
        this.sql = sql;
        this.clock = clock;
        this.registry = registry;
        this.secrets = secrets;
    }

    /** Applies the catalog file (if any), then loads everything stored. Fails start-up on any error. */
    public void start(Path file) {
        if (file != null) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException("apimodels.catalog: cannot read " + file + ": " + e.getMessage(), e);
            }
            CatalogDocument doc = CatalogDocument.parseYaml(text, file.toString());
            // Build before storing, so a file that cannot work stops start-up without touching the database.
            doc.providers().forEach(p -> keys(p, file.toString()));
            sql.tx(c -> {
                for (ProviderSpec p : doc.providers()) {
                    upsert(c, "apimodels_catalog_provider", p.id(), p.toDoc());
                }
                for (ModelSpec m : doc.models()) {
                    upsert(c, "apimodels_catalog_model", m.id(), m.toDoc());
                }
                return null;
            });
        }
        load(stored());
    }

    public Catalog catalog() {
        return current.get();
    }

    /** Re-reads the stored catalog and rebuilds it if it changed (other nodes' admin edits). */
    public synchronized void refresh() {
        Stored stored = stored();
        if (!stored.fingerprint().equals(lastLoaded)) {
            load(stored);
        }
    }

    /** The stored entries as JSON documents, read in one transaction. */
    private record Stored(List<String> providers, List<String> models) {
        String fingerprint() {
            return providers + "|" + models;
        }
    }

    private Stored stored() {
        return sql.tx(c -> new Stored(Sql.list(c, "SELECT doc FROM apimodels_catalog_provider ORDER BY id", rs -> rs.getString(1)),
                Sql.list(c, "SELECT doc FROM apimodels_catalog_model ORDER BY id", rs -> rs.getString(1))));
    }

    private synchronized void load(Stored stored) {
        List<ProviderSpec> providers = stored.providers().stream()
                .map(doc -> CatalogDocument.provider(storedDoc(doc, "stored provider"), "stored provider")).toList();
        List<ModelSpec> models = stored.models().stream()
                .map(doc -> CatalogDocument.model(storedDoc(doc, "stored model"), "stored model")).toList();
        Catalog before = current.get();
        Catalog loaded = build(providers, models, "database", null);
        for (Catalog.Unavailable u : loaded.unavailable()) {
            if (before == null || !before.unavailable(u.provider()).equals(java.util.Optional.of(u))) {
                LOG.log(System.Logger.Level.WARNING, "catalog provider '" + u.provider() + "' (type '" + u.type()
                        + "') is unavailable on this node, its models use their other routes here: " + u.reason());
            }
        }
        current.set(loaded);
        lastLoaded = stored.fingerprint();
    }

    /** A document this class stored; unreadable only if someone edited the table by hand. */
    private static Map<String, Object> storedDoc(String doc, String what) {
        try {
            return Json.MAPPER.readValue(doc, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {
            });
        } catch (java.io.IOException e) {
            throw new CatalogException(what + ": not a JSON object");
        }
    }

    /**
     * The snapshot of these entries. A provider this node cannot call (see {@link Catalog.Unavailable})
     * is left out of its models' routes, unless it is {@code checked}: the one being saved, which
     * this node must be able to build to validate it.
     */
    private Catalog build(List<ProviderSpec> providers, List<ModelSpec> models, String source, String checked) {
        Map<String, ProviderSpec> providerById = new LinkedHashMap<>();
        Map<String, List<Catalog.Key>> keysById = new HashMap<>();
        Map<String, Catalog.Unavailable> unavailable = new LinkedHashMap<>();
        for (ProviderSpec p : providers) {
            providerById.put(p.id(), p);
            try {
                keysById.put(p.id(), keys(p, source));
            } catch (NotBuilt e) {
                if (p.id().equals(checked)) {
                    throw e;
                }
                unavailable.put(p.id(), new Catalog.Unavailable(p.id(), p.type(), e.field, e.getMessage()));
            }
        }
        Map<String, Catalog.Model> built = new LinkedHashMap<>();
        for (ModelSpec m : models) {
            List<Catalog.Target> targets = new ArrayList<>();
            List<Catalog.Unavailable> missing = new ArrayList<>();
            for (RouteSpec r : m.routes()) {
                ProviderSpec p = providerById.get(r.provider());
                if (p == null) {
                    throw new ConfigException(source + ": model '" + m.id() + "' routes to unknown provider '" + r.provider() + "'");
                }
                if (unavailable.containsKey(p.id())) {
                    missing.add(unavailable.get(p.id()));
                } else {
                    targets.add(new Catalog.Target(p, r, keysById.get(p.id())));
                }
            }
            built.put(m.id(), new Catalog.Model(m, targets, missing));
        }
        clients.keySet().retainAll(providerById.keySet());
        return new Catalog(built, providerById, unavailable);
    }

    /** A provider entry this node cannot make clients for; {@link #field} names the catalog field at fault, if one is. */
    private static final class NotBuilt extends ConfigException {
        private final String field;

        NotBuilt(String field, String message, Throwable cause) {
            super(message, cause);
            this.field = field;
        }
    }

    /**
     * A client for each key of the provider's pool, reused while its spec is unchanged.
     *
     * @throws NotBuilt if a plug-in the entry names is not on this node, or a secret it names is not set here
     */
    private synchronized List<Catalog.Key> keys(ProviderSpec spec, String source) {
        Built existing = clients.get(spec.id());
        if (existing != null && existing.spec.equals(spec)) {
            return existing.keys;
        }
        String where = source + ": provider '" + spec.id() + "'";
        // Options may hold secrets too (a webhook signing secret): resolved the same way, never stored resolved.
        Map<String, String> options = new LinkedHashMap<>();
        spec.options().forEach((k, v) -> options.put(k, resolve(v, where, "options." + k)));
        List<Catalog.Key> keys = new ArrayList<>();
        List<String> pool = spec.pool();
        for (int i = 0; i < pool.size(); i++) {
            String secret = resolve(pool.get(i), where, i == 0 && !spec.apiKey().isEmpty() ? "api-key" : "api-keys");
            ProviderConfig config = new ProviderConfig(spec.id(), spec.type(), spec.baseUrl(), secret,
                    Duration.ofSeconds(spec.timeoutSeconds()), options);
            try {
                keys.add(new Catalog.Key(fingerprint(spec.id(), secret), label(secret), registry.create(config, spec.transport())));
            } catch (ConfigException e) {
                keys.forEach(k -> k.client().close());
                throw new NotBuilt(e instanceof ProviderRegistry.Missing missing ? missing.field() : null, where + ": " + e.getMessage(), e);
            }
        }
        Built built = new Built(spec, List.copyOf(keys));
        clients.put(spec.id(), built);
        return built.keys;
    }

    /** {@link #resolve} for a provider entry's {@code field}, failing as {@link NotBuilt}. */
    private String resolve(String raw, String where, String field) {
        try {
            return resolve(raw, where + " " + field);
        } catch (ConfigException e) {
            throw new NotBuilt(field, e.getMessage(), e);
        }
    }

    /** The last four characters of a secret, all that is ever shown of it ({@code …abcd}); none for a short one. */
    static String label(String secret) {
        return secret.length() < 12 ? "…" : "…" + secret.substring(secret.length() - 4);
    }

    /** Names a key without its secret: a truncated SHA-256 of provider and secret. */
    private static String fingerprint(String provider, String secret) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((provider + "\u0000" + secret).getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    /** Replaces {@code ${NAME}} / {@code ${NAME:default}} with configuration or environment values. */
    String resolve(String raw, String where) {
        if (raw == null || raw.isEmpty()) {
            return "";
        }
        Matcher m = ENV.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = secrets.get(m.group(1)).orElse(m.group(2));
            if (value == null) {
                throw new ConfigException(where + ": environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    // ---- admin changes: validated against a candidate snapshot before they are stored ----

    public ProviderSpec putProvider(String id, Map<String, Object> body) {
        Map<String, Object> withId = new LinkedHashMap<>(body);
        withId.putIfAbsent("id", id);
        ProviderSpec spec = parse(() -> CatalogDocument.provider(withId, "provider"));
        if (!spec.id().equals(id)) {
            throw Failure.invalid("id", "id in the body must match the path");
        }
        Catalog now = catalog();
        List<ProviderSpec> providers = new java.util.ArrayList<>(now.providers().stream().filter(p -> !p.id().equals(id)).toList());
        providers.add(spec);
        apply(providers, now.models().stream().map(Catalog.Model::spec).toList(), id,
                c -> upsert(c, "apimodels_catalog_provider", id, spec.toDoc()));
        return spec;
    }

    public void deleteProvider(String id) {
        Catalog now = catalog();
        if (now.providers().stream().noneMatch(p -> p.id().equals(id))) {
            throw Failure.notFound("provider");
        }
        List<String> users = now.models().stream().filter(m -> m.spec().routes().stream().anyMatch(r -> r.provider().equals(id)))
                .map(Catalog.Model::id).toList();
        if (!users.isEmpty()) {
            throw new Failure(Failure.Reason.PROVIDER_IN_USE, "provider '" + id + "' is used by models " + users);
        }
        apply(now.providers().stream().filter(p -> !p.id().equals(id)).toList(),
                now.models().stream().map(Catalog.Model::spec).toList(), null,
                c -> Sql.update(c, "DELETE FROM apimodels_catalog_provider WHERE id = ?", id));
    }

    public ModelSpec putModel(String id, Map<String, Object> body) {
        Map<String, Object> withId = new LinkedHashMap<>(body);
        withId.putIfAbsent("id", id);
        ModelSpec spec = parse(() -> CatalogDocument.model(withId, "model"));
        if (!spec.id().equals(id)) {
            throw Failure.invalid("id", "id in the body must match the path");
        }
        Catalog now = catalog();
        for (RouteSpec r : spec.routes()) {
            if (now.providers().stream().noneMatch(p -> p.id().equals(r.provider()))) {
                throw Failure.invalid("routes", "no provider with id '" + r.provider() + "'");
            }
        }
        List<ModelSpec> models = new java.util.ArrayList<>(now.models().stream().map(Catalog.Model::spec)
                .filter(m -> !m.id().equals(id)).toList());
        models.add(spec);
        apply(now.providers(), models, null, c -> upsert(c, "apimodels_catalog_model", id, spec.toDoc()));
        return spec;
    }

    public void deleteModel(String id) {
        Catalog now = catalog();
        if (now.model(id).isEmpty()) {
            throw Failure.notFound("model");
        }
        apply(now.providers(), now.models().stream().map(Catalog.Model::spec).filter(m -> !m.id().equals(id)).toList(), null,
                c -> Sql.update(c, "DELETE FROM apimodels_catalog_model WHERE id = ?", id));
    }

    private interface Change {
        void run(Connection c) throws SQLException;
    }

    /** Stores {@code change} if the catalog it makes builds; {@code checked}: a provider this node must be able to call. */
    private synchronized void apply(List<ProviderSpec> providers, List<ModelSpec> models, String checked, Change change) {
        Catalog candidate;
        try {
            candidate = build(providers, models, "admin API", checked);
        } catch (NotBuilt e) {
            // This node cannot check an entry it cannot build (another node may have what it names): refused here.
            throw Failure.invalid(e.field, e.getMessage());
        } catch (ConfigException e) {
            throw Failure.invalid(null, e.getMessage());
        }
        sql.tx(c -> {
            change.run(c);
            return null;
        });
        current.set(candidate);
        lastLoaded = stored().fingerprint();
    }

    private static <T> T parse(java.util.function.Supplier<T> parser) {
        try {
            return parser.get();
        } catch (CatalogException e) {
            throw Failure.invalid(null, e.getMessage());
        }
    }

    private void upsert(Connection c, String table, String id, Map<String, Object> doc) throws SQLException {
        String json = Json.string(doc);
        long now = clock.millis();
        if (Sql.update(c, "UPDATE " + table + " SET doc = ?, updated_at = ? WHERE id = ?", json, now, id) == 0) {
            Sql.update(c, "INSERT INTO " + table + " (id, doc, updated_at) VALUES (?, ?, ?)", id, json, now);
        }
    }

    /** The stored (catalog-file) form of an entry. */
    public static Map<String, Object> doc(ProviderSpec spec) {
        return spec.toDoc();
    }

    public static Map<String, Object> doc(ModelSpec spec) {
        return spec.toDoc();
    }

    @Override
    public synchronized void close() {
        clients.values().forEach(b -> b.keys.forEach(k -> k.client().close()));
        clients.clear();
        Objects.requireNonNull(registry).close();
    }
}
