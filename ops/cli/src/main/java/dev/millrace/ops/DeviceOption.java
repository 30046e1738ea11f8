package dev.millrace.ops;

import dev.millrace.scorer.DeviceChoice;
import dev.millrace.scorer.model.PyTorchThreads;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --device auto|cpu|gpu} ({@code MILLRACE_DEVICE}): where models are trained or scored.
 * {@code gpu} is checked when the command starts: without a GPU visible to PyTorch the command
 * stops with one line and exit code 2, instead of falling back to the CPU.
 */
public final class DeviceOption {

  /** Exit code of a {@code --device} that this machine cannot give. */
  public static final int EXIT_DEVICE_UNAVAILABLE = 2;

  @Option(
      names = "--device",
      defaultValue = "${env:MILLRACE_DEVICE:-auto}",
      paramLabel = "auto|cpu|gpu",
      converter = Converter.class,
      description =
          "Where models run: auto (a GPU when PyTorch sees one, else the CPU), cpu, or gpu"
              + " (an error when there is none; the CUDA natives come with mvn -Pcuda)"
              + " (default ${DEFAULT-VALUE}; MILLRACE_DEVICE).")
  DeviceChoice device = DeviceChoice.AUTO;

  /** The choice, after checking that {@code gpu} has a GPU. */
  DeviceChoice checked() {
    if (device == DeviceChoice.GPU) {
      try {
        PyTorchThreads.device(device);
      } catch (DeviceChoice.DeviceUnavailableException e) {
        throw new UserError(e.getMessage(), EXIT_DEVICE_UNAVAILABLE);
      }
    }
    return device;
  }

  static final class Converter implements CommandLine.ITypeConverter<DeviceChoice> {
    @Override
    public DeviceChoice convert(String value) {
      try {
        return DeviceChoice.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
