package herald.proxy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A backend for the proxy tests: a real HTTP server (Reactor Netty) on 127.0.0.1 and a free port,
 * in the test JVM. What it answers depends only on the request, so tests sharing it do not
 * interfere:
 *
 * <ul>
 *   <li>{@code POST /publish}: by {@code data.action}: {@code "rewrite"} answers {@code
 *       {"result":{"data":{"text":"rewritten: <data.text>"}}}}, {@code "reject"} answers {@code
 *       {"error":{"code":403,"message":"not in this room"}}}, anything else {@code {"result":{}}}.
 *   <li>{@code /slow} answers after {@link #SLOW}; {@code /fail} answers HTTP 500; {@code
 *       /malformed} answers {@code {"result":42}}; {@code /huge} answers a valid answer larger than
 *       the tests' size limit; {@code /broken} answers 500 and counts its calls.
 *   <li>{@code POST /rpc}: by {@code method}: {@code "echo"} answers {@code
 *       {"result":{"echo":<data>}}}, {@code "refuse"} {@code {"error":{"code":422,...}}}, {@code
 *       "sleep"} answers after {@link #SLOW}, {@code "hold:<key>"} answers once the test calls
 *       {@link #release(String)}.
 * </ul>
 *
 * Every request is recorded (path, {@code X-Herald-*} headers, body) for the tests to look at. The
 * server never blocks a thread: delays and holds are {@code Mono}s.
 */
final class BackendStub implements AutoCloseable {

  /** Longer than the tests' {@code herald.proxy.timeout}. */
  static final Duration SLOW = Duration.ofSeconds(5);

  /** One request as the stub received it. */
  record Received(
      String path,
      @Nullable String user,
      @Nullable String client,
      @Nullable String authorization,
      JsonNode body) {}

  private final JsonMapper json = JsonMapper.shared();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, Sinks.Empty<Void>> holds = new ConcurrentHashMap<>();
  private final AtomicInteger brokenCalls = new AtomicInteger();
  private final DisposableServer server;

  BackendStub() {
    this.server =
        HttpServer.create()
            .host("127.0.0.1")
            .port(0)
            .route(routes -> routes.post("/{path}", this::handle))
            .bindNow();
  }

  /** {@code http://127.0.0.1:<port>}. */
  String url() {
    return "http://127.0.0.1:" + server.port();
  }

  List<Received> received() {
    return received;
  }

  /** The requests received with {@code field} equal to {@code value} in their body. */
  List<Received> receivedWith(String field, String value) {
    return received.stream().filter(r -> value.equals(r.body().path(field).asString(""))).toList();
  }

  int brokenCalls() {
    return brokenCalls.get();
  }

  /** Lets the {@code rpc} call of method {@code hold:<key>} answer. */
  void release(String key) {
    hold(key).tryEmitEmpty();
  }

  private Sinks.Empty<Void> hold(String key) {
    return holds.computeIfAbsent(key, k -> Sinks.empty());
  }

  private Mono<Void> handle(HttpServerRequest request, HttpServerResponse response) {
    String path = request.param("path");
    return request
        .receive()
        .aggregate()
        .asByteArray()
        .flatMap(
            bytes -> {
              JsonNode body = json.readTree(bytes);
              received.add(
                  new Received(
                      path,
                      request.requestHeaders().get(BackendCalls.USER_HEADER),
                      request.requestHeaders().get(BackendCalls.CLIENT_HEADER),
                      request.requestHeaders().get("Authorization"),
                      body));
              return answer(path, body, response);
            });
  }

  private Mono<Void> answer(String path, JsonNode body, HttpServerResponse response) {
    return switch (path) {
      case "publish" -> send(response, publishAnswer(body.path("data")));
      case "slow" -> Mono.delay(SLOW).then(send(response, "{\"result\":{}}"));
      case "fail" -> response.status(500).sendString(Mono.just("oops")).then();
      case "malformed" -> send(response, "{\"result\":42}");
      case "huge" -> send(response, "{\"result\":{\"data\":\"" + "x".repeat(4096) + "\"}}");
      case "broken" -> {
        brokenCalls.incrementAndGet();
        yield response.status(500).send().then();
      }
      case "rpc" -> rpcAnswer(body, response);
      default -> response.status(404).send().then();
    };
  }

  private String publishAnswer(JsonNode data) {
    String action = data.path("action").asString("");
    if (action.equals("rewrite")) {
      ObjectNode answer = json.createObjectNode();
      answer
          .putObject("result")
          .putObject("data")
          .put("text", "rewritten: " + data.path("text").asString(""));
      return answer.toString();
    }
    if (action.equals("reject")) {
      return "{\"error\":{\"code\":403,\"message\":\"not in this room\"}}";
    }
    return "{\"result\":{}}";
  }

  private Mono<Void> rpcAnswer(JsonNode body, HttpServerResponse response) {
    String method = body.path("method").asString("");
    if (method.equals("echo")) {
      ObjectNode answer = json.createObjectNode();
      answer.putObject("result").set("echo", body.path("data"));
      return send(response, answer.toString());
    }
    if (method.equals("refuse")) {
      return send(response, "{\"error\":{\"code\":422,\"message\":\"amount must be positive\"}}");
    }
    if (method.equals("sleep")) {
      return Mono.delay(SLOW).then(send(response, "{\"result\":{}}"));
    }
    if (method.startsWith("hold:")) {
      String key = method.substring("hold:".length());
      return hold(key).asMono().then(send(response, "{\"result\":{\"released\":\"" + key + "\"}}"));
    }
    return response.status(400).send().then();
  }

  private static Mono<Void> send(HttpServerResponse response, String body) {
    return response.header("Content-Type", "application/json").sendString(Mono.just(body)).then();
  }

  @Override
  public void close() {
    server.disposeNow();
  }
}
