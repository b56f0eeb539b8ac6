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
final class MultipartFiles {

    /** One file part, readable once, before the next is requested. */
    record FilePart(String fieldName, String fileName, InputStream stream) {
    }

    private final FileItemInputIterator items;

    MultipartFiles(InputStream body, String contentType) throws IOException {
        try {
            this.items = new Parser().getItemIterator(new Context(body, contentType));
        } catch (FileUploadException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    static boolean isMultipart(String contentType) {
        return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data");
    }

    /** The next file part (form fields are skipped), or null at the end. */
    FilePart nextFile() throws IOException {
        while (items.hasNext()) {
            FileItemInput item = items.next();
            if (!item.isFormField()) {
                return new FilePart(item.getFieldName(), item.getName(), item.getInputStream());
            }
        }
        return null;
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
