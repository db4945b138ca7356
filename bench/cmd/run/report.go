package main

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/wskit/websocket/bench/load"
)

// base is the library every ratio is taken against.
const base = "wskit"

// metric picks one number out of a run; ok is false when the run has none.
type metric func(r *Run) (v float64, ok bool)

func resultMetric(f func(*load.Result) float64) metric {
	return func(r *Run) (float64, bool) {
		if r.Result == nil {
			return 0, false
		}
		return f(r.Result), true
	}
}

var (
	msgsPerSec = resultMetric(func(x *load.Result) float64 { return x.MsgsPerSec })
	mbPerSec   = resultMetric(func(x *load.Result) float64 { return x.MBPerSec })
	p50        = resultMetric(func(x *load.Result) float64 { return x.P50us })
	p99        = resultMetric(func(x *load.Result) float64 { return x.P99us })
	cpuPerMsg  = resultMetric(func(x *load.Result) float64 { return x.CPUusPerMsg })
	rssMiB     = resultMetric(func(x *load.Result) float64 { return float64(x.RSSBytes) / (1 << 20) })
	idleOpen   = func(r *Run) (float64, bool) {
		if r.Idle == nil {
			return 0, false
		}
		return r.Idle.PerConnHandshake / 1024, true
	}
	churnCPU = func(r *Run) (float64, bool) {
		if r.Churn == nil {
			return 0, false
		}
		return r.Churn.ServerCPUPerUs, true
	}
	churnRate = func(r *Run) (float64, bool) {
		if r.Churn == nil {
			return 0, false
		}
		return r.Churn.CyclesPerSec, true
	}
	idleMsg = func(r *Run) (float64, bool) {
		if r.Idle == nil {
			return 0, false
		}
		return r.Idle.PerConnMessage / 1024, true
	}
)

// cell is one library in one scenario, over all rounds.
type cell struct {
	values []float64 // per round, in round order
	ratios []float64 // value ÷ base's value in the same round
	na     bool
	errs   int
}

func (c *cell) median() float64      { return median(c.values) }
func (c *cell) medianRatio() float64 { return median(c.ratios) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cells gathers metric m for every library in scenario sc.
func cells(rep *Report, sc string, m metric) map[string]*cell {
	out := map[string]*cell{}
	baseBy := map[int]float64{}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Scenario == sc && r.Lib == base {
			if v, ok := m(r); ok {
				baseBy[r.Round] = v
			}
		}
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Scenario != sc {
			continue
		}
		c := out[r.Lib]
		if c == nil {
			c = &cell{}
			out[r.Lib] = c
		}
		switch {
		case r.NA:
			c.na = true
		case r.Err != "":
			c.errs++
		}
		v, ok := m(r)
		if !ok {
			continue
		}
		c.values = append(c.values, v)
		if b, ok := baseBy[r.Round]; ok && b != 0 {
			c.ratios = append(c.ratios, v/b)
		}
	}
	return out
}

// num prints a value with three significant digits, and k or M for large
// ones.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 1e6:
		return trim(v/1e6) + "M"
	case v >= 1e4:
		return trim(v/1e3) + "k"
	default:
		return trim(v)
	}
}

