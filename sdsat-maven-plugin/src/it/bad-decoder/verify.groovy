def log = new File(basedir, 'build.log').text
assert log.contains('BUILD FAILURE')
assert log.contains('Invalid sdsat:reproduce parameters')
assert log.contains("sdsat.decoders: unknown decoder 'medusa'")
assert log.contains('sdsat.kList: k = 0')
assert log.contains('no-such-dataset.jsonl does not exist')
// Refused before any work: no model loaded, no report folder.
assert !log.contains('Loading ')
assert !new File(basedir, 'reports/bad').exists()
return true
