package app.apimodels.core.relay;

import app.apimodels.core.audio.AudioDuration;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.media.MultipartFiles;
import app.apimodels.spi.provider.TaskInput;
import app.apimodels.spi.web.Exchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code POST /v1/audio/transcriptions} body, read part by part from the request's stream: the
 * form fields (small, kept) and the audio, copied to a temporary file no larger than the audio
 * upload limit — never held in memory — and measured there. The file is deleted by {@link #close()}.
 */
final class TranscriptionForm implements AutoCloseable {

    static final Set<String> RESPONSE_FORMATS = Set.of("json", "text", "srt", "verbose_json", "vtt");
    private static final int MAX_FIELD_BYTES = 64 * 1024;
    private static final int MAX_FIELDS = 64;

    private final Map<String, Object> fields;
    private final Path file;
    private final AudioDuration.Audio audio;

    private TranscriptionForm(Map<String, Object> fields, Path file, AudioDuration.Audio audio) {
        this.fields = fields;
        this.file = file;
        this.audio = audio;
    }

    /** Whether a request's body is read as a stream (the audio may be far beyond the JSON body limit). */
    static boolean streamsBody(String method, String path, String contentType) {
        return "POST".equals(method) && "/v1/audio/transcriptions".equals(path) && MultipartFiles.isMultipart(contentType);
    }

    static TranscriptionForm read(Exchange exchange, long maxAudioBytes) {
        if (!MultipartFiles.isMultipart(exchange.header("Content-Type"))) {
            throw new Failure(Failure.Reason.UNSUPPORTED_MEDIA_TYPE,
                    "send the audio as multipart/form-data with the fields file and model", "file");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        Path file = null;
        try {
            MultipartFiles parts = new MultipartFiles(exchange.bodyStream(), exchange.header("Content-Type"));
            int count = 0;
            for (MultipartFiles.Part part = parts.nextPart(); part != null; part = parts.nextPart()) {
                if (++count > MAX_FIELDS) {
                    throw Failure.invalid(part.fieldName(), "too many form fields (at most " + MAX_FIELDS + ")");
                }
                if (part.isFile() && "file".equals(part.fieldName())) {
                    if (file != null) {
                        throw Failure.invalid("file", "send one file");
                    }
                    file = Files.createTempFile("apimodels-audio-", ".upload");
                    copy(part.stream(), file, maxAudioBytes);
                } else {
                    field(fields, part);
                }
            }
        } catch (IOException e) {
            delete(file);
            throw Failure.invalid("file", "the multipart body could not be read (malformed or cut short)");
        } catch (RuntimeException e) {
            delete(file);
            throw e;
        }
        if (file == null) {
            throw Failure.invalid("file", "file is required: the audio to transcribe, as a file part named file");
        }
        try {
            check(fields);
            Path measured = file;
            AudioDuration.Audio audio = AudioDuration.of(file).orElseThrow(() -> Failure.invalid("file",
                    "the file's duration could not be measured: send WAV, MP3, M4A/MP4, Ogg (Vorbis, Opus), FLAC or WebM audio"));
            return new TranscriptionForm(java.util.Collections.unmodifiableMap(fields), measured, audio);
        } catch (RuntimeException e) {
            delete(file);
            throw e;
        }
    }

    private static void field(Map<String, Object> fields, MultipartFiles.Part part) throws IOException {
        String name = part.fieldName();
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0) {
            throw Failure.invalid("file", "a form field without a usable name");
        }
        if (part.isFile()) {
            throw Failure.invalid(name, name + " must be a text field (only file carries a file)");
        }
        byte[] bytes = part.stream().readNBytes(MAX_FIELD_BYTES + 1);
        if (bytes.length > MAX_FIELD_BYTES) {
            throw Failure.invalid(name, name + " is longer than " + MAX_FIELD_BYTES + " bytes");
        }
        String value = new String(bytes, StandardCharsets.UTF_8);
        if (value.indexOf('\0') >= 0) {
            throw Failure.invalid(name, name + " contains a NUL character");
        }
        // A repeated field (timestamp_granularities[], include[]) keeps each value.
        fields.merge(name, value, (old, added) -> {
            List<Object> all = old instanceof List<?> l ? new ArrayList<>(l) : new ArrayList<>(List.of(old));
            all.add(added);
            return List.copyOf(all); // read-only, as a provider request's payload is
        });
    }

    private static void check(Map<String, Object> fields) {
        if (!(fields.get("model") instanceof String model) || model.isBlank()) {
            throw Failure.invalid("model", "model is required (one text field)");
        }
        for (String single : List.of("language", "prompt", "response_format", "temperature", "stream")) {
            if (fields.get(single) instanceof List) {
                throw Failure.invalid(single, single + " may be given once");
            }
        }
        Object format = fields.get("response_format");
        if (format != null && !RESPONSE_FORMATS.contains(format)) {
            throw Failure.invalid("response_format", "response_format must be one of json, text, srt, verbose_json, vtt");
        }
        if (fields.get("temperature") instanceof String t) {
            double value;
            try {
                value = Double.parseDouble(t.strip());
            } catch (NumberFormatException e) {
                throw Failure.invalid("temperature", "temperature must be a number between 0 and 1");
            }
            if (!(value >= 0 && value <= 1)) {
                throw Failure.invalid("temperature", "temperature must be a number between 0 and 1");
            }
        }
        if (fields.get("stream") instanceof String s && !s.strip().equalsIgnoreCase("false")) {
            throw Failure.invalid("stream", "streamed transcriptions are not offered here; leave stream out");
        }
        fields.remove("stream");
    }

    private static void copy(InputStream in, Path file, long max) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                total += n;
                if (total > max) {
                    throw new Failure(Failure.Reason.TOO_LARGE, "file is larger than " + max + " bytes", "file");
                }
                out.write(buffer, 0, n);
            }
        }
    }

    String model() {
        return (String) fields.get("model");
    }

    /** The form fields to pass on (the model is replaced by the route's). */
    Map<String, Object> fields() {
        return fields;
    }

    double seconds() {
        return audio.seconds();
    }

    /** The audio for the provider, typed by what was measured (the client's file name and type are not used). */
    TaskInput input() {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new TaskInput("file", null, audio.contentType(), size, () -> Files.newInputStream(file));
    }

    @Override
    public void close() {
        delete(file);
    }

    private static void delete(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                file.toFile().deleteOnExit();
            }
        }
    }
}
