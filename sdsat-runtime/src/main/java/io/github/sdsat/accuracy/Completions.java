package io.github.sdsat.accuracy;

import io.github.sdsat.dataset.HumanEval;
import java.util.List;

/**
 * From a model's raw completion to the program that is run: the completion is cut at the first line that starts a
 * new top-level statement the function body cannot contain (the stop sequences of the Codex paper, Chen et al. 2021,
 * as HumanEval harnesses use them), then placed between the prompt and the problem's tests.
 */
public final class Completions {
    /**
     * Line starts, at column 0, that end the function body: a new {@code def}, {@code class}, {@code if __name__},
     * {@code print(} or a comment.
     */
    public static final List<String> STOP_LINE_STARTS = List.of("def ", "class ", "if __name__", "print(", "#");

    private Completions() {}

    /**
     * The completion up to (not including) the first line that starts with one of {@link #STOP_LINE_STARTS}. The
     * completion's first character is a line start too: HumanEval prompts end with a newline.
     */
    public static String truncate(String completion) {
        int lineStart = 0;
        while (lineStart < completion.length()) {
            for (String stop : STOP_LINE_STARTS) {
                if (completion.startsWith(stop, lineStart)) {
                    return completion.substring(0, lineStart);
                }
            }
            int newline = completion.indexOf('\n', lineStart);
            if (newline < 0) {
                break;
            }
            lineStart = newline + 1;
        }
        return completion;
    }

    /**
     * The program that checks a completion: prompt, truncated completion, the problem's {@code test} (which defines
     * {@code check}) and {@code check(entry_point)}.
     */
    public static String program(HumanEval.Problem problem, String completion) {
        return problem.prompt() + truncate(completion) + "\n\n" + problem.test() + "\n\ncheck(" + problem.entryPoint()
                + ")\n";
    }
}
