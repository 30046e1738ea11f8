package dev.millrace.pipeline.monitoring;

import dev.millrace.schemas.ModelAnnouncement;
import dev.millrace.schemas.Task;
import dev.millrace.scorer.model.DriftReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The first half of the drift monitor, in every parallel instance of the job (not keyed): bins each
 * vector scored by the latest model against that model's reference and adds it to the counts of its
 * slide of event time. When the watermark passes the end of a slide, the slide's counts go out as
 * one {@link DriftCounts}, just before the watermark itself, so {@link DriftMonitor} (keyed by
 * task, one key) has every instance's counts of a slide when its timer for that slide fires. Only a
 * few records per slide and instance reach the single-key operator instead of every vector.
 *
 * <p>Inputs: {@link DriftSample}s (event time as the record timestamp) and model announcements
 * (broadcast; their watermark must not hold back event time, see {@link BroadcastWatermarks}).
 * Counts not yet emitted are kept in operator state at each checkpoint, and so is the earliest
 * event time scored (union state: after a rescale every instance knows the smallest), which each
 * {@link DriftCounts} carries as the stream's start.
 */
public final class DriftBinning extends AbstractStreamOperator<DriftCounts>
    implements TwoInputStreamOperator<DriftSample, ModelAnnouncement, DriftCounts> {

  private static final long serialVersionUID = 1L;

  private final Task task;
  private final List<String> featureNames;
  private final long slideMillis;

  private transient BroadcastState<String, String> references;
  private transient ListState<DriftCounts> pendingState;
  private transient ListState<Long> streamStartState;
  private transient Long streamStart;
  private transient String countedVersion;
  private transient TreeMap<Long, long[]> open;
  private transient Map<String, DriftReference> parsed;

  public DriftBinning(Task task, List<String> featureNames, MonitoringSettings settings) {
    this.task = task;
    this.featureNames = List.copyOf(featureNames);
    this.slideMillis = settings.driftSlide().toMillis();
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    references = context.getOperatorStateStore().getBroadcastState(DriftMonitor.REFERENCES);
    pendingState =
        context
            .getOperatorStateStore()
            .getListState(
                new ListStateDescriptor<>(
                    "drift-open-counts", TypeInformation.of(DriftCounts.class)));
    streamStartState =
        context
            .getOperatorStateStore()
            .getUnionListState(new ListStateDescriptor<>("drift-stream-start", Types.LONG));
    for (Long start : streamStartState.get()) {
      if (start != null && (streamStart == null || start < streamStart)) {
        streamStart = start;
      }
    }
    open = new TreeMap<>();
    parsed = new HashMap<>();
    for (DriftCounts c : pendingState.get()) {
      // after a rescale an instance may get the counts of several: add them up
      if (countedVersion != null && !countedVersion.equals(c.modelVersion)) {
        continue;
      }
      countedVersion = c.modelVersion;
      long[] counts = open.get(c.bucket);
      if (counts == null) {
        open.put(c.bucket, c.counts.clone());
      } else {
        for (int i = 0; i < counts.length && i < c.counts.length; i++) {
          counts[i] += c.counts[i];
        }
      }
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    List<DriftCounts> pending = new ArrayList<>(open.size());
    for (Map.Entry<Long, long[]> e : open.entrySet()) {
      pending.add(new DriftCounts(countedVersion, e.getKey(), e.getValue().clone()));
    }
    pendingState.update(pending);
    streamStartState.update(streamStart == null ? List.of() : List.of(streamStart));
  }

  @Override
  public void processElement1(StreamRecord<DriftSample> record) throws Exception {
    DriftSample sample = record.getValue();
    String version = sample.modelVersion;
    if (record.hasTimestamp() && (streamStart == null || record.getTimestamp() < streamStart)) {
      streamStart = record.getTimestamp();
    }
    if (!record.hasTimestamp()
        || version == null
        || !version.equals(references.get(DriftMonitor.LATEST))) {
      return;
    }
    DriftReference ref = reference(version);
    if (ref == null || sample.features == null || sample.features.length != featureNames.size()) {
      return;
    }
    if (!version.equals(countedVersion)) {
      open.clear(); // counts of an older model are not measured any more
      countedVersion = version;
    }
    long bucket = Math.floorDiv(record.getTimestamp(), slideMillis) * slideMillis;
    long[] counts = open.get(bucket);
    if (counts == null) {
      counts = new long[DriftMonitor.totalBins(ref, featureNames)];
      open.put(bucket, counts);
    }
    DriftMonitor.count(ref, featureNames, sample.features, sample.score, counts);
  }

  @Override
  public void processElement2(StreamRecord<ModelAnnouncement> record) throws Exception {
    DriftMonitor.applyAnnouncement(references, record.getValue(), task);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    // slides that end at or before the watermark are complete here: out before the watermark
    while (!open.isEmpty() && open.firstKey() + slideMillis <= mark.getTimestamp()) {
      Map.Entry<Long, long[]> first = open.pollFirstEntry();
      output.collect(
          new StreamRecord<>(
              new DriftCounts(countedVersion, first.getKey(), first.getValue(), streamStart),
              first.getKey()));
    }
    super.processWatermark(mark);
  }

  /** Slides counted and not yet emitted (for tests). */
  int openSlides() {
    return open.size();
  }

  private DriftReference reference(String version) throws Exception {
    String json = references.get(version);
    if (json == null) {
      return null;
    }
    DriftReference ref = parsed.get(version);
    if (ref == null) {
      ref = DriftMonitor.parseReference(json, featureNames);
      if (ref != null) {
        parsed.clear();
        parsed.put(version, ref);
      }
    }
    return ref;
  }
}
