package app.apimodels.provider.anthropic;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.SseParser;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Anthropic's Messages event stream turned into OpenAI chat-completion chunks for a
 * {@link StreamSink}: {@code message_start} opens (assistant role), {@code text_delta} and
 * {@code thinking_delta} become content and reasoning deltas, a {@code tool_use} block start
 * and its {@code input_json_delta}s become tool-call deltas numbered in order of appearance,
 * {@code message_delta} carries the finish reason, {@code message_stop} ends it; {@code ping}
 * is ignored and {@code error} fails the stream. Usage comes from {@code message_start}; each
 * {@code message_delta} carries cumulative counts, so its fields replace, never add to, what
 * was known. The usage is handed over once, at the end (also when the stream fails after
 * starting), as the sink takes one. The transport calls one callback at a time; only
 * {@link #cancel()} crosses threads.
 */
final class AnthropicStream implements HttpBodyHandler {

    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final StreamSink sink;
    private final ObjectMapper mapper;
    private final AnthropicErrors errors;
    private final ChatCompletion completions;
    private final SseParser parser = new SseParser(this::onEvent);
    private volatile Cancellable upstream;
    private volatile boolean ended;
    private volatile boolean stopUpstream;
    private int status;
    private ByteArrayOutputStream errorBody;
    private String id = "";
    private String model = "";
    private final long created = System.currentTimeMillis() / 1000;
    /** Anthropic's content block index → OpenAI tool-call index. */
    private final Map<Integer, Integer> toolCalls = new HashMap<>();
    private ObjectNode usage;

    AnthropicStream(StreamSink sink, ObjectMapper mapper, AnthropicErrors errors, ChatCompletion completions) {
        this.sink = sink;
        this.mapper = mapper;
        this.errors = errors;
        this.completions = completions;
    }

    void attach(Cancellable exchange) {
        upstream = exchange;
        if (stopUpstream) {
            exchange.cancel();
        }
    }

    void cancel() {
        ended = true;
        stopUpstreamExchange();
    }

    @Override
    public void onHead(int status, Map<String, String> headers) {
        this.status = status;
        if (status / 100 != 2) {
            errorBody = new ByteArrayOutputStream();
        }
    }

    @Override
    public void onData(ByteBuffer data) {
        if (ended) {
            return;
        }
        if (errorBody == null) {
            parser.feed(data);
        } else {
            byte[] bytes = new byte[Math.min(MAX_ERROR_BODY - errorBody.size(), data.remaining())];
            data.get(bytes);
            errorBody.write(bytes, 0, bytes.length);
        }
    }

    @Override
    public void onComplete() {
        if (ended) {
            return;
        }
        fail(errorBody != null ? errors.forStatus(status, errorBody.toByteArray()) : errors.cut());
    }

    @Override
    public void onError(Throwable error) {
        if (!ended) {
            fail(ProviderException.fromTransport(error));
        }
    }

    private void onEvent(byte[] data) {
        if (ended) {
            return;
        }
        JsonNode event;
        try {
            event = mapper.readTree(data);
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return;
        }
        if (event == null || !event.isObject()) {
            failAndStop(errors.malformed(null));
            return;
        }
        switch (event.path("type").asText()) {
            case "message_start" -> {
                JsonNode message = event.path("message");
                id = message.path("id").asText("");
                model = message.path("model").asText("");
                usage = message.path("usage").isObject() ? (ObjectNode) message.path("usage").deepCopy() : null;
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
                    text(block.path("text").asText());
                }
            }
            case "content_block_delta" -> delta(event.path("index").asInt(), event.path("delta"));
            case "message_delta" -> {
                if (event.path("usage").isObject()) {
                    if (usage == null) {
                        usage = mapper.createObjectNode();
                    }
                    usage.setAll((ObjectNode) event.path("usage")); // cumulative: replaces, never adds
                }
                String finish = ChatCompletion.finishReason(event.path("delta").path("stop_reason").asText(null));
                if (finish != null) {
                    send(mapper.createObjectNode(), finish, "");
                }
            }
            case "message_stop" -> complete();
            case "error" -> failAndStop(errors.forStreamError(event.path("error")));
            default -> { } // ping, content_block_stop, and event types added later
        }
    }

    private void delta(int blockIndex, JsonNode delta) {
        switch (delta.path("type").asText()) {
            case "text_delta" -> text(delta.path("text").asText());
            case "thinking_delta" -> {
                String thinking = delta.path("thinking").asText();
                ObjectNode node = mapper.createObjectNode();
                node.put("reasoning_content", thinking);
                send(node, null, thinking);
            }
            case "input_json_delta" -> {
                Integer index = toolCalls.get(blockIndex);
                if (index == null) {
                    failAndStop(errors.malformed(null));
                    return;
                }
                ObjectNode call = mapper.createObjectNode();
                call.put("index", index);
                call.putObject("function").put("arguments", delta.path("partial_json").asText());
                ObjectNode node = mapper.createObjectNode();
                node.putArray("tool_calls").add(call);
                send(node, null, delta.path("partial_json").asText());
            }
            default -> { } // signatures, citations: nothing an OpenAI client reads
        }
    }

    private void text(String text) {
        ObjectNode node = mapper.createObjectNode();
        node.put("content", text);
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
            sink.onChunk(new StreamChunk(mapper.writeValueAsBytes(chunk), text));
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
        }
    }

    /** Ends with OpenAI's closing usage chunk ({@code "choices": []}), as with {@code include_usage}. */
    private void complete() {
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
        if (ended) {
            return;
        }
        ended = true;
        deliverUsage();
        sink.onComplete();
    }

    /** Ends with an error; usage already reported still counts, so it is passed on first. */
    private void fail(ProviderException error) {
        ended = true;
        deliverUsage();
        sink.onError(error);
    }

    private void deliverUsage() {
        if (usage != null) {
            Usage reported = ChatCompletion.usage(usage);
            sink.onUsage(reported);
        }
    }

    private void failAndStop(ProviderException error) {
        if (!ended) {
            fail(error);
        }
        stopUpstreamExchange();
    }

    private void stopUpstreamExchange() {
        stopUpstream = true;
        Cancellable exchange = upstream;
        if (exchange != null) {
            exchange.cancel();
        }
    }
}
