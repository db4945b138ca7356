package main

import (
	"strings"
	"testing"

	"github.com/wskit/websocket/bench/load"
)

// Ratios are taken round by round, then their median is reported.
func TestReportRatios(t *testing.T) {
	rep := &Report{
		Libs:      []string{"wskit", "other", "tcp"},
		Scenarios: []Scenario{{Name: "echo", Kind: "echo"}, {Name: "idle", Kind: "idle", Conns: 10}},
	}
	add := func(lib string, round int, v float64) {
		rep.Results = append(rep.Results, Run{Scenario: "echo", Lib: lib, Round: round, Result: &load.Result{MsgsPerSec: v}})
	}
	// The machine slows down in round 1; the ratio stays 2.
	add("wskit", 0, 100)
	add("other", 0, 200)
	add("wskit", 1, 10)
	add("other", 1, 20)
	add("wskit", 2, 100)
	add("other", 2, 200)
	rep.Results = append(rep.Results,
		Run{Scenario: "echo", Lib: "tcp", Round: 0, NA: true},
		Run{Scenario: "idle", Lib: "wskit", Idle: &load.IdleResult{PerConnHandshake: 2048, PerConnMessage: 4096}},
		Run{Scenario: "idle", Lib: "other", Err: "boom"},
	)
	cs := cells(rep, "echo", msgsPerSec)
	if got := cs["other"].medianRatio(); got != 2 {
		t.Errorf("median ratio %v, want 2", got)
	}
	md := markdown(rep)
	for _, want := range []string{"| echo | 100 | 200 (2.00×) | n/a |", "| echo | 2.00 2.00 2.00 | n/a |", "| wskit | 2.00 | 4.00 |", "| other | error | error |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if svg := chart(rep); !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>\n") {
		t.Errorf("chart is not an SVG document")
	}
}

// The goals come from the other libraries' and TCP's medians: the CPU
// goal is the larger of 0.9 × the best library and 1.05 × TCP, the rate
// goal the smaller of 1.1 × the best library and 0.95 × TCP.
func TestReportGoals(t *testing.T) {
	rep := &Report{
		Libs:      []string{"wskit", "gorilla", "gws", "tcp", "old"},
		Scenarios: []Scenario{{Name: "e", Kind: "echo"}, {Name: "z", Kind: "echo", Compress: true}},
	}
	add := func(sc, lib string, cpu, rate float64) {
		rep.Results = append(rep.Results, Run{Scenario: sc, Lib: lib, Result: &load.Result{CPUusPerMsg: cpu, MsgsPerSec: rate}})
	}
	add("e", "wskit", 12, 900)
	add("e", "gorilla", 20, 500)
	add("e", "gws", 10, 1000)
	add("e", "tcp", 8, 1200)
	add("e", "old", 1, 1e6) // a baseline is not another library
	add("z", "wskit", 30, 100)
	add("z", "gws", 40, 100)
	md := markdown(rep)
	// CPU goal max(9, 8.4) = 9, 12/9 = 1.33; rate goal min(1100, 1140) = 1100, 1100/900 = 1.22.
	for _, want := range []string{"| e | 12.0 | 9.00 | 1.33 | 900 | 1100 | 1.22 |", "| z | 30.0 | 32.0 (0.8 × gws) | 0.94 | | | |", "Worst: e cpu 1.33, e rate 1.22, z cpu 0.94."} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
