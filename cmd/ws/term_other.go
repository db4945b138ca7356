//go:build !linux

package main

import "os"

// isTerminal reports whether f is a terminal; off Linux ws assumes not,
// and --interactive turns the terminal mode on.
func isTerminal(f *os.File) bool { return false }
