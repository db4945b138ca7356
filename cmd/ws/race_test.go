//go:build race

package main

// raceEnabled is set when the tests run under the race detector, which
// makes the full wskit runs too slow; scripts/test.sh runs them in a step
// of their own without it.
const raceEnabled = true
