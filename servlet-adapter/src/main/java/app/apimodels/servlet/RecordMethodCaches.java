package app.apimodels.servlet;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.runtime.ObjectMethods;
import java.util.Map;

/**
 * Java 17 keeps, in method handles shared by every record class, the last record types their
 * {@code equals}, {@code hashCode} and {@code toString} were adapted to (JDK-8078641, fixed in
 * Java 18). That pins the class loader of the last application whose records first ran those
 * methods: after an undeploy, ours. Adapting the handles once more, to a JDK class, lets it go.
 */
final class RecordMethodCaches {

    private static final System.Logger LOG = System.getLogger(RecordMethodCaches.class.getName());

    private RecordMethodCaches() {
    }

    static void release() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle component = lookup.findVirtual(String.class, "toString", MethodType.methodType(String.class));
            Map<String, MethodType> methods = Map.of(
                    "equals", MethodType.methodType(boolean.class, String.class, Object.class),
                    "hashCode", MethodType.methodType(int.class, String.class),
                    "toString", MethodType.methodType(String.class, String.class));
            for (var method : methods.entrySet()) {
                ObjectMethods.bootstrap(lookup, method.getKey(), method.getValue(), String.class, "value", component);
            }
        } catch (Throwable e) {
            LOG.log(System.Logger.Level.DEBUG, "apimodels: could not reset the JDK's record method caches: {0}", e);
        }
    }
}
