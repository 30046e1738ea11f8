package dev.millrace.scorer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.scorer.BatchModel;
import dev.millrace.scorer.FeatureSchema;
import dev.millrace.scorer.ModelRefusedException;
import dev.millrace.scorer.ModelRefusedException.Reason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlModelLoaderTest {

  @TempDir Path dir;
  private ModelStore store;
  private ModelBundle bundle;
  private URI uri;
  private final FeatureSchema schema = new FeatureSchema(TestModels.FEATURES);

  @BeforeEach
  void storeABundle() throws Exception {
    store = new ModelStore(dir.toUri());
    bundle = TestModels.bundle("v1");
    uri = store.put(bundle);
  }

  private ModelAnnouncement announce() throws Exception {
    return TestModels.announcement("v1", uri, store.sha256(uri), schema.fingerprint());
  }

  @Test
  void loadsAVerifiedModelThatPredictsLikeTheBundle() throws Exception {
    float[][] rows = TestModels.rows(32, 3);
    float[] direct;
    try (TabularModel m = bundle.load()) {
      direct = m.predict(rows);
    }
    try (BatchModel model = new DjlModelLoader().load(announce(), schema)) {
      assertThat(model.version()).isEqualTo("v1");
      assertThat(model.featureSchema()).isEqualTo(schema);
      assertThat(model.predict(rows)).containsExactly(direct);
    }
    assertThat(System.getProperty(PyTorchThreads.INTRA_OP)).isEqualTo("1");
    assertThat(System.getProperty(PyTorchThreads.INTER_OP)).isEqualTo("1");
    assertThat(ai.djl.pytorch.jni.JniUtils.getNumThreads()).isEqualTo(1);
  }

  @Test
  void refusesATamperedFile() throws Exception {
    ModelAnnouncement announcement = announce();
    Path file = Path.of(uri);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(file, bytes);
    assertThatThrownBy(() -> new DjlModelLoader().load(announcement, schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.CHECKSUM_MISMATCH))
        .hasMessageContaining("SHA-256");
  }

  @Test
  void refusesAWrongAnnouncedChecksum() throws Exception {
    ModelAnnouncement a = TestModels.announcement("v1", uri, "0".repeat(64), schema.fingerprint());
    assertThatThrownBy(() -> new DjlModelLoader().load(a, schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.CHECKSUM_MISMATCH));
  }

  @Test
  void refusesAWrongFingerprintInTheAnnouncementOrTheJob() throws Exception {
    FeatureSchema other = new FeatureSchema(List.of("amount", "something_else"));
    ModelAnnouncement wrongAnnounced =
        TestModels.announcement("v1", uri, store.sha256(uri), other.fingerprint());
    assertThatThrownBy(() -> new DjlModelLoader().load(wrongAnnounced, schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.FEATURE_SCHEMA_MISMATCH));

    assertThatThrownBy(() -> new DjlModelLoader().load(announce(), other))
        .isInstanceOfSatisfying(
            ModelRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.FEATURE_SCHEMA_MISMATCH))
        .hasMessageContaining("something_else");
  }

  @Test
  void refusesAMissingFile() throws Exception {
    ModelAnnouncement announcement = announce();
    Files.delete(Path.of(uri));
    assertThatThrownBy(() -> new DjlModelLoader().load(announcement, schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.ARTIFACT_MISSING));
  }

  @Test
  void refusesAnArtifactLargerThanTheCapBeforeReadingIt() throws Exception {
    long size = Files.size(Path.of(uri));
    // the real bundle, one byte over a cap: refused; at the cap: loaded
    assertThatThrownBy(() -> new DjlModelLoader(size - 1).load(announce(), schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
        .hasMessageContaining(size + " bytes")
        .hasMessageContaining("cap of " + (size - 1));
    try (var model = new DjlModelLoader(size).load(announce(), schema)) {
      assertThat(model.version()).isEqualTo("v1");
    }

    // A sparse file of 600 MiB with the default cap (512 MiB): refused by its size, before the
    // checksum (which would refuse it too, as CHECKSUM_MISMATCH, after reading it whole).
    Path huge = dir.resolve("huge.zip");
    try (var f = new java.io.RandomAccessFile(huge.toFile(), "rw")) {
      f.setLength(600L * 1024 * 1024);
    }
    ModelAnnouncement hugeOne =
        TestModels.announcement("v1", huge.toUri(), "0".repeat(64), schema.fingerprint());
    assertThatThrownBy(() -> new DjlModelLoader().load(hugeOne, schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE))
        .hasMessageContaining(String.valueOf(600L * 1024 * 1024));
  }

  @Test
  void refusesAFileThatIsNotABundleAndAVersionMismatch() throws Exception {
    Path junk = dir.resolve("junk.zip");
    Files.writeString(junk, "definitely not a zip");
    ModelAnnouncement a =
        TestModels.announcement(
            "v1", junk.toUri(), ModelBundle.sha256(Files.readAllBytes(junk)), schema.fingerprint());
    assertThatThrownBy(() -> new DjlModelLoader().load(a, schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREADABLE));

    ModelAnnouncement otherVersion =
        TestModels.announcement("v2", uri, store.sha256(uri), schema.fingerprint());
    assertThatThrownBy(() -> new DjlModelLoader().load(otherVersion, schema))
        .isInstanceOfSatisfying(
            ModelRefusedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNREADABLE))
        .hasMessageContaining("v2");
  }

  @Test
  void aBatchOf64PredictsLike64SingleRows() throws Exception {
    float[][] rows = TestModels.rows(64, 9);
    try (BatchModel model = new DjlModelLoader().load(announce(), schema)) {
      float[] batch = model.predict(rows);
      assertThat(batch).hasSize(64);
      for (int i = 0; i < rows.length; i++) {
        float[] single = model.predict(new float[][] {rows[i]});
        assertThat(single).hasSize(1);
        assertThat(single[0]).isCloseTo(batch[i], within(1e-6f));
      }
      // not all the same: the rows matter
      assertThat(batch[0]).isNotEqualTo(batch[1]);
    }
  }

  @Test
  void twoThousandBatchesLeaveNoArraysBehind() throws Exception {
    float[][] rows = TestModels.rows(128, 5);
    try (TabularModel model = new DjlModelLoader().loadModel(announce(), schema)) {
      model.predict(rows);
      int before = model.managedArrayCount();
      float[] first = model.predict(rows);
      for (int i = 0; i < 2_000; i++) {
        model.predict(rows);
      }
      assertThat(model.managedArrayCount()).isEqualTo(before);
      assertThat(model.predict(rows)).containsExactly(first);
    }
  }

  @Test
  void loaderIsSerializable() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(new DjlModelLoader());
    }
    Object copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = in.readObject();
    }
    try (BatchModel model = ((DjlModelLoader) copy).load(announce(), schema)) {
      assertThat(model.predict(TestModels.rows(2, 1))).hasSize(2);
    }
  }

  @Test
  void closedModelRefusesToPredict() throws Exception {
    BatchModel model = new DjlModelLoader().load(announce(), schema);
    model.close();
    model.close(); // idempotent
    assertThatThrownBy(() -> model.predict(TestModels.rows(1, 1)))
        .isInstanceOf(IllegalStateException.class);
  }
}
