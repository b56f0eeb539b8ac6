package app.apimodels.quickstart.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real browser on the console: Debian's Chromium, headless, driven by its chromedriver
 * ({@code /usr/bin/chromium}, {@code /usr/bin/chromedriver}; {@code .ci/run} installs them). Every
 * page it lands on is {@link #checked}: a screenshot under {@code target/console-screenshots/}, no
 * error in the browser's console (a CSP violation is one), and axe-core (Deque's {@code axe.min.js},
 * injected with executeScript) finding no serious or critical accessibility violation.
 *
 * <p>Tests find fields by their visible label and actions by their visible text, as people do.
 */
final class ConsoleBrowser implements AutoCloseable {

    /** A phone held upright and a laptop screen. */
    static final Dimension PHONE = new Dimension(390, 844);
    static final Dimension DESKTOP = new Dimension(1280, 900);

    static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    private static final AtomicInteger SHOTS = new AtomicInteger();
    private static final String AXE = axeScript();

    private final ChromeDriver driver;
    private final String base;
    private final String size;

    ConsoleBrowser(String base, Dimension window) {
        this.base = base;
        this.size = window.getWidth() + "x" + window.getHeight();
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + window.getWidth() + "," + window.getHeight(), "--lang=en-US");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
    }

    /** Goes to a path of the server (or a full URL, e.g. a mailed link) and checks the page. */
    ConsoleBrowser open(String pathOrUrl, String name) {
        driver.get(pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl);
        return checked(name);
    }

    /** Types into the field whose label reads {@code label}. */
    ConsoleBrowser fill(String label, String value) {
        WebElement field = labelled(label);
        field.clear();
        field.sendKeys(value);
        return this;
    }

    /** Ticks the checkbox whose label reads {@code label} (by clicking the label, as a person would). */
    ConsoleBrowser tick(String label) {
        WebElement box = labelled(label);
        if (!box.isSelected()) {
            driver.findElement(By.xpath("//label[normalize-space()=" + literal(label) + "]")).click();
        }
        assertThat(box.isSelected()).as(label).isTrue();
        return this;
    }

    /**
     * Clicks the button whose visible text is {@code text} — or, when there is none, the link — then
     * checks the page it leads to. (A form's "Log in" button wins over the menu's "Log in" link.)
     */
    ConsoleBrowser click(String text, String name) {
        List<WebElement> buttons = driver.findElements(By.xpath("//button[normalize-space()=" + literal(text) + "]"));
        (buttons.isEmpty() ? driver.findElement(By.xpath("//a[normalize-space()=" + literal(text) + "]")) : buttons.get(0)).click();
        return checked(name);
    }

    /** The driver, for what a test reads beyond these steps (an element by id, a link's target, the session cookie). */
    ChromeDriver driver() {
        return driver;
    }

    String heading() {
        return driver.findElement(By.tagName("h1")).getText();
    }

    String path() {
        String url = driver.getCurrentUrl();
        return url.startsWith(base) ? url.substring(base.length()) : url;
    }

    String lang() {
        return driver.findElement(By.tagName("html")).getDomAttribute("lang");
    }

    String text() {
        return driver.findElement(By.tagName("body")).getText();
    }

    /** The visible text of one element (a value the page marks with an id), without surrounding space. */
    String text(By by) {
        return driver.findElement(by).getText().strip();
    }

    /** How long the page shown took to load, from navigation start to the load event (Navigation Timing). */
    double loadMillis() {
        Object ms = driver.executeScript("const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime;");
        return ((Number) ms).doubleValue();
    }

    /** Screenshot, no console errors, no serious or critical axe-core violation. */
    ConsoleBrowser checked(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(String.format("%03d-%s-%s.png", SHOTS.incrementAndGet(), size, name)),
                    driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> errors = new ArrayList<>();
        // A refused form is shown again with its 4xx status, which Chromium logs against the page
        // itself; the test checks that page's content. Any other failed load is an error.
        String ownStatus = driver.getCurrentUrl() + " - Failed to load resource: the server responded with a status of 4";
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue() && !e.getMessage().startsWith(ownStatus)) {
                errors.add(e.getMessage());
            }
        }
        assertThat(errors).as("browser console errors on " + name + " (" + path() + ")").isEmpty();
        ((JavascriptExecutor) driver).executeScript(AXE);
        Object result = driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)))"
                + ".catch(e => done('axe failed: ' + e));");
        String json = String.valueOf(result);
        assertThat(json).as("axe-core ran").startsWith("[");
        List<String> serious = new ArrayList<>();
        try {
            for (JsonNode v : Gateway.JSON.readTree(json)) {
                String impact = v.path("impact").asText();
                if (impact.equals("serious") || impact.equals("critical")) {
                    serious.add(impact + " " + v.path("id").asText() + ": " + v.path("help").asText() + " at "
                            + v.path("nodes").findValuesAsText("html"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(serious).as("accessibility violations on " + name + " (" + path() + ")").isEmpty();
        return this;
    }

    private WebElement labelled(String label) {
        WebElement l = driver.findElement(By.xpath("//label[normalize-space()=" + literal(label) + "]"));
        return driver.findElement(By.id(l.getDomAttribute("for")));
    }

    /** A text as an XPath string literal (it may hold quotes). */
    private static String literal(String text) {
        if (!text.contains("'")) {
            return "'" + text + "'";
        }
        return "concat('" + text.replace("'", "', \"'\", '") + "')";
    }

    private static String axeScript() {
        try (InputStream in = ConsoleBrowser.class.getClassLoader().getResourceAsStream("axe.min.js")) {
            if (in == null) {
                throw new IllegalStateException("axe.min.js (com.deque.html.axe-core:selenium) is not on the test class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        driver.quit();
    }
}
