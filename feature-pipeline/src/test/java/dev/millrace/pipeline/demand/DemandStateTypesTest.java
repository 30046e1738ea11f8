package dev.millrace.pipeline.demand;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The demand state classes can become Flink keyed state as POJOs, without Kryo. */
class DemandStateTypesTest {

  @ParameterizedTest
  @ValueSource(classes = {StoreSalesHistory.class, HourlyCountHistory.class})
  void stateClassesArePojos(Class<?> type) {
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(type);
    assertThat(TypeInformation.of(type)).isInstanceOf(PojoTypeInfo.class);
  }
}
