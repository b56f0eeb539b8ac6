package app.apimodels.core.media;

import org.apache.commons.fileupload2.core.AbstractFileUpload;
import org.apache.commons.fileupload2.core.DiskFileItem;
import org.apache.commons.fileupload2.core.DiskFileItemFactory;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.RequestContext;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Streams the parts of a {@code multipart/form-data} body (Commons FileUpload's streaming API):
 * nothing is buffered to memory or disk beyond the part being read.
 */
public final class MultipartFiles {

    /** One file part, readable once, before the next is requested. */
    record FilePart(String fieldName, String fileName, InputStream stream) {
    }

    /**
     * One part, file or form field, readable once before the next is requested.
     *
     * @param fileName the file name a file part was sent with; null for a form field
     */
    public record Part(String fieldName, String fileName, boolean isFile, InputStream stream) {
    }

    private final FileItemInputIterator items;

    public MultipartFiles(InputStream body, String contentType) throws IOException {
        try {
            this.items = new Parser().getItemIterator(new Context(body, contentType));
        } catch (FileUploadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public static boolean isMultipart(String contentType) {
        return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data");
    }

    /** The next file part (form fields are skipped), or null at the end. */
    FilePart nextFile() throws IOException {
        for (Part part = nextPart(); part != null; part = nextPart()) {
            if (part.isFile()) {
                return new FilePart(part.fieldName(), part.fileName(), part.stream());
            }
        }
        return null;
    }

    /** The next part, file or form field, or null at the end. */
    public Part nextPart() throws IOException {
        try {
            if (!items.hasNext()) {
                return null;
            }
            FileItemInput item = items.next();
            return new Part(item.getFieldName(), item.isFormField() ? null : item.getName(), !item.isFormField(),
                    item.getInputStream());
        } catch (FileUploadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private record Context(InputStream body, String contentType) implements RequestContext {
        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public long getContentLength() {
            return -1;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public InputStream getInputStream() {
            return body;
        }

        @Override
        public boolean isMultipartRelated() {
            return false;
        }
    }

    /** FileUpload's parser over a neutral request context (its own subclasses are per web framework). */
    private static final class Parser extends AbstractFileUpload<RequestContext, DiskFileItem, DiskFileItemFactory> {
        @Override
        public FileItemInputIterator getItemIterator(RequestContext request) throws FileUploadException, IOException {
            return super.getItemIterator(request);
        }

        @Override
        public Map<String, List<DiskFileItem>> parseParameterMap(RequestContext request) throws FileUploadException {
            return super.parseParameterMap(request);
        }

        @Override
        public List<DiskFileItem> parseRequest(RequestContext request) throws FileUploadException {
            return super.parseRequest(request);
        }
    }
}
