package io.github.sdsat.accuracy;

import io.github.sdsat.dataset.HumanEval;
import io.github.sdsat.tokenizer.SdsatTokenizer;
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
     * The text a generation added to its prompt. Prompt and output are decoded together, which keeps a word boundary
     * at the seam (SentencePiece drops a leading space of a sequence decoded alone); special tokens are left out.
     */
    public static String textAfterPrompt(SdsatTokenizer tokenizer, long[] prompt, long[] output) {
        long[] all = new long[prompt.length + output.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(output, 0, all, prompt.length, output.length);
        String promptText = tokenizer.decode(prompt, true);
        String fullText = tokenizer.decode(all, true);
        return fullText.startsWith(promptText)
                ? fullText.substring(promptText.length())
                : tokenizer.decode(output, true);
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
