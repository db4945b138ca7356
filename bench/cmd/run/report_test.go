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
