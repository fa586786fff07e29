package io.github.sdsat.accuracy;

/**
 * The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on Code", §2.1): with
 * n samples of which c pass, the probability that at least one of k samples drawn without replacement passes,
 * {@code 1 - C(n-c, k) / C(n, k)}, computed as a product so that large n does not overflow.
 */
public final class PassAtK {
    private PassAtK() {}

    /**
     * pass@k of one problem.
     *
     * @param samples n, at least 1
     * @param passed c, in [0, n]
     * @param k in [1, n]
     * @throws IllegalArgumentException when the counts are inconsistent
     */
    public static double estimate(int samples, int passed, int k) {
        if (samples < 1 || passed < 0 || passed > samples || k < 1 || k > samples) {
            throw new IllegalArgumentException(
                    "pass@k needs 1 <= k <= n and 0 <= c <= n; got n = " + samples + ", c = " + passed + ", k = " + k);
        }
        if (samples - passed < k) {
            return 1.0; // every draw of k samples holds a passing one
        }
        // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
        double allFail = 1.0;
        for (int i = samples - passed + 1; i <= samples; i++) {
            allFail *= 1.0 - (double) k / i;
        }
        return 1.0 - allFail;
    }

    /** The mean of {@link #estimate} over problems, each with the same n. */
    public static double mean(int samples, int[] passedPerProblem, int k) {
        if (passedPerProblem.length == 0) {
            throw new IllegalArgumentException("pass@k over no problems is undefined; give at least one problem");
        }
        double sum = 0;
        for (int passed : passedPerProblem) {
            sum += estimate(samples, passed, k);
        }
        return sum / passedPerProblem.length;
    }
}
