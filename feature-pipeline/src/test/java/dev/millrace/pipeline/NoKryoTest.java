package dev.millrace.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.pipeline.churn.CustomerActivity;
import dev.millrace.pipeline.churn.PendingPoint;
import dev.millrace.pipeline.demand.HourlyCountHistory;
import dev.millrace.pipeline.demand.StoreSalesHistory;
import dev.millrace.pipeline.fraud.CustomerHistory;
import dev.millrace.pipeline.fraud.FraudPipeline;
import dev.millrace.pipeline.fraud.FraudPipelineSettings;
import dev.millrace.pipeline.fraud.PendingExample;
import dev.millrace.pipeline.fraud.TerminalHistory;
import dev.millrace.pipeline.monitoring.DriftCounts;
import dev.millrace.pipeline.monitoring.DriftSample;
import dev.millrace.pipeline.monitoring.QualityPoint;
import dev.millrace.pipeline.monitoring.QualityProgress;
import dev.millrace.pipeline.monitoring.QualityWindow;
import dev.millrace.schemas.DeadLetter;
import dev.millrace.schemas.RecordTypes;
import dev.millrace.schemas.fraud.FraudTransaction;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.java.typeutils.runtime.EitherSerializer;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
import org.apache.flink.formats.avro.typeutils.AvroSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every type that flows through a task's job or lives in its state avoids Kryo. */
class NoKryoTest {

  static final List<Class<? extends SpecificRecord>> AVRO = RecordTypes.ALL;

  @ParameterizedTest
  @FieldSource("AVRO")
  void avroRecordsUseTheAvroSerializer(Class<? extends SpecificRecord> type) {
    TypeInformation<? extends SpecificRecord> info = TypeInformation.of(type);
    assertThat(info).isInstanceOf(AvroTypeInfo.class);
    SerializerConfigImpl config = new SerializerConfigImpl();
    config.setGenericTypes(false);
    assertThat(info.createSerializer(config))
        .isInstanceOf(AvroSerializer.class)
        .isNotInstanceOf(KryoSerializer.class);
  }

  @ParameterizedTest
  @ValueSource(
      classes = {
        RawRecord.class,
        CustomerHistory.class,
        TerminalHistory.class,
        PendingExample.class,
        QualityWindow.class,
        QualityPoint.class,
        QualityProgress.class,
        DriftSample.class,
        DriftCounts.class,
        CustomerActivity.class,
        PendingPoint.class,
        StoreSalesHistory.class,
        HourlyCountHistory.class
      })
  void envelopesAndStateArePojos(Class<?> type) {
    PojoTestUtils.assertSerializedAsPojoWithoutKryo(type);
    assertThat(TypeInformation.of(type)).isInstanceOf(PojoTypeInfo.class);
  }

  /** What the sources emit: {@code Either<record, DeadLetter>}, Avro on both sides. */
  @Test
  void parsedRecordsUseEitherOfAvroSerializers() {
    FraudPipelineSettings settings = FraudPipelineSettings.builder(null).build();
    for (TypeInformation<?> info :
        List.of(
            new ParsingDeserializer<>(FraudPipeline.eventParser(settings)).getProducedType(),
            new ParsingDeserializer<>(FraudPipeline.labelParser(settings)).getProducedType(),
            ParsedRecords.type(FraudTransaction.class))) {
      assertThat(info).isInstanceOf(EitherTypeInfo.class);
      EitherTypeInfo<?, ?> either = (EitherTypeInfo<?, ?>) info;
      assertThat(either.getLeftType()).isInstanceOf(AvroTypeInfo.class);
      assertThat(either.getRightType()).isInstanceOf(AvroTypeInfo.class);
      assertThat(either.getRightType().getTypeClass()).isEqualTo(DeadLetter.class);
      SerializerConfigImpl config = new SerializerConfigImpl();
      config.setGenericTypes(false);
      TypeSerializer<?> serializer = info.createSerializer(config);
      assertThat(serializer).isInstanceOf(EitherSerializer.class);
      EitherSerializer<?, ?> s = (EitherSerializer<?, ?>) serializer;
      assertThat(s.getLeftSerializer()).isInstanceOf(AvroSerializer.class);
      assertThat(s.getRightSerializer()).isInstanceOf(AvroSerializer.class);
    }
    assertThat(
            ((EitherTypeInfo<?, ?>)
                    new ParsingDeserializer<>(FraudPipeline.eventParser(settings))
                        .getProducedType())
                .getLeftType()
                .getTypeClass())
        .isEqualTo(FraudTransaction.class);
  }
}
