package dev.millrace.scorer.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;

/**
 * A tabular net ready to score: the one prediction path for both the scorer and the trainer. {@link
 * #predict} normalises in Java ({@link FeatureNormaliser}), runs one forward pass for the whole
 * batch inside its own sub-NDManager (so every intermediate array is freed when the call returns)
 * and applies sigmoid for classification (probabilities) or, for regression, maps the output back
 * to the target's original scale ({@link ModelManifest.Target#fromOutput}, e.g. expm1 for a log1p
 * target). A manifest without an objective or target is today's binary classifier. Not thread-safe:
 * one instance per thread or operator subtask. {@link #close()} frees the parameters' native
 * memory.
 */
public final class TabularModel implements BatchModel {

  private final ModelManifest manifest;
  private final FeatureSchema schema;
  private final FeatureNormaliser normaliser;
  private final Block block;
  private final NDManager manager;
  private final boolean classification;
  private final ModelManifest.Target target;
  private boolean closed;

  /**
   * @param manifest the model's manifest
   * @param block an initialised block built by {@link TabularNet#build} for this manifest
   * @param manager the manager that holds the block's parameters; closed by {@link #close()}
   */
  public TabularModel(ModelManifest manifest, Block block, NDManager manager) {
    this.manifest = manifest;
    this.schema = manifest.featureSchema();
    this.normaliser = new FeatureNormaliser(manifest);
    this.block = block;
    this.manager = manager;
    this.classification = !manifest.isRegression();
    this.target = manifest.targetOrIdentity();
  }

  /**
   * Builds the net of {@code manifest} and loads {@code parameters} (DJL's parameter format) onto
   * the engine's default device (a GPU when DJL finds one, else the CPU).
   */
  public static TabularModel fromParameters(ModelManifest manifest, byte[] parameters)
      throws IOException {
    return fromParameters(manifest, parameters, Engine.getEngine("PyTorch").defaultDevice());
  }

  /** As {@link #fromParameters(ModelManifest, byte[])}, on {@code device}. */
  public static TabularModel fromParameters(
      ModelManifest manifest, byte[] parameters, ai.djl.Device device) throws IOException {
    NDManager manager = NDManager.newBaseManager(device, "PyTorch");
    try {
      Block block = TabularNet.build(manifest);
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(parameters))) {
        block.loadParameters(manager, in);
      } catch (ai.djl.MalformedModelException | RuntimeException e) {
        throw new IOException("model parameters do not fit the manifest: " + e.getMessage(), e);
      }
      TabularModel model = new TabularModel(manifest, block, manager);
      try {
        // a dry run: parameters whose shapes do not fit the manifest's features fail here, not on
        // the first live batch
        float[] probe = model.predict(new float[][] {new float[manifest.featureNames().size()]});
        if (probe.length != 1) {
          throw new IOException("the net gives " + probe.length + " outputs for one row");
        }
      } catch (RuntimeException e) {
        throw new IOException("model parameters do not fit the manifest: " + e.getMessage(), e);
      }
      return model;
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  public ModelManifest manifest() {
    return manifest;
  }

  /** The device the parameters live on, e.g. {@code cpu()} or {@code gpu(0)}. */
  public String device() {
    return manager.getDevice().toString();
  }

  @Override
  public String version() {
    return manifest.version();
  }

  @Override
  public FeatureSchema featureSchema() {
    return schema;
  }

  @Override
  public float[] predict(float[][] rows) {
    if (closed) {
      throw new IllegalStateException("model " + manifest.version() + " is closed");
    }
    if (rows.length == 0) {
      return new float[0];
    }
    float[] input = normaliser.normalise(rows);
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager call = manager.newSubManager()) {
      NDArray x = call.create(input, new Shape(rows.length, normaliser.width()));
      NDArray out =
          block.forward(new ParameterStore(call, false), new NDList(x), false).singletonOrThrow();
      if (classification) {
        return Activation.sigmoid(out).reshape(rows.length).toFloatArray();
      }
      float[] z = out.reshape(rows.length).toFloatArray();
      for (int i = 0; i < z.length; i++) {
        z[i] = target.fromOutput(z[i]);
      }
      return z;
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /**
   * The number of arrays attached to this model's manager (parameters and leftovers), for tests.
   */
  public int managedArrayCount() {
    return manager.getManagedArrays().size();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      manager.close();
    }
  }
}
