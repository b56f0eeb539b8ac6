package app.apimodels.provider.anthropic;

import app.apimodels.json.ChatChunks;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Anthropic's Messages event stream turned into OpenAI chat-completion chunks for a
 * {@link StreamSink}: {@code message_start} opens (assistant role), {@code text_delta} and
 * {@code thinking_delta} become content and reasoning deltas, a {@code tool_use} block start
 * and its {@code input_json_delta}s become tool-call deltas numbered in order of appearance,
 * {@code message_delta} carries the finish reason, {@code message_stop} ends it after OpenAI's
 * closing usage chunk; {@code ping} is ignored. Usage, errors and the end are
 * {@link AnthropicEvents}'.
 */
final class AnthropicStream extends AnthropicEvents {

    private final ChatCompletion completions;
    private String id = "";
    private String model = "";
    private final long created = System.currentTimeMillis() / 1000;
    /** The text chunks, written straight to bytes (they are most of the stream); set again when message_start names the message. */
    private ChatChunks textChunks = new ChatChunks(id, created, model);
    /** Anthropic's content block index → OpenAI tool-call index. */
    private final Map<Integer, Integer> toolCalls = new HashMap<>();

    AnthropicStream(StreamSink sink, ObjectMapper mapper, AnthropicErrors errors, ChatCompletion completions) {
        super(sink, mapper, errors);
        this.completions = completions;
    }

    @Override
    protected void onMessageEvent(String type, JsonNode event, byte[] buffer, int length) {
        switch (type) {
            case "message_start" -> {
                JsonNode message = event.path("message");
                id = message.path("id").asText("");
                model = message.path("model").asText("");
                textChunks = new ChatChunks(id, created, model);
                ObjectNode delta = mapper.createObjectNode();
                delta.put("role", "assistant");
                delta.put("content", "");
                send(delta, null, "");
            }
            case "content_block_start" -> {
                JsonNode block = event.path("content_block");
                if ("tool_use".equals(block.path("type").asText())) {
                    int index = toolCalls.size();
                    toolCalls.put(event.path("index").asInt(), index);
                    ObjectNode call = completions.toolCall(block.path("id").asText(), block.path("name").asText(), "");
                    call.put("index", index);
                    ObjectNode delta = mapper.createObjectNode();
                    delta.putArray("tool_calls").add(call);
                    send(delta, null, "");
                } else if ("text".equals(block.path("type").asText()) && !block.path("text").asText("").isEmpty()) {
                    text("content", block.path("text").asText());
                }
            }
            case "message_delta" -> {
                String finish = ChatCompletion.finishReason(event.path("delta").path("stop_reason").asText(null));
                if (finish != null) {
                    send(mapper.createObjectNode(), finish, "");
                }
            }
            case "message_stop" -> closingUsageChunk();
            default -> { } // ping, content_block_stop, and event types added later
        }
    }

    @Override
    protected void onDelta(Delta delta, byte[] buffer, int length) {
        switch (delta.type()) {
            case "text_delta" -> text("content", delta.text());
            case "thinking_delta" -> text("reasoning_content", delta.text());
            case "input_json_delta" -> {
                Integer index = toolCalls.get(delta.index());
                if (index == null) {
                    failAndStop(errors.malformed(null));
                    return;
                }
                ObjectNode call = mapper.createObjectNode();
                call.put("index", index);
                call.putObject("function").put("arguments", delta.text());
                ObjectNode node = mapper.createObjectNode();
                node.putArray("tool_calls").add(call);
                send(node, null, delta.text());
            }
            default -> { } // signatures, citations: nothing an OpenAI client reads
        }
    }

    /** A chunk whose delta is {@code field: text}: written straight to bytes, or built as a tree when it has characters beyond the BMP. */
    private void text(String field, String text) {
        if (ChatChunks.writable(text)) {
            deliver(new StreamChunk(textChunks.delta(field, text), text));
            return;
        }
        ObjectNode node = mapper.createObjectNode();
        node.put(field, text);
        send(node, null, text);
    }

    private void send(ObjectNode delta, String finishReason, String text) {
        ObjectNode chunk = mapper.createObjectNode();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", model);
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        emit(chunk, text);
    }

    private void emit(ObjectNode chunk, String text) {
        try {
            deliver(new StreamChunk(mapper.writeValueAsBytes(chunk), text));
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
        }
    }

    /** OpenAI's closing usage chunk ({@code "choices": []}), as with {@code include_usage}. */
    private void closingUsageChunk() {
        ObjectNode usage = reportedUsage();
        if (usage != null) {
            ObjectNode chunk = mapper.createObjectNode();
            chunk.put("id", id);
            chunk.put("object", "chat.completion.chunk");
            chunk.put("created", created);
            chunk.put("model", model);
            chunk.putArray("choices");
            chunk.set("usage", completions.openAiUsage(ChatCompletion.usage(usage)));
            emit(chunk, "");
        }
    }
}
