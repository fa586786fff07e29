package io.github.sdsat.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The prompt-lookup index on hand-made contexts: which earlier occurrence it finds and what it copies. */
class NgramIndexTest {
    static NgramIndex index(int maxNgram, long... context) {
        NgramIndex index = new NgramIndex(maxNgram);
        index.start(context);
        return index;
    }

    static long[] propose(NgramIndex index, int max) {
        long[] out = new long[max];
        int count = index.propose(out, max);
        return Arrays.copyOf(out, count);
    }

    @Test
    void longestSuffixWins() {
        // suffix "5 6 7": the unigram 7 last occurred before 8, the trigram before 3; the trigram is preferred
        NgramIndex index = index(3, 5, 6, 7, 3, 4, 1, 7, 8, 9, 5, 6, 7);
        assertThat(propose(index, 2)).containsExactly(3, 4);
        assertThat(index.lastMatch()).isEqualTo(3);
        assertThat(index.follower(1)).isEqualTo(7); // the token after the most recent earlier 7
        assertThat(index.follower(3)).isEqualTo(3);
    }

    @Test
    void shorterSuffixWhenTheLongerNeverOccurred() {
        NgramIndex index = index(3, 1, 2, 3, 9, 2, 3, 4, 5, 7, 3);
        // "5 7 3" and "7 3" never occurred before; "3" did, most recently before 4
        assertThat(propose(index, 3)).containsExactly(4, 5, 7);
        assertThat(index.lastMatch()).isEqualTo(1);
    }

    @Test
    void mostRecentEarlierOccurrence() {
        NgramIndex index = index(2, 1, 2, 10, 1, 2, 20, 1, 2, 30, 1, 2);
        assertThat(propose(index, 1)).containsExactly(30);
        assertThat(index.lastMatch()).isEqualTo(2);
    }

    @Test
    void neverMatchesItsOwnSuffix() {
        // each token occurs once: the suffix is in the context but has no earlier occurrence
        NgramIndex index = index(3, 1, 2, 3, 4);
        assertThat(propose(index, 4)).isEmpty();
        assertThat(index.lastMatch()).isZero();
        assertThat(index.follower(1)).isEqualTo(-1);
        assertThat(propose(index(3, 7), 4)).isEmpty();
    }

    @Test
    void ngramsAreNeverLongerThanMaxNgram() {
        // the 3-gram "1 2 3" recurs (followed by 4 first), but with maxNgram 2 only "2 3" counts, last seen before 8
        long[] context = {1, 2, 3, 4, 0, 2, 3, 8, 1, 2, 3};
        assertThat(propose(index(3, context), 1)).containsExactly(4);
        NgramIndex two = index(2, context);
        assertThat(propose(two, 1)).containsExactly(8);
        assertThat(two.lastMatch()).isEqualTo(2);
        assertThat(two.follower(3)).isEqualTo(-1);
        assertThatThrownBy(() -> new NgramIndex(0)).hasMessageContaining("maxNgram must be at least 1");
    }

    @Test
    void commitsExtendTheIndexAndTheCopyRunsIntoItsOwnProposal() {
        NgramIndex index = index(3, 4, 5, 6);
        assertThat(propose(index, 3)).isEmpty();
        index.commit(4);
        index.commit(5);
        // "4 5" recurs: copy 6, then the copy continues over the proposal itself (period 3)
        assertThat(propose(index, 7)).containsExactly(6, 4, 5, 6, 4, 5, 6);
        index.commit(6);
        index.commit(9);
        assertThat(propose(index, 2)).isEmpty(); // 9 is new
        // one repeated token: proposed k at a time, not one at a time
        assertThat(propose(index(3, 2, 2), 5)).containsExactly(2, 2, 2, 2, 2);
    }

    @Test
    void startResetsTheIndex() {
        NgramIndex index = index(3, 1, 2, 1);
        assertThat(propose(index, 1)).containsExactly(2);
        index.start(new long[] {3, 1});
        assertThat(propose(index, 1)).isEmpty();
    }
}
