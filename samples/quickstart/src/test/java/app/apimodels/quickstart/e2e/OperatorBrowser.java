package app.apimodels.quickstart.e2e;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Debian's Chromium, headless, driven through its chromedriver, as a person uses the console: fields
 * found by their visible label, buttons and links by their text. {@link #check} saves a
 * screenshot under {@code target/screenshots/<journey>/} and runs axe-core in the page, failing on
 * any serious or critical violation.
 */
final class OperatorBrowser implements AutoCloseable {

    private static final String AXE = axeScript();

    private final WebDriver driver;
    private final String base;
    private final Path shots;

    private OperatorBrowser(WebDriver driver, String base, Path shots) {
        this.driver = driver;
        this.base = base;
        this.shots = shots;
    }

    static OperatorBrowser open(String base, String journey) {
        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new java.io.File("/usr/bin/chromedriver"))
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
        try {
            return new OperatorBrowser(driver, base, Files.createDirectories(Path.of("target", "screenshots", journey)));
        } catch (IOException e) {
            driver.quit();
            throw new UncheckedIOException(e);
        }
    }

    WebDriver driver() {
        return driver;
    }

    void go(String path) {
        driver.get(base + path);
    }

    /** Types into the field whose visible label is {@code label}, replacing what was there. */
    void fill(String label, String value) {
        WebElement l = driver.findElement(By.xpath("//label[normalize-space()=" + literal(label) + "]"));
        WebElement field = driver.findElement(By.id(l.getAttribute("for")));
        field.clear();
        field.sendKeys(value);
    }

    /** Clicks the button with this text and waits for the page it leads to. */
    void press(String name) {
        leave(driver.findElement(By.xpath("//button[normalize-space()=" + literal(name) + "]")));
    }

    /** Clicks the link with this text and waits for the page it leads to. */
    void follow(String text) {
        leave(driver.findElement(By.linkText(text)));
    }

    private void leave(WebElement clicked) {
        WebElement old = driver.findElement(By.tagName("html"));
        clicked.click();
        new WebDriverWait(driver, Duration.ofSeconds(15)).until(ExpectedConditions.stalenessOf(old));
    }

    String page() {
        return driver.getPageSource();
    }

    String text(By by) {
        return driver.findElement(by).getText().strip();
    }

    /** Saves a screenshot of the page as {@code name.png} and fails on serious or critical axe-core violations. */
    void check(String name) {
        try {
            Files.write(shots.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JavascriptExecutor js = (JavascriptExecutor) driver;
        // Injected through the driver, not a <script> of the page: the page's CSP allows only its own scripts.
        js.executeScript(AXE);
        Object result = ((JavascriptExecutor) driver).executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations"
                        + ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                        + ".map(v => v.id + ': ' + v.help + ' ' + v.nodes.map(n => n.target.join(' ')).join(', '))))"
                        + ".catch(e => done(['axe failed: ' + e]));");
        assertThat((List<?>) result).as("axe-core on %s (%s)", name, driver.getCurrentUrl()).isEmpty();
    }

    private static String literal(String s) {
        return s.contains("'") ? "\"" + s + "\"" : "'" + s + "'";
    }

    private static String axeScript() {
        try (InputStream in = OperatorBrowser.class.getClassLoader().getResourceAsStream("axe.min.js")) {
            if (in == null) {
                throw new IllegalStateException("axe.min.js is not on the test class path (com.deque.html.axe-core:selenium)");
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
