package herald.pages;

import herald.engine.Engine;
import herald.security.TokenVerifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * Routes {@code /herald.js} and {@code /console}, and runs the demo ticker in development mode; the
 * pages themselves are static resources.
 */
@Configuration(proxyBeanMethods = false)
class PagesConfiguration {

  @Bean
  RouterFunction<ServerResponse> clientScriptRoute() {
    ServedFile script =
        ServedFile.load(new ClassPathResource("static/herald.js"), ServedFile.JAVASCRIPT);
    ServedFile console =
        ServedFile.load(new ClassPathResource("static/console.html"), ServedFile.HTML);
    return RouterFunctions.route()
        .GET("/herald.js", script::serve)
        .HEAD("/herald.js", script::serve)
        .GET("/console", console::serve)
        .build();
  }

  @Bean
  DemoTicker demoTicker(Engine engine, TokenVerifier tokens, JsonMapper json) {
    return new DemoTicker(engine, tokens, json);
  }
}
