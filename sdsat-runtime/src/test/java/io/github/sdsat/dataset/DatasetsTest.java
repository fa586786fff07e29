package io.github.sdsat.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.sdsat.SdsatException;
import io.github.sdsat.results.Shard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir
    Path folder;

    @Test
    void humanEvalHasAll164ProblemsInPublishedOrder() {
        List<HumanEval.Problem> problems = HumanEval.problems();
        assertThat(problems).hasSize(164);
        for (int i = 0; i < problems.size(); i++) {
            HumanEval.Problem problem = problems.get(i);
            assertThat(problem.taskId()).isEqualTo("HumanEval/" + i);
            assertThat(problem.prompt()).isNotBlank();
            assertThat(problem.canonicalSolution()).isNotBlank();
            assertThat(problem.test()).contains("def check(candidate)");
            assertThat(problem.prompt()).contains("def " + problem.entryPoint());
        }
        List<Task> tasks = Datasets.load("humaneval");
        assertThat(tasks).hasSize(164);
        assertThat(tasks.get(0).kind()).isEqualTo(Task.Kind.COMPLETION);
        assertThat(tasks.get(0).dataset()).isEqualTo("humaneval");
        assertThat(tasks.get(0).prompt()).isEqualTo(problems.get(0).prompt());
    }

    @Test
    void infillingSplitReconstructsPromptPlusSolutionForEveryProblem() {
        List<Task> tasks = Datasets.load("infilling");
        assertThat(tasks).hasSize(164);
        for (int i = 0; i < tasks.size(); i++) {
            Task task = tasks.get(i);
            HumanEval.Problem problem = HumanEval.problems().get(i);
            assertThat(task.kind()).isEqualTo(Task.Kind.INFILL);
            assertThat(task.dataset()).isEqualTo("infilling");
            assertThat(task.id()).isEqualTo(problem.taskId());
            assertThat(task.prefix() + task.middle() + task.suffix())
                    .as(task.id())
                    .isEqualTo(problem.prompt() + problem.canonicalSolution());
            assertThat(task.prefix()).startsWith(problem.prompt());
            // One whole line: no newline inside, and one at the end unless it is the solution's unterminated last line.
            String line = task.middle().endsWith("\n")
                    ? task.middle().substring(0, task.middle().length() - 1)
                    : task.middle();
            assertThat(line).doesNotContain("\n").isNotBlank();
            assertThat(line.strip()).doesNotStartWith("#");
            assertThat(task.middle().endsWith("\n") || task.suffix().isEmpty())
                    .as(task.id())
                    .isTrue();
            assertThat(task.prefix()).endsWith("\n");
        }
    }

    @Test
    void infillingSplitIsDeterministicAndPicksTheMiddleCodeLine() {
        assertThat(HumanEval.infillingTasks()).isEqualTo(HumanEval.infillingTasks());
        HumanEval.Problem problem = new HumanEval.Problem(
                "X/1", "def f(x):\n", "    # comment\n    a = 1\n\n    b = 2\n    c = 3\n    return a", "", "f");
        Task task = HumanEval.infillSplit(problem);
        // Code lines: a, b, c, return -> index 4 / 2 = 2 -> "c = 3".
        assertThat(task.middle()).isEqualTo("    c = 3\n");
        assertThat(task.prefix()).isEqualTo("def f(x):\n    # comment\n    a = 1\n\n    b = 2\n");
        assertThat(task.suffix()).isEqualTo("    return a");

        HumanEval.Problem onlyComments = new HumanEval.Problem("X/2", "p\n", "  # nothing\n\n", "", "f");
        assertThatThrownBy(() -> HumanEval.infillSplit(onlyComments))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining("X/2");
    }

    @Test
    void takeHalfOfHumanEvalGives82AndValidatesTheFraction() {
        List<Task> tasks = Datasets.humanEval();
        assertThat(Datasets.take(tasks, 0.5)).hasSize(82).isEqualTo(tasks.subList(0, 82));
        assertThat(Datasets.take(tasks, 1.0)).hasSize(164);
        assertThat(Datasets.take(tasks, 0.0001)).hasSize(1);
        for (double bad : new double[] {0.0, -0.5, 1.01, Double.NaN}) {
            assertThatThrownBy(() -> Datasets.take(tasks, bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("(0, 1]");
        }
    }

    @Test
    void shardsPartitionTheTasksExactly() {
        List<Task> tasks = Datasets.take(Datasets.humanEval(), 0.5);
        for (int count = 1; count <= 7; count++) {
            List<Task> joined = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            for (int index = 0; index < count; index++) {
                List<Task> shard = Datasets.shard(tasks, index + "/" + count);
                assertThat(shard.size()).isBetween(tasks.size() / count, tasks.size() / count + 1);
                for (int j = 0; j < shard.size(); j++) {
                    assertThat(shard.get(j)).isSameAs(tasks.get(index + j * count));
                    assertThat(ids.add(shard.get(j).id())).isTrue();
                }
                joined.addAll(shard);
            }
            assertThat(joined).hasSize(tasks.size()).containsExactlyInAnyOrderElementsOf(tasks);
        }
    }

    @Test
    void shardTextIsValidated() {
        assertThat(Shard.parse(" 2/4 ")).isEqualTo(new Shard(2, 4));
        assertThat(Shard.parse("0/1").toString()).isEqualTo("0/1");
        for (String bad : new String[] {"4/4", "-1/4", "1/0", "1", "a/b", "1/2/3", "/2", ""}) {
            assertThatThrownBy(() -> Shard.parse(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Shard");
        }
        assertThatThrownBy(() -> Datasets.shard(List.of(), 3, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0-based");
    }

    @Test
    void customJsonlReadsCompletionAndInfillLines() throws IOException {
        Path file = folder.resolve("mine.jsonl");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "{\"id\": \"a\", \"prompt\": \"def a():\\n\"}",
                        "",
                        "{\"id\": \"b\", \"prefix\": \"x = \", \"suffix\": \"\\nprint(x)\\n\", \"middle\": \"1\"}",
                        "{\"id\": \"c\", \"prefix\": \"y = \", \"suffix\": \"\"}"),
                StandardCharsets.UTF_8);
        List<Task> tasks = Datasets.load(file.toString());
        assertThat(tasks)
                .containsExactly(
                        Task.completion("a", "mine", "def a():\n"),
                        Task.infill("b", "mine", "x = ", "\nprint(x)\n", "1"),
                        Task.infill("c", "mine", "y = ", "", null));
    }

    @Test
    void customJsonlErrorsNameTheFileAndLine() throws IOException {
        Path missing = folder.resolve("absent.jsonl");
        assertThatThrownBy(() -> Datasets.fromJsonl(missing))
                .isInstanceOf(SdsatException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("exist");

        String good = "{\"id\": \"a\", \"prompt\": \"p\"}\n";
        String[][] cases = {
            {"{not json", "not valid JSON"},
            {"[1, 2]", "not a JSON object"},
            {"{\"id\": \"b\"}", "either \"prompt\""},
            {"{\"prompt\": \"p\"}", "no \"id\""},
            {"{\"id\": \"a\", \"prompt\": \"q\"}", "more than once"},
            {"{\"id\": \"b\", \"promt\": \"q\"}", "unknown field 'promt'"},
            {"{\"id\": \"b\", \"prompt\": 3}", "must be a string"},
            {"{\"id\": \"b\", \"prompt\": \"p\", \"prefix\": \"q\"}", "mixes"},
            {"{\"id\": \"b\", \"prefix\": \"\", \"suffix\": \"\"}", "empty prefix and an empty suffix"},
        };
        for (String[] badCase : cases) {
            Path file = folder.resolve("bad.jsonl");
            Files.writeString(file, good + "\n" + badCase[0] + "\n", StandardCharsets.UTF_8);
            assertThatThrownBy(() -> Datasets.fromJsonl(file))
                    .as(badCase[0])
                    .isInstanceOf(SdsatException.class)
                    .hasMessageContaining(file.toAbsolutePath().toString())
                    .hasMessageContaining("line 3")
                    .hasMessageContaining(badCase[1]);
        }
    }
}
