package conformance_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wskit/websocket/conformance"
)

func sampleReport() *conformance.Report {
	return &conformance.Report{
		Agent: "sample <agent>", Mode: conformance.ModeServer, Target: "ws://127.0.0.1:9001/",
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: 1500 * time.Millisecond, Selected: 6,
		Results: []conformance.Result{
			{ID: "1.1.1", Description: "d1", Expectation: "e1", Verdict: conformance.OK, Behavior: conformance.OK, CloseBehavior: conformance.CloseOK, CloseCode: 1000, ClosedBy: "tester", Duration: time.Millisecond},
			{ID: "6.4.3", Description: "d2", Expectation: "e2", Verdict: conformance.NonStrict, Behavior: conformance.NonStrict, CloseBehavior: conformance.CloseOK, CloseCode: 1007, ClosedBy: "peer", Log: []string{"  0.001s something <script>"}},
			{ID: "3.1", Description: "d3", Expectation: "e3", Verdict: conformance.Failed, Behavior: conformance.Failed, CloseBehavior: conformance.CloseFailed, CloseCode: 1006, ClosedBy: "tester", Log: []string{"  1.000s the peer did not fail the connection"}},
			{ID: "7.13.1", Verdict: conformance.Informational, Behavior: conformance.Informational, CloseBehavior: conformance.CloseInformational, CloseCode: 1002},
			{ID: "12.1.1", Verdict: conformance.Unimplemented, Behavior: conformance.Unimplemented, CloseBehavior: conformance.CloseOK, CloseCode: 1000},
		},
	}
}

func TestSummary(t *testing.T) {
	s := sampleReport().Summary()
	want := conformance.Summary{Passed: 2, NonStrict: 1, Failed: 1, Informational: 1, Unimplemented: 1, NotRun: 1}
	if s != want {
		t.Errorf("Summary() = %+v, want %+v", s, want)
	}
	if got := s.String(); got != "2 passed, 1 failed, 1 informational, 1 unimplemented, 1 not run (1 of the passed NON-STRICT)" {
		t.Errorf("String() = %q", got)
	}
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "2 passed, 1 failed") {
		t.Errorf("last line %q is not the summary", last)
	}
	for _, want := range []string{"3.1       FAILED", "== 3.1 FAILED: d3", "the peer did not fail the connection", "6.4.3     NON-STRICT"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "== 1.1.1") {
		t.Error("text report logs an OK case")
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Agent   string
		Results []conformance.Result
		Summary conformance.Summary
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Agent != "sample <agent>" || len(got.Results) != 5 || got.Summary.Failed != 1 || got.Results[2].CloseBehavior != conformance.CloseFailed {
		t.Errorf("round trip: %+v", got)
	}
	if !strings.Contains(b.String(), `"behaviorClose": "FAILED"`) {
		t.Errorf("JSON lacks the behaviorClose field:\n%s", b.String())
	}
}

// The HTML report is one self-contained page: no scripts, no external
// resources, everything escaped.
func TestWriteHTML(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script", "<link", "src=", "http://", "https://", "<agent>"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML report contains %q", bad)
		}
	}
	for _, want := range []string{"<!DOCTYPE html>", "<style>", `id="c6.4.3"`, "v-non-strict", "v-failed", "sample &lt;agent&gt;", "something &lt;script&gt;", "2 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}
