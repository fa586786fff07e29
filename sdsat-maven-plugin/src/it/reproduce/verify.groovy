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
assert ['results.csv', 'prompts.csv', 'index.html'].every { new File(runDir, it).isFile() }
def pngs = runDir.listFiles().findAll { it.name.endsWith('.png') }
assert !pngs.isEmpty()
pngs.each { assert it.length() > 1000 }
assert new File(runDir, 'index.html').text.contains('.png')
return true
