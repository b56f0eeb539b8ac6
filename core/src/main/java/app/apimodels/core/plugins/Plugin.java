package app.apimodels.core.plugins;

/**
 * A plug-in the engine found: its name (a provider or storage type, a transport name), the object
 * and where it came from.
 */
public record Plugin<T>(String name, T instance, Origin origin) {

    /** Where a plug-in came from, as {@code GET /admin/plugins} shows it. */
    public enum Origin {
        /** {@code META-INF/services} on the engine's class loader. */
        SERVICE_LOADER("service-loader"),
        /** Handed to {@code ApiModels.builder()} — by the application, or as CDI beans by the servlet adapter. */
        BUILDER("builder");

        private final String label;

        Origin(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }
}
