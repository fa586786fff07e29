def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
assert log.contains('2 of 5 gates failed')
assert log.contains('minSpeedup: humaneval sdsat k=1 >= 1000.0x')
assert log.contains('minTokensPerForward: humaneval sdsat k=1 >= 5.0')
// The report and the CI files were written before the build failed.
def runDir = new File(basedir, 'reports/gate')
assert new File(runDir, 'index.html').text.contains('gates failed')
def junit = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new File(runDir, 'junit/TEST-sdsat-reproduce.xml')).documentElement
assert junit.getAttribute('tests') == '5'
assert junit.getAttribute('failures') == '2'
def cases = junit.getElementsByTagName('testcase')
def failed = (0..<cases.length).collect { cases.item(it) }
        .findAll { it.getElementsByTagName('failure').length > 0 }
        .collect { it.getAttribute('classname') + ' ' + it.getAttribute('name') }
assert failed.sort() == ['sdsat.reproduce.minSpeedup humaneval sdsat k=1 >= 1000.0x',
                         'sdsat.reproduce.minTokensPerForward humaneval sdsat k=1 >= 5.0']
assert new File(runDir, 'allure-results').listFiles().findAll { it.name.endsWith('-result.json') }.size() == 5
return true
