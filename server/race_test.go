//go:build race

package server_test

// raceEnabled: the race detector changes frame sizes and stack use.
const raceEnabled = true
