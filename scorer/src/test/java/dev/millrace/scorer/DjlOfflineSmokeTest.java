package dev.millrace.scorer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import org.junit.jupiter.api.Test;

/** DJL's PyTorch engine loads from the Maven Central natives, offline, and computes. */
class DjlOfflineSmokeTest {

  @Test
  void pytorchEngineLoadsOfflineAndRunsAForwardPass() {
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");

    Engine engine = Engine.getEngine("PyTorch");
    assertThat(engine.getVersion()).isEqualTo("2.7.1");

    try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
      Block net = new SequentialBlock().add(Linear.builder().setUnits(1).build());
      net.setInitializer(new ConstantInitializer(0.5f), ai.djl.nn.Parameter.Type.WEIGHT);
      net.setInitializer(new ConstantInitializer(1f), ai.djl.nn.Parameter.Type.BIAS);
      net.initialize(manager, DataType.FLOAT32, new Shape(1, 3));

      NDArray input = manager.create(new float[] {1f, 2f, 3f}, new Shape(1, 3));
      NDList output = net.forward(new ParameterStore(manager, false), new NDList(input), false);

      // 0.5 * (1 + 2 + 3) + 1 = 4
      assertThat(output.singletonOrThrow().toFloatArray()).containsExactly(4f);
    }
  }
}
