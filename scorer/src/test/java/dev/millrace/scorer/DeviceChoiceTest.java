package dev.millrace.scorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.millrace.scorer.model.DjlModelLoader;
import dev.millrace.scorer.model.PyTorchThreads;
import org.junit.jupiter.api.Test;

/**
 * {@code --device auto|cpu|gpu}. On this machine (no GPU, CPU natives) {@code auto} picks the CPU
 * and {@code gpu} fails with one line; a machine with a GPU would pick {@code gpu(0)} (the choice
 * itself is checked here with the GPU count given).
 */
class DeviceChoiceTest {

  @Test
  void parsesTheFlagInAnyCase() {
    assertThat(DeviceChoice.parse("auto")).isEqualTo(DeviceChoice.AUTO);
    assertThat(DeviceChoice.parse("CPU")).isEqualTo(DeviceChoice.CPU);
    assertThat(DeviceChoice.parse(" Gpu ")).isEqualTo(DeviceChoice.GPU);
    assertThat(DeviceChoice.GPU.flag()).isEqualTo("gpu");
    assertThatThrownBy(() -> DeviceChoice.parse("tpu"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown device 'tpu': expected auto, cpu or gpu");
  }

  @Test
  void autoTakesAGpuWhenThereIsOneAndGpuNeverFallsBack() {
    assertThat(DeviceChoice.AUTO.resolve(0, "2.7.1")).isEqualTo(Device.cpu());
    assertThat(DeviceChoice.AUTO.resolve(2, "2.7.1")).isEqualTo(Device.gpu());
    assertThat(DeviceChoice.CPU.resolve(2, "2.7.1")).isEqualTo(Device.cpu());
    assertThat(DeviceChoice.GPU.resolve(1, "2.7.1")).isEqualTo(Device.gpu());
    assertThatThrownBy(() -> DeviceChoice.GPU.resolve(0, "2.7.1"))
        .isInstanceOf(DeviceChoice.DeviceUnavailableException.class)
        .hasMessageStartingWith("--device gpu: no GPU visible to PyTorch (natives: ");
  }

  @Test
  void onThisMachineAutoIsTheCpuAndGpuIsAClearError() {
    Engine engine = PyTorchThreads.configure();
    assertThat(engine.getGpuCount()).as("this test expects a machine without a GPU").isZero();
    assertThat(PyTorchThreads.device(DeviceChoice.AUTO)).isEqualTo(Device.cpu());
    assertThat(PyTorchThreads.device(DeviceChoice.CPU)).isEqualTo(Device.cpu());
    assertThat(DeviceChoice.nativesFlavor()).isEqualTo("cpu");
    assertThatThrownBy(() -> PyTorchThreads.device(DeviceChoice.GPU))
        .isInstanceOf(DeviceChoice.DeviceUnavailableException.class)
        .hasMessage(
            "--device gpu: no GPU visible to PyTorch (natives: cpu build "
                + engine.getVersion()
                + "); use --device auto or cpu");
    // the job's model loader: checked when the scoring operator opens
    new DjlModelLoader(DeviceChoice.AUTO).checkReady();
    assertThatThrownBy(() -> new DjlModelLoader(DeviceChoice.GPU).checkReady())
        .isInstanceOf(DeviceChoice.DeviceUnavailableException.class)
        .hasMessageContaining("no GPU visible to PyTorch");
  }
}
