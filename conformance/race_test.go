//go:build race

package conformance_test

// raceEnabled is set under the race detector, which makes the runs against
// the reference servers too slow; scripts/test.sh runs them without it.
const raceEnabled = true
