package dev.millrace.scorer;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Properties;

/**
 * Where DJL runs a model, as {@code --device} asks: {@link #AUTO} a GPU when PyTorch sees one, else
 * the CPU; {@link #CPU} always the CPU; {@link #GPU} the first GPU, and an error when there is none
 * (never a silent fall-back to the CPU).
 */
public enum DeviceChoice {
  AUTO,
  CPU,
  GPU;

  /** The environment variable the commands read the default from. */
  public static final String ENV = "MILLRACE_DEVICE";

  /** {@code auto}, {@code cpu} or {@code gpu}, in any case. */
  public static DeviceChoice parse(String text) {
    if (text != null) {
      for (DeviceChoice c : values()) {
        if (c.name().equalsIgnoreCase(text.trim())) {
          return c;
        }
      }
    }
    throw new IllegalArgumentException("unknown device '" + text + "': expected auto, cpu or gpu");
  }

  /** The lower-case name, as the flag takes it. */
  public String flag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The device of this choice on {@code engine}.
   *
   * @throws DeviceUnavailableException for {@link #GPU} when the engine sees no GPU
   */
  public Device resolve(Engine engine) {
    return resolve(engine.getGpuCount(), engine.getVersion());
  }

  /** As {@link #resolve(Engine)}, for an engine that sees {@code gpus} GPUs. */
  Device resolve(int gpus, String engineVersion) {
    return switch (this) {
      case CPU -> Device.cpu();
      case AUTO -> gpus > 0 ? Device.gpu() : Device.cpu();
      case GPU -> {
        if (gpus > 0) {
          yield Device.gpu();
        }
        throw new DeviceUnavailableException(noGpu(engineVersion));
      }
    };
  }

  /** The one-line error of {@code --device gpu} without a GPU. */
  static String noGpu(String engineVersion) {
    return "--device gpu: no GPU visible to PyTorch (natives: "
        + nativesFlavor()
        + " build "
        + engineVersion
        + "); use --device auto or cpu";
  }

  /**
   * The flavor of the PyTorch natives on the classpath ({@code cpu}, {@code cu124}, ...), from the
   * {@code native/lib/pytorch.properties} of DJL's native jar; {@code unknown} without one.
   */
  public static String nativesFlavor() {
    try (InputStream in =
        DeviceChoice.class.getClassLoader().getResourceAsStream("native/lib/pytorch.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("flavor", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** {@code --device gpu} without a GPU, or natives that cannot use one. */
  public static final class DeviceUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public DeviceUnavailableException(String message) {
      super(message);
    }
  }
}
