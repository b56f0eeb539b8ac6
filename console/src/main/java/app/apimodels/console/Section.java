package app.apimodels.console;

/**
 * A part of the console — a page or a few related ones: adds its routes and its menu entries.
 * Sections are listed in {@link ConsoleExtension}; see docs/console.md for adding one.
 */
public interface Section {

    void install(Console console);
}
