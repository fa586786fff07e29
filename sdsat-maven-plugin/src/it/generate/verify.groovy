import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
assert log.contains('Generated text:')

// Exactly one stats object, on one log line.
def jsonLines = log.readLines().findAll { it.startsWith('[INFO] {"newTokens"') }
assert jsonLines.size() == 1 : "expected one stats line, found ${jsonLines.size()}"
def stats = new JsonSlurper().parseText(jsonLines[0].substring('[INFO] '.length()))

for (key in ['newTokens', 'forwardPasses', 'draftedTokens', 'acceptedTokens', 'acceptedPerPosition', 'prefillMs',
             'decodeMs', 'tokensPerSecond', 'promptIds', 'outputIds', 'decoder', 'k', 'stopReason']) {
    assert stats.containsKey(key) : "stats lack ${key}"
}
assert stats.decoder == 'sdsat'
assert stats.k == 3
assert stats.outputIds.size() == stats.newTokens
assert stats.promptIds.size() > 1                   // BOS + the prompt's tokens
assert stats.promptIds[0] == 0                      // the tiny model's <s>
assert stats.acceptedPerPosition.size() == 3
// The contract's values against each other (sdsat two-step, k = 3): every verification drafts k tokens; the last
// loop may end after its draft pass; each loop runs a draft and a verify pass after the prefill.
assert stats.acceptedPerPosition.sum() == stats.acceptedTokens
(1..<3).each { j -> assert stats.acceptedPerPosition[j] <= stats.acceptedPerPosition[j - 1] }
assert stats.draftedTokens % 3 == 0 : "drafted ${stats.draftedTokens} is not k x verifications"
def verifications = stats.draftedTokens.intdiv(3)
assert stats.loops in [verifications, verifications + 1] : "loops ${stats.loops}, verifications ${verifications}"
assert stats.forwardPasses in [2 * stats.loops, 2 * stats.loops + 1] :
        "passes ${stats.forwardPasses}, loops ${stats.loops}"
assert stats.acceptedTokens <= stats.draftedTokens
// a loop emits t1, its accepted drafts and the bonus token; the prefill emits the first token
assert stats.newTokens <= 1 + 2 * stats.loops + stats.acceptedTokens
assert stats.newTokens >= stats.loops + 1
assert stats.prefillMs > 0 && stats.decodeMs >= 0
double seconds = (stats.prefillMs + stats.decodeMs) / 1000.0
assert Math.abs(stats.tokensPerSecond - stats.newTokens / seconds) <= 1e-6 * stats.tokensPerSecond :
        "tokensPerSecond ${stats.tokensPerSecond} is not newTokens / (prefillMs + decodeMs)"
// 32 tokens, unless the model emitted EOS (</s>, id 1) earlier, which must then be the last token.
if (stats.stopReason == 'length') {
    assert stats.newTokens == 32
} else {
    assert stats.stopReason == 'eos'
    assert stats.newTokens <= 32 && stats.outputIds[-1] == 1
}

def file = new File(basedir, 'target/stats.json')
assert file.isFile()
assert new JsonSlurper().parse(file) == stats
return true
