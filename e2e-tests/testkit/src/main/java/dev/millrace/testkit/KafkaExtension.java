package dev.millrace.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that gives a test a real Kafka broker:
 * {@code @ExtendWith(KafkaExtension.class)} and a {@link TestKafka} parameter on a test method, a
 * lifecycle method or the constructor.
 *
 * <p>One broker serves the whole test JVM (Testcontainers when Docker is present, else the embedded
 * KRaft broker); each test method gets its own topic namespace, so tests never see each other's
 * records. A {@code TestKafka} injected into {@code @BeforeAll} or the constructor is shared by the
 * class.
 */
public final class KafkaExtension implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestKafka.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context)
      throws ParameterResolutionException {
    String hint = context.getTestMethod().map(m -> m.getName()).orElse(context.getDisplayName());
    ExtensionContext.Store store =
        context.getStore(ExtensionContext.Namespace.create(KafkaExtension.class));
    return store.getOrComputeIfAbsent(
        context.getUniqueId(),
        id -> TestKafka.fresh(SharedKafka.bootstrapServers(), hint),
        TestKafka.class);
  }
}
