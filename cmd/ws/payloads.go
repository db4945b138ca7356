package main

import (
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wskit/websocket/conformance"
)

// payloadFiles are the compression groups' data files, gzip-compressed
// (see payloads/README.md).
//
//go:embed payloads/*.gz
var payloadFiles embed.FS

// unpackPayloads writes the built-in payload files into a new temporary
// folder and returns it with the function that removes it.
func unpackPayloads() (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", "ws-check-payloads-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	for _, pf := range conformance.PayloadFiles {
		if err := unpackPayload(pf.Name, filepath.Join(dir, pf.Name)); err != nil {
			remove()
			return "", nil, fmt.Errorf("unpacking the built-in payload %s: %w", pf.Name, err)
		}
	}
	return dir, remove, nil
}

func unpackPayload(name, to string) error {
	f, err := payloadFiles.Open("payloads/" + name + ".gz")
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// checkPayloadDir says which payload file dir lacks, naming the flag.
func checkPayloadDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("--payloads %s is not a folder (leave the flag out to use the files built into ws)", dir)
	}
	var missing []string
	for _, pf := range conformance.PayloadFiles {
		if _, err := os.Stat(filepath.Join(dir, pf.Name)); err != nil {
			missing = append(missing, pf.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("--payloads %s lacks %s (leave the flag out to use the files built into ws)", dir, strings.Join(missing, ", "))
	}
	return nil
}
