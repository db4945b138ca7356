package conformance

import (
	"html/template"
	"io"
	"strings"
	"time"
)

// groupTitles name the top-level groups in the HTML report.
var groupTitles = map[string]string{
	"1":  "Framing",
	"2":  "Pings and pongs",
	"3":  "Reserved bits",
	"4":  "Reserved opcodes",
	"5":  "Fragmentation",
	"6":  "UTF-8 handling",
	"7":  "Close handling",
	"9":  "Limits and performance",
	"10": "Auto-fragmentation",
	"12": "permessage-deflate, payload kinds",
	"13": "permessage-deflate, parameters",
}

type htmlGroup struct {
	ID, Title string
	Summary   Summary
	Results   []*Result
}

var htmlFuncs = template.FuncMap{
	"class": func(v any) string {
		s := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(toString(v), " ", "-"), "_", "-"))
		return "v-" + s
	},
	"ms": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"ts": func(t time.Time) string { return t.Format(time.RFC3339) },
}

func toString(v any) string {
	switch v := v.(type) {
	case Verdict:
		return string(v)
	case CloseVerdict:
		return string(v)
	}
	return ""
}

var reportTemplate = template.Must(template.New("report").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WebSocket conformance: {{if .R.Agent}}{{.R.Agent}} ({{.R.Mode}}){{else}}{{.R.Mode}} under test{{end}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: .2em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
.meta { color: #555; margin: 0 0 1em; }
.summary { font-size: 1.1em; font-weight: 600; padding: .5em .8em; background: #f3f3f3; border-radius: 4px; display: inline-block; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e4e4e4; vertical-align: top; overflow-wrap: anywhere; }
th { background: #fafafa; font-weight: 600; }
td.id { white-space: nowrap; font-family: ui-monospace, monospace; }
td.num { text-align: right; white-space: nowrap; font-family: ui-monospace, monospace; }
.v { display: inline-block; min-width: 7em; padding: 1px 6px; border-radius: 3px; font-size: .85em; font-weight: 600; text-align: center; }
.v-ok { background: #cfeccf; color: #14521a; }
.v-non-strict { background: #f7eeb0; color: #5c4d00; }
.v-failed, .v-wrong-code, .v-unclean, .v-failed-by-client { background: #f6c8c8; color: #7a1010; }
.v-informational { background: #d4e3f7; color: #123f75; }
.v-unimplemented { background: #e4e4e4; color: #444; }
details summary { cursor: pointer; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; font-size: .85em; margin: .3em 0; white-space: pre-wrap; }
.groups td { border: none; padding: 2px 10px 2px 0; }
</style>
</head>
<body>
<h1>WebSocket conformance report</h1>
<p class="meta">{{if .R.Agent}}<b>{{.R.Agent}}</b>, {{end}}{{.R.Mode}} under test at <code>{{.R.Target}}</code>;
started {{ts .R.Started}}, took {{ms .R.Duration}}; {{len .R.Results}} of {{.R.Selected}} selected cases run.</p>
<p class="summary">{{.S}}</p>
<table class="groups">
{{range .G}}<tr><td><a href="#g{{.ID}}">{{.ID}}. {{.Title}}</a></td><td>{{.Summary}}</td></tr>
{{end}}</table>
{{range .G}}
<h2 id="g{{.ID}}">{{.ID}}. {{.Title}}</h2>
<table>
<tr><th>Case</th><th>Verdict</th><th>Behavior</th><th>Close</th><th>Code</th><th>Time</th><th>Description</th></tr>
{{range .Results}}<tr id="c{{.ID}}">
<td class="id">{{.ID}}</td>
<td><span class="v {{class .Verdict}}">{{.Verdict}}</span></td>
<td><span class="v {{class .Behavior}}">{{.Behavior}}</span></td>
<td><span class="v {{class .CloseBehavior}}">{{.CloseBehavior}}</span></td>
<td class="num">{{.CloseCode}}</td>
<td class="num">{{ms .Duration}}</td>
<td><details><summary>{{.Description}}</summary>
<p><b>Expected:</b> {{.Expectation}}<br><b>Closed by:</b> {{.ClosedBy}}{{if .CloseReason}}; reason {{printf "%q" .CloseReason}}{{end}}</p>
<pre>{{range .Log}}{{.}}
{{end}}</pre></details></td>
</tr>
{{end}}</table>
{{end}}
</body>
</html>
`))

// WriteHTML writes the report as one self-contained HTML page (inline CSS,
// no scripts, no external resources): the summary, a table per group with
// each case's verdicts, and its description, expectation and log behind a
// disclosure.
func (r *Report) WriteHTML(w io.Writer) error {
	var groups []*htmlGroup
	byID := map[string]*htmlGroup{}
	for i := range r.Results {
		res := &r.Results[i]
		gid, _, _ := strings.Cut(res.ID, ".")
		g := byID[gid]
		if g == nil {
			g = &htmlGroup{ID: gid, Title: groupTitles[gid]}
			byID[gid] = g
			groups = append(groups, g)
		}
		g.Results = append(g.Results, res)
	}
	for _, g := range groups {
		sub := Report{}
		for _, res := range g.Results {
			sub.Results = append(sub.Results, *res)
		}
		g.Summary = sub.Summary()
	}
	return reportTemplate.Execute(w, struct {
		R *Report
		S Summary
		G []*htmlGroup
	}{r, r.Summary(), groups})
}
