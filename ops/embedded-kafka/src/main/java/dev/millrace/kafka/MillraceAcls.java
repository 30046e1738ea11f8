package dev.millrace.kafka;

import dev.millrace.schemas.Task;
import dev.millrace.schemas.Topic;
import dev.millrace.schemas.TopicRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least privileges of Millrace's four principals, as Kafka ACLs for a broker that denies
 * whatever no ACL allows ({@code allow.everyone.if.no.acl.found=false}). Topic names come from the
 * {@link TopicRegistry} (so a namespace applies); every binding is a literal topic or a prefixed
 * group / transactional id.
 *
 * <table>
 *   <caption>Who may do what</caption>
 *   <tr><th>principal</th><th>reads</th><th>writes</th><th>also</th></tr>
 *   <tr><td>{@code User:job} (the Flink job)</td><td>{@code T.events}, {@code T.labels}, {@code
 *       millrace.models}, and what it writes (its exactly-once sink calls DescribeProducers on its
 *       output partitions, which needs READ)</td><td>{@code T.scores}, {@code T.training}, {@code T.quality}, {@code
 *       T.dlq}, {@code millrace.control}</td><td>its consumer groups and transactional ids (by
 *       prefix)</td></tr>
 *   <tr><td>{@code User:trainer}</td><td>{@code T.training}, {@code millrace.control}, {@code
 *       millrace.models}</td><td>{@code millrace.models} (the only writer), {@code T.dlq}</td>
 *       <td>creates {@code millrace.models} and {@code millrace.control}; its consumer groups</td>
 *   </tr>
 *   <tr><td>{@code User:validator} (Kafka Streams)</td><td>{@code T.raw}</td><td>{@code
 *       T.events}, {@code T.dlq}</td><td>its application id as group and transactional-id
 *       prefix</td></tr>
 *   <tr><td>{@code User:cli} (replay, generate, dashboards)</td><td>every topic of the task,
 *       {@code millrace.models}, {@code millrace.control}</td><td>{@code T.raw}, {@code
 *       T.events}, {@code T.labels}</td><td></td></tr>
 * </table>
 *
 * <p>Reading or writing a topic implies describing it. The idempotent producers need no cluster
 * ACL: a WRITE on a topic implies IDEMPOTENT_WRITE (KIP-679).
 */
public final class MillraceAcls {

  /** The Flink job's principal name. */
  public static final String JOB = "job";

  /** The trainer's principal name. */
  public static final String TRAINER = "trainer";

  /** The command line's principal name (publishers, dashboards). */
  public static final String CLI = "cli";

  /** The Kafka Streams validator's principal name ({@code fraud.raw} to {@code fraud.events}). */
  public static final String VALIDATOR = "validator";

  /** All four. */
  public static final List<String> USERS = List.of(JOB, TRAINER, CLI, VALIDATOR);

  /**
   * The id prefixes the principals use.
   *
   * @param jobGroups prefix of the job's consumer group ids ({@code FraudPipelineSettings
   *     .consumerGroupId()})
   * @param jobTransactionalIds prefix of the job's transactional ids ({@code
   *     FraudPipelineSettings.transactionalIdPrefix()})
   * @param trainerGroups prefix of the trainer's consumer groups ({@code millrace-trainer-})
   * @param validatorApplicationId the validator's Kafka Streams application id (its consumer group
   *     and the prefix of its transactional ids)
   */
  public record Prefixes(
      String jobGroups,
      String jobTransactionalIds,
      String trainerGroups,
      String validatorApplicationId) {
    public Prefixes {
      Objects.requireNonNull(jobGroups, "jobGroups");
      Objects.requireNonNull(jobTransactionalIds, "jobTransactionalIds");
      Objects.requireNonNull(trainerGroups, "trainerGroups");
      Objects.requireNonNull(validatorApplicationId, "validatorApplicationId");
    }
  }

  private MillraceAcls() {}

