package dev.millrace.scorer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tabular deep net of a manifest's architecture. Input: one array {@code [batch, features]} as
 * made by {@link FeatureNormaliser} (standardised numeric values, categorical features as
 * vocabulary indices). Categorical features go through entity embeddings (a bias-free linear layer
 * on the one-hot index, vocabulary size + 1 for out-of-vocabulary), concatenated with the numeric
 * features; then [Linear, BatchNorm, ReLU, Dropout] per hidden layer; then Linear(1), the logit (or
 * the regression output).
 */
public final class TabularNet {

  private TabularNet() {}

  /** A fresh, uninitialised block for the manifest's features and architecture. */
  public static Block build(ModelManifest manifest) {
    ModelManifest.Architecture arch = manifest.architecture();
    SequentialBlock net = new SequentialBlock();
    Block embedded = inputBlock(manifest.featureNames(), manifest.categoricalVocabularies(), arch);
    if (embedded != null) {
      net.add(embedded);
    }
    for (int units : arch.hiddenSizes()) {
      net.add(Linear.builder().setUnits(units).build());
      if (arch.batchNorm()) {
        net.add(BatchNorm.builder().build());
      }
      net.add(Activation::relu);
      if (arch.dropout() > 0) {
        net.add(Dropout.builder().optRate((float) arch.dropout()).build());
      }
    }
    net.add(Linear.builder().setUnits(1).build());
    return net;
  }

  /** Embeddings for categorical columns, or null when all features are numeric. */
  private static Block inputBlock(
      List<String> names, Map<String, List<String>> vocabularies, ModelManifest.Architecture arch) {
    if (vocabularies.isEmpty()) {
      return null;
    }
    List<Integer> numeric = new ArrayList<>();
    List<Block> branches = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      List<String> vocab = vocabularies.get(name);
      if (vocab == null) {
        numeric.add(i);
        continue;
      }
      int column = i;
      int depth = vocab.size() + 1;
      int dim = arch.embeddingDims().getOrDefault(name, defaultEmbeddingDim(depth));
      branches.add(
          new SequentialBlock()
              .add(
                  new LambdaBlock(
                      in -> {
                        NDArray x = in.singletonOrThrow();
                        NDArray idx =
                            x.get(":, " + column).toType(DataType.INT64, false).clip(0, depth - 1);
                        return new NDList(idx.oneHot(depth, DataType.FLOAT32));
                      },
                      "select-" + name))
              .add(Linear.builder().setUnits(dim).optBias(false).build()));
    }
    if (!numeric.isEmpty()) {
      int[] cols = numeric.stream().mapToInt(Integer::intValue).toArray();
      branches.add(
          0,
          new LambdaBlock(in -> new NDList(selectColumns(in.singletonOrThrow(), cols)), "numeric"));
    }
    return new ParallelBlock(
        outs -> {
          NDList parts = new NDList();
          for (NDList o : outs) {
            parts.add(o.singletonOrThrow());
          }
          return new NDList(NDArrays.concat(parts, 1));
        },
        branches);
  }

  /** The default embedding width: min(16, ceil(1.6 * depth^0.56)) (fast.ai's rule of thumb). */
  public static int defaultEmbeddingDim(int depth) {
    return (int) Math.min(16, Math.ceil(1.6 * Math.pow(depth, 0.56)));
  }

  private static NDArray selectColumns(NDArray x, int[] cols) {
    NDList runs = new NDList();
    int start = 0;
    while (start < cols.length) {
      int end = start;
      while (end + 1 < cols.length && cols[end + 1] == cols[end] + 1) {
        end++;
      }
      runs.add(x.get(":, " + cols[start] + ":" + (cols[end] + 1)));
      start = end + 1;
    }
    return runs.size() == 1 ? runs.singletonOrThrow() : NDArrays.concat(runs, 1);
  }
}
