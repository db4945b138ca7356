//go:build !unix

package main

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}

// signalGroup ends the program (there are no process groups to signal).
func signalGroup(cmd *exec.Cmd, kill bool) { cmd.Process.Kill() }
