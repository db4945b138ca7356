package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

var colors = map[string]string{
	"wskit":   "#d62728",
	"gorilla": "#1f77b4",
	"coder":   "#2ca02c",
	"gobwas":  "#9467bd",
	"gws":     "#ff7f0e",
	"nbio":    "#8c564b",
	"tcp":     "#7f7f7f",
}

func color(lib string) string {
	if c, ok := colors[lib]; ok {
		return c
	}
	return "#17becf"
}

// chart draws the report as an SVG: throughput of each library relative to
// wskit per scenario, then memory per idle connection.
func chart(rep *Report) string {
	const (
		width  = 980
		left   = 250 // labels
		right  = 70
		barH   = 9
		gap    = 16
		maxX   = 2.0 // ratios beyond are clipped and marked
		plotW  = width - left - right
		header = 70
	)
	var b strings.Builder
	y := header
	echo := rep.kinds("echo", "broadcast")
	idle := rep.kinds("idle")
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="15" font-weight="bold">wskit benchmark, %s: messages per second relative to wskit (median of per-round ratios)</text>`+"\n", esc(rep.Date))
	fmt.Fprintf(&b, `<text x="10" y="38" fill="#444">%s; %s; %d round(s) of %s per library and scenario</text>`+"\n", esc(rep.Machine), esc(rep.Go), rep.Runs, esc(rep.Duration))
	// Legend.
	lx := 10
	for _, l := range rep.Libs {
		fmt.Fprintf(&b, `<rect x="%d" y="48" width="10" height="10" fill="%s"/><text x="%d" y="57">%s</text>`+"\n", lx, color(l), lx+14, esc(l))
		lx += 24 + 7*len(l)
	}
	xOf := func(v float64) float64 { return left + math.Min(v, maxX)/maxX*plotW }
	if len(echo) > 0 {
		top := y
		for _, sc := range echo {
			cs := cells(rep, sc.Name, msgsPerSec)
			label := sc.Name
			if c := cs[base]; c != nil && len(c.values) > 0 {
				label += fmt.Sprintf(" (wskit %s/s)", num(c.median()))
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+len(rep.Libs)*barH/2+4, esc(label))
			for _, l := range rep.Libs {
				c := cs[l]
				switch {
				case c == nil:
				case c.na:
					fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="8" fill="%s">n/a</text>`+"\n", left+2, y+barH-1, color(l))
				case l == base && len(c.values) > 0:
					fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y, xOf(1)-left, barH-1, color(l))
				case len(c.ratios) > 0:
					v := c.medianRatio()
					fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y, xOf(v)-left, barH-1, color(l))
					t := fmt.Sprintf("%.2f", v)
					if v > maxX {
						t += " ▶"
					}
					fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="8">%s</text>`+"\n", xOf(v)+3, y+barH-1, t)
				default:
					fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="8" fill="%s">failed</text>`+"\n", left+2, y+barH-1, color(l))
				}
				y += barH
			}
			y += gap
		}
		// Axis and the wskit line.
		for v := 0.0; v <= maxX+1e-9; v += 0.25 {
			x := xOf(v)
			stroke := "#ddd"
			if v == 1 {
				stroke = "#000"
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1"/>`+"\n", x, top-4, x, y-gap+4, stroke)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%s×</text>`+"\n", x, y-gap+18, strconv.FormatFloat(v, 'f', -1, 64))
		}
		y += 40
	}
	for _, sc := range idle {
		fmt.Fprintf(&b, `<text x="10" y="%d" font-size="15" font-weight="bold">Memory per idle connection, KiB (%d connections; RSS after a forced GC)</text>`+"\n", y, sc.Conns)
		fmt.Fprintf(&b, `<text x="10" y="%d" fill="#444">upper bar: connection open; lower bar, lighter: after one 16-byte echo</text>`+"\n", y+18)
		y += 32
		open := cells(rep, sc.Name, idleOpen)
		msg := cells(rep, sc.Name, idleMsg)
		maxV := 1.0
		for _, l := range rep.Libs {
			for _, c := range []*cell{open[l], msg[l]} {
				if c != nil && len(c.values) > 0 {
					maxV = math.Max(maxV, c.median())
				}
			}
		}
		for _, l := range rep.Libs {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+barH+3, esc(l))
			for i, c := range []*cell{open[l], msg[l]} {
				opacity := 1.0
				if i == 1 {
					opacity = 0.5
				}
				if c != nil && len(c.values) > 0 {
					v := c.median()
					w := v / maxV * plotW
					fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="%.1f"/>`+"\n", left, y, w, barH, color(l), opacity)
					fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="9">%.1f</text>`+"\n", left+w+3, y+barH-1, v)
				} else if c != nil && c.na {
					fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="9">n/a</text>`+"\n", left+2, y+barH-1)
				}
				y += barH + 1
			}
			y += 6
		}
		y += 20
	}
	b.WriteString("</svg>\n")
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n"+
		`<rect width="100%%" height="100%%" fill="white"/>`+"\n", width, y) + b.String()
}

func esc(s string) string { return html.EscapeString(s) }
