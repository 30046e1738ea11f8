package dev.millrace.pipeline.churn;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The churn operators' state types are Flink POJOs: checkpoints never fall back to Kryo. */
class ChurnStateTypesTest {

  @ParameterizedTest
  @ValueSource(classes = {CustomerActivity.class, PendingPoint.class})
  void stateIsAPojo(Class<?> type) {
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(type);
    assertThat(TypeInformation.of(type)).isInstanceOf(PojoTypeInfo.class);
  }
}