func trim(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func (c *cell) text(withRatio bool) string {
	if c == nil {
		return ""
	}
	if c.na {
		return "n/a"
	}
	if len(c.values) == 0 {
		return "error"
	}
	s := num(c.median())
	if withRatio && len(c.ratios) > 0 {
		s += fmt.Sprintf(" (%.2f×)", c.medianRatio())
	}
	if c.errs > 0 {
		s += fmt.Sprintf(" [%d failed]", c.errs)
	}
	return s
}

func (rep *Report) kinds(kind ...string) []Scenario {
	var out []Scenario
	for _, s := range rep.Scenarios {
		if slices.Contains(kind, s.Kind) {
			out = append(out, s)
		}
	}
	return out
}

func table(b *strings.Builder, rep *Report, scs []Scenario, m metric, withRatio bool) {
	b.WriteString("| scenario |")
	for _, l := range rep.Libs {
		fmt.Fprintf(b, " %s |", l)
	}
	b.WriteString("\n|---|")
	for range rep.Libs {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, sc := range scs {
		cs := cells(rep, sc.Name, m)
		fmt.Fprintf(b, "| %s |", sc.Name)
		for _, l := range rep.Libs {
			fmt.Fprintf(b, " %s |", cs[l].text(withRatio && l != base))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

func markdown(rep *Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# wskit benchmark, %s\n\n", rep.Date)
	fmt.Fprintf(&b, "Machine: %s; %s. ", rep.Machine, rep.Go)
	fmt.Fprintf(&b, "%d round(s) per scenario; in each round every library runs once, in an order rotated by one each round, for %s after a %s warm-up, each in a fresh server process.\n\n",
		rep.Runs, rep.Duration, rep.Warmup)
	var vs []string
	for _, l := range rep.Libs {
		if v, ok := rep.Versions[l]; ok {
			vs = append(vs, l+" "+v)
		}
	}
	fmt.Fprintf(&b, "Versions: %s.\n\n", strings.Join(vs, ", "))
	b.WriteString("Each cell is the median over the rounds; in parentheses, the median of the per-round ratios library ÷ wskit " +
		"(both measured in the same round). \"n/a\": the library cannot serve the scenario; \"[N failed]\": runs that ended in an error.\n\n")

	echo := rep.kinds("echo", "broadcast")
	if len(echo) > 0 {
		b.WriteString("## Messages per second (higher is better)\n\n")
		table(&b, rep, echo, msgsPerSec, true)
		b.WriteString("### Ratio to wskit in each round (messages per second)\n\n")
		ratioTable(&b, rep, echo, msgsPerSec)
		b.WriteString("## Payload MB/s, one direction (higher is better)\n\n")
		table(&b, rep, echo, mbPerSec, false)
		b.WriteString("## Latency p50, µs (lower is better)\n\n")
		table(&b, rep, echo, p50, true)
		b.WriteString("## Latency p99, µs (lower is better)\n\n")
		table(&b, rep, echo, p99, true)
		b.WriteString("## Server CPU time per message, µs (lower is better)\n\n")
		table(&b, rep, echo, cpuPerMsg, true)
		b.WriteString("## Server RSS at the end of the run, MiB\n\n")
		table(&b, rep, echo, rssMiB, false)
	}
	for _, sc := range rep.kinds("idle") {
		fmt.Fprintf(&b, "## Memory per idle connection, KiB (%d connections; server RSS after a forced GC, minus the RSS before any connection, ÷ connections)\n\n", sc.Conns)
		b.WriteString("| library | open (handshake only) | after one 16 B echo |\n|---|---:|---:|\n")
		open := cells(rep, sc.Name, idleOpen)
		msg := cells(rep, sc.Name, idleMsg)
		for _, l := range rep.Libs {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", l, open[l].text(l != base), msg[l].text(l != base))
		}
		b.WriteString("\n")
	}
	if churn := rep.kinds("churn"); len(churn) > 0 {
		b.WriteString("## Connection churn: server CPU time per upgrade/echo/close cycle, µs (lower is better)\n\n")
		table(&b, rep, churn, churnCPU, true)
		b.WriteString("### Ratio to wskit in each round (CPU per cycle)\n\n")
		ratioTable(&b, rep, churn, churnCPU)
		b.WriteString("## Connection churn: cycles per second (higher is better)\n\n")
		table(&b, rep, churn, churnRate, false)
	}
	goals(&b, rep)
	var failed []string
	for _, r := range rep.Results {
		if r.Err != "" {
			failed = append(failed, fmt.Sprintf("- %s, %s, round %d: %s", r.Scenario, r.Lib, r.Round+1, r.Err))
		}
	}
	if len(failed) > 0 {
		b.WriteString("## Failed runs\n\n" + strings.Join(failed, "\n") + "\n")
	}
	return b.String()
}

func ratioTable(b *strings.Builder, rep *Report, scs []Scenario, m metric) {
	var libs []string
	for _, l := range rep.Libs {
		if l != base {
			libs = append(libs, l)
		}
	}
	b.WriteString("| scenario |")
	for _, l := range libs {
		fmt.Fprintf(b, " %s |", l)
	}
	b.WriteString("\n|---|")
	for range libs {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, sc := range scs {
		cs := cells(rep, sc.Name, m)
		fmt.Fprintf(b, "| %s |", sc.Name)
		for _, l := range libs {
			c := cs[l]
			var parts []string
			if c != nil {
				for _, r := range c.ratios {
					parts = append(parts, fmt.Sprintf("%.2f", r))
				}
				if c.na {
					parts = []string{"n/a"}
				}
			}
			fmt.Fprintf(b, " %s |", strings.Join(parts, " "))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// others are the libraries the performance goals compare wskit with.
var others = []string{"gorilla", "coder", "gobwas", "gws", "nbio"}

// goals writes, for each wskit server in the run, how far it is from the
// performance goals of issue 17, from the medians: server CPU per echo at
// or below the larger of 0.9 × the best other library's and 1.05 × the TCP
// echo's; messages per second at least the smaller of 1.1 × the best other
// library's and 0.95 × TCP's; for compressed echo, CPU at most 0.8 × gws's.
// A ratio above 1 says by how much a goal is missed.
func goals(b *strings.Builder, rep *Report) {
	echo := rep.kinds("echo")
	for _, lib := range rep.Libs {
		if !strings.HasPrefix(lib, "wskit") {
			continue
		}
		var rows []string
		var worst []goalMiss
		for _, sc := range echo {
			cpu, rate := cells(rep, sc.Name, cpuPerMsg), cells(rep, sc.Name, msgsPerSec)
			own := cpu[lib]
			if own == nil || len(own.values) == 0 {
				continue
			}
			cpuGoal, rateGoal, how := goalFor(sc, cpu, rate)
			if math.IsNaN(cpuGoal) {
				continue
			}
			c := own.median()
			row := fmt.Sprintf("| %s | %s | %s%s | %.2f |", sc.Name, num(c), num(cpuGoal), how, c/cpuGoal)
			worst = append(worst, goalMiss{sc.Name + " cpu", c / cpuGoal})
			if r := rate[lib]; !math.IsNaN(rateGoal) && r != nil && len(r.values) > 0 {
				row += fmt.Sprintf(" %s | %s | %.2f |", num(r.median()), num(rateGoal), rateGoal/r.median())
				worst = append(worst, goalMiss{sc.Name + " rate", rateGoal / r.median()})
			} else {
				row += " | | |"
			}
			rows = append(rows, row)
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(b, "## %s against the performance goals\n\n", lib)
		b.WriteString("CPU goal: the larger of 0.9 × the best other library and 1.05 × TCP; rate goal: the smaller of 1.1 × the best other library and 0.95 × TCP; compressed: 0.8 × gws's CPU. Above 1: missed by that much.\n\n")
		fmt.Fprintf(b, "| scenario | %s CPU µs | goal µs | ÷ goal | %s msg/s | goal msg/s | goal ÷ |\n|---|---:|---:|---:|---:|---:|---:|\n", lib, lib)
		b.WriteString(strings.Join(rows, "\n") + "\n\n")
		slices.SortStableFunc(worst, func(x, y goalMiss) int { return cmpFloat(y.ratio, x.ratio) })
		var names []string
		for _, w := range worst[:min(6, len(worst))] {
			names = append(names, fmt.Sprintf("%s %.2f", w.name, w.ratio))
		}
		fmt.Fprintf(b, "Worst: %s.\n\n", strings.Join(names, ", "))
	}
}

type goalMiss struct {
	name  string
	ratio float64
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// goalFor returns the CPU and rate goals of one echo scenario from the
// other libraries' and TCP's medians (NaN where there is nothing to judge
// by), and a note on the CPU goal's source for the compressed one.
func goalFor(sc Scenario, cpu, rate map[string]*cell) (cpuGoal, rateGoal float64, how string) {
	med := func(cs map[string]*cell, lib string) float64 {
		c := cs[lib]
		if c == nil || c.na || len(c.values) == 0 {
			return math.NaN()
		}
		return c.median()
	}
	if sc.Compress {
		return 0.8 * med(cpu, "gws"), math.NaN(), " (0.8 × gws)"
	}
	bestCPU, bestRate := math.NaN(), math.NaN()
	for _, l := range others {
		if v := med(cpu, l); !math.IsNaN(v) && (math.IsNaN(bestCPU) || v < bestCPU) {
			bestCPU = v
		}
		if v := med(rate, l); !math.IsNaN(v) && (math.IsNaN(bestRate) || v > bestRate) {
			bestRate = v
		}
	}
	cpuGoal, rateGoal = 0.9*bestCPU, 1.1*bestRate
	if t := med(cpu, "tcp"); !math.IsNaN(t) {
		cpuGoal = math.Max(cpuGoal, 1.05*t) // still NaN without another library
	}
	if t := med(rate, "tcp"); !math.IsNaN(t) {
		rateGoal = math.Min(rateGoal, 0.95*t)
	}
	return cpuGoal, rateGoal, ""
}
