package herald.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;

/**
 * A Herald node on a random port with the test secret and API key. Test classes that use it as is
 * share one application context.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.namespaces.chat.client-publish=true",
      "herald.namespaces.chat.join-leave=true",
      "herald.namespaces.public.anonymous=true",
      "herald.namespaces.short.history-size=3"
    })
@AutoConfigureWebTestClient
public @interface HeraldIntegrationTest {}
