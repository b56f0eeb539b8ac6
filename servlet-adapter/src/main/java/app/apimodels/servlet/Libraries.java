package app.apimodels.servlet;

/**
 * Which optional APIs (MicroProfile Config, CDI) this adapter can use. The classes that use them are
 * only touched after this says yes, so the adapter links and runs without them.
 */
final class Libraries {

    private Libraries() {
    }

    /** Whether {@code className} is visible to the adapter itself: that is the loader its own references link through. */
    static boolean present(String className) {
        try {
            Class.forName(className, false, Libraries.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
