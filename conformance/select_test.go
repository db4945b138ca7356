package conformance_test

import (
	"strings"
	"testing"

	"github.com/wskit/websocket/conformance"
)

func TestSelect(t *testing.T) {
	all := conformance.Cases()
	tests := []struct {
		include, exclude string
		count            int
		first, last      string
		err              string
	}{
		{"", "", 517, "1.1.1", "13.7.18", ""},
		{"6.*", "", 145, "6.1.1", "6.23.7", ""},
		{"6", "", 145, "6.1.1", "6.23.7", ""},
		{"6.4", "", 4, "6.4.1", "6.4.4", ""},
		{"6.*,7.1.1", "", 146, "6.1.1", "7.1.1", ""},
		{"7.1.1, 6.*", "", 146, "6.1.1", "7.1.1", ""}, // case order, not pattern order
		{"", "9.*,12,13", 517 - 54 - 90 - 126, "1.1.1", "10.1.1", ""},
		{"9.?.1", "", 8, "9.1.1", "9.8.1", ""},
		{"12.[12].1", "", 2, "12.1.1", "12.2.1", ""},
		{"1.1.1", "1.1.1", 0, "", "", ""},
		{"1", "1.2", 8, "1.1.1", "1.1.8", ""},
		{"8.*", "", 0, "", "", `pattern "8.*" matches no case`},
		{"6.[", "", 0, "", "", "bad case pattern"},
		{"", "[", 0, "", "", "bad case pattern"},
	}
	for _, tt := range tests {
		got, err := conformance.Select(all, tt.include, tt.exclude)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.HasPrefix(err.Error(), "websocket: ") {
				t.Errorf("Select(%q, %q) error %v, want one containing %q", tt.include, tt.exclude, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q, %q): %v", tt.include, tt.exclude, err)
			continue
		}
		if len(got) != tt.count {
			t.Errorf("Select(%q, %q) = %d cases, want %d", tt.include, tt.exclude, len(got), tt.count)
			continue
		}
		if tt.count > 0 && (got[0].ID != tt.first || got[len(got)-1].ID != tt.last) {
			t.Errorf("Select(%q, %q) = %s..%s, want %s..%s", tt.include, tt.exclude, got[0].ID, got[len(got)-1].ID, tt.first, tt.last)
		}
	}
}

// Cases returns a fresh slice each time: callers may reorder or cut it.
func TestCasesFreshSlice(t *testing.T) {
	a := conformance.Cases()
	a[0].ID = "changed"
	if b := conformance.Cases(); b[0].ID != "1.1.1" {
		t.Errorf("Cases()[0].ID = %q after a caller changed its copy", b[0].ID)
	}
}
