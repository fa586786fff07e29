import groovy.json.JsonSlurper

def log = new File(basedir, 'build.log').text
assert log.contains('BUILD SUCCESS')
assert log =~ /\[4\/4\] infilling .* ETA/           // per-prompt progress with ETA
assert log.contains('Summary (speedup')
def runDir = new File(basedir, 'reports/it')
assert log.contains('Report: ' + new File(runDir, 'index.html').canonicalPath) ||
        log.contains('Report: ' + new File(runDir, 'index.html').absolutePath)

def results = new JsonSlurper().parse(new File(runDir, 'results.json'))
assert results.config.kList == [1, 2]
for (key in ['device', 'dtype', 'javaVersion', 'djlVersion']) {
    assert results.environment[key] : "environment.${key} missing"
}
// 2 datasets x (baseline + 2 decoders x 2 k)
assert results.rows.size() == 10
for (row in results.rows) {
    for (key in ['dataset', 'decoder', 'temperature', 'k', 'prompts', 'meanTimeMs', 'speedup', 'tokensPerSecond',
                 'tokensPerForward', 'identicalToBaseline']) {
        assert row[key] != null : "row ${row} lacks ${key}"
    }
    assert row.prompts == 2
    assert row.meanTimeMs > 0 && row.tokensPerSecond > 0
    if (row.decoder == 'ar') {
        assert row.k == 0 && row.speedup == 1.0
    } else {
        assert row.k in [1, 2] && row.speedup > 0
        assert row.acceptRate != null && row.meanAcceptedPerLoop != null
    }
    assert row.temperature == 0.0
    assert row.identicalToBaseline == row.prompts : "greedy row ${row.decoder} k=${row.k} differs from the baseline"
}
assert results.prompts.size() == 20
// Against the dataset: dataLimit 0.0122 of 164 problems is the first 2 of each dataset, for every row's decoder and k.
def humanEvalTasks = results.prompts.findAll { it.dataset == 'humaneval' }.collect { it.taskId }.unique().sort()
assert humanEvalTasks == ['HumanEval/0', 'HumanEval/1'] : "humaneval prompts ${humanEvalTasks}"
assert results.prompts.findAll { it.dataset == 'infilling' }.collect { it.taskId }.unique().size() == 2
// Each row against its own prompt records, and the speedup against the baseline row.
for (row in results.rows) {
    def mine = results.prompts.findAll { it.dataset == row.dataset && it.decoder == row.decoder && it.k == row.k &&
            it.temperature == row.temperature }
    assert mine.size() == row.prompts : "row ${row.decoder} k=${row.k}: ${mine.size()} prompt records"
    double meanMs = mine.sum { it.timeMs } / mine.size()
    assert Math.abs(row.meanTimeMs - meanMs) <= 1e-6 * meanMs : "meanTimeMs ${row.meanTimeMs} vs records ${meanMs}"
    double perPass = mine.sum { it.newTokens } / (double) mine.sum { it.forwardPasses }
    assert Math.abs(row.tokensPerForward - perPass) <= 1e-6 : "tokensPerForward ${row.tokensPerForward} vs ${perPass}"
    def base = results.rows.find {
        it.dataset == row.dataset && it.decoder == 'ar' && it.temperature == row.temperature
    }
    assert Math.abs(row.speedup - base.meanTimeMs / row.meanTimeMs) <= 1e-6 * row.speedup :
            "speedup ${row.speedup} vs baseline mean / row mean"
    assert row.identicalToBaseline == mine.count { it.identicalToBaseline }
    for (p in mine) {
        assert p.newTokens >= 1 && p.forwardPasses >= 1 && p.acceptedTokens <= p.draftedTokens
        if (row.decoder == 'ar') {
            assert p.forwardPasses == p.newTokens : "ar: one pass per token, ${p.taskId}"
        } else {
            assert p.draftedTokens % p.k == 0 : "${row.decoder} drafts k per verification, ${p.taskId}"
            assert p.newTokens <= p.forwardPasses + p.acceptedTokens : "tokens beyond passes + accepted, ${p.taskId}"
        }
    }
}
assert ['results.csv', 'prompts.csv', 'index.html'].every { new File(runDir, it).isFile() }
def pngs = runDir.listFiles().findAll { it.name.endsWith('.png') }
assert !pngs.isEmpty()
pngs.each { assert it.length() > 1000 }
assert new File(runDir, 'index.html').text.contains('.png')
// The default gates: one lossless gate per greedy speculative row, and the line-completion stage's three (the
// embedded pair: the base is found without sdsat.baseModel), as JUnit XML for CI.
assert log.contains('Line-completion stage: 18 held-out lines')
assert log.contains('Line completion: base model ')
assert results.config.lineCompletion.baseModel != null
def lossless = results.gates.findAll { it.group == 'lossless' }
assert lossless.size() == 8 && lossless.every { it.status == 'PASSED' }
def lineGates = results.gates.findAll { it.name.startsWith('line completion') }
assert lineGates*.name.sort() == ['line completion bits per byte', 'line completion exact match',
                                  'line completion: greedy decoders write ar\'s line']
assert lineGates.every { it.status in ['PASSED', 'NOT_ENFORCED'] }
assert lineGates.find { it.name.contains('greedy decoders') }.status == 'PASSED'
assert results.lineCompletionGate.items == 18 && results.lineCompletionGate.models.size() == 2
assert results.lineCompletion.size() == 18 * 2 + 6 * (results.lineCompletionGate.decoders.size())
assert results.gates.size() == 11
def junit = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new File(runDir, 'junit/TEST-sdsat-reproduce.xml')).documentElement
assert junit.getAttribute('tests') == '11' && junit.getAttribute('failures') == '0'
def html = new File(runDir, 'index.html').text
assert html.contains('Line completion (held-out Python)') && html.contains('bitsPerByte')
return true
