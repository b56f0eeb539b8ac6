/**
 * Classes that run inside the test web applications only (their WEB-INF/lib gets a jar of this
 * package): a provider found by ServiceLoader, CDI beans, and a servlet that reports what the
 * application sees. The tests talk to them over HTTP, never directly.
 */
package app.apimodels.servlet.probe;
