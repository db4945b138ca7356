package main

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of ws inspect")

// TestInspectGolden decodes two captures made with tcpdump: wskit against
// Python websockets with permessage-deflate, with a text message
// compressed across three frames, and the same capture cut to start in
// the middle of that message.
func TestInspectGolden(t *testing.T) {
	for _, tc := range []struct{ file, golden string }{
		{"testdata/deflate-fragmented.pcap", "testdata/deflate-fragmented.txt"},
		{"testdata/deflate-fragmented.pcap", "testdata/deflate-fragmented.json"},
		{"testdata/midstream.pcap", "testdata/midstream.txt"},
	} {
		args := []string{"inspect", tc.file}
		if strings.HasSuffix(tc.golden, ".json") {
			args = []string{"inspect", "--json", tc.file}
		}
		var stdout, stderr syncBuffer
		if code := run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("ws %s: exit %d, %s", strings.Join(args, " "), code, stderr.String())
		}
		if *update {
			os.WriteFile(tc.golden, []byte(stdout.String()), 0o644)
			continue
		}
		want, err := os.ReadFile(tc.golden)
		if err != nil {
			t.Fatal(err)
		}
		if got := stdout.String(); got != string(want) {
			t.Errorf("ws %s:\n%s\nwant (%s):\n%s", strings.Join(args, " "), got, tc.golden, want)
		}
	}
}

func TestInspectUsage(t *testing.T) {
	var stdout, stderr syncBuffer
	if code := run(context.Background(), []string{"inspect"}, nil, &stdout, &stderr); code != exitUsage {
		t.Errorf("no file: exit %d", code)
	}
	if code := run(context.Background(), []string{"inspect", "main.go"}, nil, &stdout, &stderr); code != exitError || !strings.Contains(stderr.String(), "not a pcap") {
		t.Errorf("not a capture: exit %d, %s", code, stderr.String())
	}
}
