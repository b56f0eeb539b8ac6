package app.apimodels.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

/**
 * The few reads a streamed event needs, from Jackson's parser or from {@link ByteTokens}: an event
 * is read by one piece of code either way (from its bytes first, with Jackson when they are unsure).
 */
public interface JsonTokens {

    /** The next token, null at the end. */
    JsonToken next() throws IOException;

    /** Whether the current field's name (also while on its value) is {@code name}. */
    boolean nameIs(String name) throws IOException;

    /** The current string value. */
    String text() throws IOException;

    /** Skips the current object or array to its end. */
    void skipChildren() throws IOException;

    /** The current value as a tree. */
    JsonNode tree() throws IOException;

    /** The tokens of {@code parser}, read as it reads them. */
    static JsonTokens of(JsonParser parser) {
        return new JsonTokens() {
            @Override
            public JsonToken next() throws IOException {
                return parser.nextToken();
            }

            @Override
            public boolean nameIs(String name) throws IOException {
                return name.equals(parser.currentName());
            }

            @Override
            public String text() throws IOException {
                return parser.getText();
            }

            @Override
            public void skipChildren() throws IOException {
                parser.skipChildren();
            }

            @Override
            public JsonNode tree() throws IOException {
                return parser.readValueAsTree();
            }
        };
    }
}
