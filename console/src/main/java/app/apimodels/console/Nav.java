package app.apimodels.console;

import java.util.ArrayList;
import java.util.List;

/**
 * The console's navigation: each section adds its pages' entries when it is installed, so the menu
 * lists exactly the pages there are, in the order sections are installed.
 */
public final class Nav {

    /** Whose menu an entry is in. */
    public enum Area {
        /** A signed-in person's pages (an admin sees them too). */
        PEOPLE,
        /** Operators' pages, shown to admins only. */
        OPERATORS
    }

    /** An entry as a page shows it: its text, where it goes, and whether it is the page shown. */
    public record Link(String label, String href, boolean current) {
    }

    private record Entry(Area area, String key, String path) {
    }

    private final List<Entry> entries = new ArrayList<>();

    void add(Area area, String key, String path) {
        entries.add(new Entry(area, key, path));
    }

    List<Link> links(Area area, Messages messages, String root, String currentPath) {
        return entries.stream().filter(e -> e.area() == area)
                .map(e -> new Link(messages.t(e.key()), root + e.path(), e.path().equals(currentPath))).toList();
    }
}
