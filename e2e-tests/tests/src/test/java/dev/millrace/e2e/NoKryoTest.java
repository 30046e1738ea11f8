package dev.millrace.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.schemas.RecordTypes;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Every Millrace record type is serialised by Flink's Avro serializer, never by Kryo. */
class NoKryoTest {

  static final List<Class<? extends SpecificRecord>> TYPES = RecordTypes.ALL;

  @ParameterizedTest
  @FieldSource("TYPES")
  void recordTypeUsesAvroSerializerWithGenericTypesDisabled(Class<? extends SpecificRecord> type) {
    TypeInformation<? extends SpecificRecord> info = TypeInformation.of(type);
    assertThat(info).isInstanceOf(AvroTypeInfo.class);

    SerializerConfigImpl config = new SerializerConfigImpl();
    config.setGenericTypes(false); // Kryo fallback would throw here
    TypeSerializer<? extends SpecificRecord> serializer = info.createSerializer(config);

    assertThat(serializer).isInstanceOf(AvroSerializer.class).isNotInstanceOf(KryoSerializer.class);
    assertThat(new ExecutionConfig().isObjectReuseEnabled()).isFalse();
  }
}
