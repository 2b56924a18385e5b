package herald.api;

import herald.config.LimitProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** The backend API's shared pieces. */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

  @Bean
  ApiRequests apiRequests(JsonMapper json, LimitProperties limits) {
    return new ApiRequests(json, limits.maxMessageSize().toBytes());
  }
}
