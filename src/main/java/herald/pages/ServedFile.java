package herald.pages;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * A file of the node's own ({@code /herald.js}, {@code /console}), read once at start-up and served
 * with a strong ETag of its content. Browsers revalidate on every load ({@code no-cache}) and get
 * 304 while the file is the same, so a new version reaches every page at its next load and an
 * unchanged one costs no bytes.
 */
final class ServedFile {

  static final MediaType JAVASCRIPT = MediaType.parseMediaType("text/javascript;charset=UTF-8");
  static final MediaType HTML = MediaType.parseMediaType("text/html;charset=UTF-8");

  private final byte[] content;
  private final MediaType type;
  private final String etag;

  private ServedFile(byte[] content, MediaType type) {
    this.content = content;
    this.type = type;
    this.etag = "\"" + sha256(content).substring(0, 32) + "\"";
  }

  static ServedFile load(Resource resource, MediaType type) {
    try (InputStream in = resource.getInputStream()) {
      return new ServedFile(in.readAllBytes(), type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  String etag() {
    return etag;
  }

  Mono<ServerResponse> serve(ServerRequest request) {
    if (request.exchange().checkNotModified(etag)) {
      return ServerResponse.status(304).eTag(etag).cacheControl(CacheControl.noCache()).build();
    }
    return ServerResponse.ok()
        .contentType(type)
        .eTag(etag)
        .cacheControl(CacheControl.noCache())
        .bodyValue(content);
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
