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
assert stats.forwardPasses >= 1
assert stats.tokensPerSecond > 0
assert stats.acceptedPerPosition.size() == 3
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
