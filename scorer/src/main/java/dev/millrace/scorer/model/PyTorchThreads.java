package dev.millrace.scorer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.millrace.scorer.DeviceChoice;

/**
 * PyTorch thread settings for scoring: one intra-op and one inter-op thread, unless the system
 * properties {@code ai.djl.pytorch.num_threads} / {@code ai.djl.pytorch.num_interop_threads} were
 * set before the engine started (DJL's PtEngine reads them once, at start).
 */
public final class PyTorchThreads {

  public static final String INTRA_OP = "ai.djl.pytorch.num_threads";
  public static final String INTER_OP = "ai.djl.pytorch.num_interop_threads";

  private static volatile boolean configured;

  private PyTorchThreads() {}

  /** Sets the properties (if unset) and starts the PyTorch engine; idempotent. */
  public static synchronized Engine configure() {
    if (!configured) {
      if (System.getProperty(INTRA_OP) == null) {
        System.setProperty(INTRA_OP, "1");
      }
      if (System.getProperty(INTER_OP) == null) {
        System.setProperty(INTER_OP, "1");
      }
      Engine engine = Engine.getEngine("PyTorch");
      int intra = Integer.parseInt(System.getProperty(INTRA_OP));
      if (JniUtils.getNumThreads() != intra) {
        JniUtils.setNumThreads(intra);
      }
      configured = true;
      return engine;
    }
    return Engine.getEngine("PyTorch");
  }

  /**
   * Starts the engine ({@link #configure()}) and resolves {@code choice} on it.
   *
   * @throws DeviceChoice.DeviceUnavailableException for {@code gpu} when PyTorch sees no GPU or its
   *     natives cannot be loaded
   */
  public static Device device(DeviceChoice choice) {
    Engine engine;
    try {
      engine = configure();
    } catch (RuntimeException | LinkageError e) {
      if (choice == DeviceChoice.GPU) {
        throw new DeviceChoice.DeviceUnavailableException(
            "--device gpu: the PyTorch natives cannot be loaded ("
                + e.getMessage()
                + "); use --device auto or cpu");
      }
      throw e;
    }
    return choice.resolve(engine);
  }
}
