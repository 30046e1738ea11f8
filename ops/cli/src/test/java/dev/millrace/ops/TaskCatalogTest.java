package dev.millrace.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.pipeline.task.TaskDefinition;
import dev.millrace.schemas.Task;
import dev.millrace.schemas.TopicRegistry;
import dev.millrace.trainer.TaskModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every task has one consistent catalog entry, and the shared commands read their answers there.
 */
class TaskCatalogTest {

  private static final String STORE_CSV =
      "Store,StoreType,Assortment,CompetitionDistance,CompetitionOpenSinceMonth,"
          + "CompetitionOpenSinceYear,Promo2,Promo2SinceWeek,Promo2SinceYear,PromoInterval\n"
          + "1,c,a,1270,9,2008,0,,,\n"
          + "2,a,a,570,11,2007,1,13,2010,\"Jan,Apr,Jul,Oct\"\n";

  @TempDir Path dir;

  @Test
  void everyTaskHasAnEntryWhoseDefinitionAndModelFitItsSchema() throws Exception {
    Path stores = Files.writeString(dir.resolve("store.csv"), STORE_CSV);
    PipelineCommand pipeline = new PipelineCommand();
    new CommandLine(pipeline).parseArgs("--task", "demand", "--stores", stores.toString());
    TopicRegistry topics = TopicRegistry.namespaced("");
    for (Task t : Task.values()) {
      TaskCatalog.TaskSpec spec = TaskCatalog.of(t);
      assertThat(spec.task()).isEqualTo(t);
      assertThat(TaskCatalog.of(spec.name())).isSameAs(spec);
      TaskModel model = spec.model().apply(pipeline.taskOptions.stores);
      assertThat(spec.featureSchema().names()).containsAll(model.vocabularies().keySet());
      if (spec.ownJob()) {
        assertThat(spec.definition()).isNull();
        assertThat(spec.replay()).isNull();
        assertThatThrownBy(() -> pipeline.taskOptions.definition(t, topics))
            .isInstanceOf(UserError.class)
            .hasMessageContaining("runs its own job");
      } else {
        TaskDefinition<?> definition = pipeline.taskOptions.definition(t, topics);
        assertThat(definition.task()).isEqualTo(t);
        // the trainer's schema is the one the job's vectors and examples follow
        assertThat(definition.featureSchema()).isEqualTo(spec.featureSchema());
        assertThat(spec.replay()).isNotNull();
        assertThat(spec.replay().type()).isEqualTo(definition.eventType());
      }
    }
    assertThat(TaskCatalog.all())
        .extracting(TaskCatalog.TaskSpec::task)
        .containsExactly(Task.values());
  }

  @Test
  void whatOnlyATaskWithItsOwnJobCanDoIsACapabilityOfItsEntry() {
    StringWriter err = new StringWriter();
    CommandLine cli = Millrace.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    assertThat(cli.execute("pipeline", "--task", "churn", "--submit", "http://localhost:1"))
        .isEqualTo(1);
    assertThat(err.toString())
        .contains("--submit and savepoints run only a task with its own job (fraud)");
    err.getBuffer().setLength(0);
    assertThat(cli.execute("generate", "demand")).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("millrace: generate for task 'demand' is not available: only fraud\n");
  }
}