  /** The ACL bindings for these tasks' topics. */
  public static List<AclBinding> bindings(
      TopicRegistry topics, Collection<Task> tasks, Prefixes prefixes) {
    List<AclBinding> acls = new ArrayList<>();
    for (Task task : tasks) {
      allow(acls, JOB, AclOperation.READ, topics.events(task), topics.labels(task));
      for (AclOperation op : List.of(AclOperation.WRITE, AclOperation.READ)) {
        // READ too: Flink's exactly-once sink asks DescribeProducers of its output partitions at
        // start (to abort lingering transactions), which needs READ on the topic.
        allow(
            acls,
            JOB,
            op,
            topics.scores(task),
            topics.training(task),
            topics.quality(task),
            topics.dlq(task));
      }

      allow(acls, TRAINER, AclOperation.READ, topics.training(task));
      allow(acls, TRAINER, AclOperation.WRITE, topics.dlq(task));

      allow(acls, CLI, AclOperation.READ, topics.forTask(task).toArray(Topic<?, ?>[]::new));
      allow(
          acls,
          CLI,
          AclOperation.WRITE,
          topics.raw(task),
          topics.events(task),
          topics.labels(task));

      allow(acls, VALIDATOR, AclOperation.READ, topics.raw(task));
      allow(acls, VALIDATOR, AclOperation.WRITE, topics.events(task), topics.dlq(task));
    }
    allow(acls, JOB, AclOperation.READ, topics.models());
    allow(acls, JOB, AclOperation.WRITE, topics.control());
    allow(acls, JOB, AclOperation.READ, topics.control());
    prefixed(acls, JOB, ResourceType.GROUP, prefixes.jobGroups(), AclOperation.READ);
    prefixed(
        acls,
        JOB,
        ResourceType.TRANSACTIONAL_ID,
        prefixes.jobTransactionalIds(),
        AclOperation.WRITE);

    allow(acls, TRAINER, AclOperation.READ, topics.models(), topics.control());
    allow(acls, TRAINER, AclOperation.WRITE, topics.models());
    allow(acls, TRAINER, AclOperation.CREATE, topics.models(), topics.control());
    prefixed(acls, TRAINER, ResourceType.GROUP, prefixes.trainerGroups(), AclOperation.READ);

    allow(acls, CLI, AclOperation.READ, topics.models(), topics.control());

    prefixed(
        acls, VALIDATOR, ResourceType.GROUP, prefixes.validatorApplicationId(), AclOperation.READ);
    prefixed(
        acls,
        VALIDATOR,
        ResourceType.TRANSACTIONAL_ID,
        prefixes.validatorApplicationId(),
        AclOperation.WRITE);
    return acls;
  }

  /**
   * Creates the bindings on the cluster (creating an existing binding is a no-op) and waits until
   * the broker answers with all of them: the controller commits them first and the broker's
   * authorizer applies them a moment later, and a client let in before that would be refused.
   */
  public static void apply(Admin admin, Collection<AclBinding> acls) {
    try {
      admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!admin
          .describeAcls(AclBindingFilter.ANY)
          .values()
          .get(30, TimeUnit.SECONDS)
          .containsAll(acls)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the broker did not show the new ACLs within 30 s");
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating ACLs", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create ACLs: " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("creating ACLs took more than 30 s", e);
    }
  }

  private static void allow(
      List<AclBinding> acls, String user, AclOperation operation, Topic<?, ?>... topics) {
    for (Topic<?, ?> topic : topics) {
      acls.add(
          new AclBinding(
              new ResourcePattern(ResourceType.TOPIC, topic.name(), PatternType.LITERAL),
              entry(user, operation)));
    }
  }

  private static void prefixed(
      List<AclBinding> acls,
      String user,
      ResourceType type,
      String prefix,
      AclOperation operation) {
    acls.add(
        new AclBinding(
            new ResourcePattern(type, prefix, PatternType.PREFIXED), entry(user, operation)));
  }

  private static AccessControlEntry entry(String user, AclOperation operation) {
    return new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW);
  }
}
