package conformance

import (
	"fmt"
	"path"
	"strings"
)

// Select returns the cases whose ids match include and not exclude, in
// their original order. Each is a comma-separated list of patterns; an
// empty include selects every case. A pattern is a case id ("7.1.1"), a
// group or subgroup that selects everything under it ("6", "6.4"), or a
// glob in the syntax of path.Match ("6.*", "9.?.1", "12.[12].*"); '*' also
// matches dots, so "6.*" is all of group 6.
//
// A malformed pattern, or an include pattern that matches no case, is an
// error: a typo should not silently run nothing.
func Select(cases []Case, include, exclude string) ([]Case, error) {
	inc, err := splitPatterns(include)
	if err != nil {
		return nil, err
	}
	exc, err := splitPatterns(exclude)
	if err != nil {
		return nil, err
	}
	used := make([]bool, len(inc))
	var out []Case
	for _, c := range cases {
		in := len(inc) == 0
		for i, p := range inc {
			if matchID(p, c.ID) {
				in, used[i] = true, true
			}
		}
		if !in {
			continue
		}
		excluded := false
		for _, p := range exc {
			if matchID(p, c.ID) {
				excluded = true
				break
			}
		}
		if !excluded {
			out = append(out, c)
		}
	}
	for i, u := range used {
		if !u {
			return nil, fmt.Errorf("websocket: case pattern %q matches no case", inc[i])
		}
	}
	return out, nil
}

func splitPatterns(list string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("websocket: bad case pattern %q: %w", p, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// matchID reports whether the case id matches the pattern p.
func matchID(p, id string) bool {
	if p == id || strings.HasPrefix(id, p+".") {
		return true
	}
	ok, _ := path.Match(p, id)
	return ok
}
