# syntax=docker/dockerfile:1
# Herald's container image: Java 25, a non-root user, nothing written outside /tmp (so it runs with a
# read-only root filesystem), the JVM options we recommend for many connections.
#
#   docker build -t herald:0.1.0 .              (or: podman build / buildah bud, same arguments)
#
# The first stage builds the jar with the Maven wrapper; the second holds only a JRE and the jar's
# layers (dependencies first: they change least, so a rebuild pushes only the small application layer).
# Machines without registry access can skip the Maven stage and use a jar built beside it:
#   ./mvnw package -DskipTests && java -Djarmode=tools -jar target/herald.jar extract --layers \
#       --destination target/layers
#   docker build --build-arg LAYERS_FROM=prebuilt -t herald:0.1.0 .
# (k8s/image/build-local.sh does that with buildah and a JRE base made here, and runs a smoke test.)
ARG BUILD_IMAGE=eclipse-temurin:25-jdk
ARG RUNTIME_IMAGE=eclipse-temurin:25-jre
ARG LAYERS_FROM=build

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q dependency:go-offline
COPY src src
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -ntp -q package -DskipTests -Djacoco.skip=true \
 && java -Djarmode=tools -jar target/herald.jar extract --layers --destination /layers

FROM scratch AS prebuilt
COPY target/layers/ /layers/

FROM ${LAYERS_FROM} AS layers

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=layers /layers/dependencies/ ./
COPY --from=layers /layers/spring-boot-loader/ ./
COPY --from=layers /layers/snapshot-dependencies/ ./
COPY --from=layers /layers/application/ ./
# Heap as a share of the container's memory limit (the rest: Netty's direct buffers, threads, the JVM);
# compact object headers hold ~10 % less heap per connection on Java 25; a node out of memory exits and
# is restarted rather than limping. The Kubernetes Deployment sets the same (README "Operations").
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=60 -XX:InitialRAMPercentage=60 -XX:+UseG1GC -XX:+UseCompactObjectHeaders -XX:+ExitOnOutOfMemoryError"
# The JVM's AOT cache (Java 25): a training run starts the application up to the end of the context's
# refresh (no port is opened, no Redis is asked) and the JVM writes the classes it loaded and linked to
# /app/herald.aot; every start after that maps them instead of reading and verifying them again, which
# halves the time to readiness (README "The image"). The cache belongs to this JVM, these options and
# this class path; with any other the JVM logs that it cannot use it and starts without it. The secret
# here only lets the training run pass the start-up checks; the image holds no secret.
RUN ["java", "-XX:AOTCacheOutput=/app/herald.aot", "-Dspring.context.exit=onRefresh", \
     "-Dherald.auth.hmac-secret=aot-training-run-only-not-used-by-any-node", "-jar", "/app/herald.jar"]
ENV JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS} -XX:AOTCache=/app/herald.aot"
# A fixed numeric user: Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["java", "-jar", "/app/herald.jar"]
