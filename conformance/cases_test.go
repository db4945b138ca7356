package conformance_test

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wskit/websocket/conformance"
	"github.com/wskit/websocket/wire"
)

// specDir is the conformance specification beside the repository.
var specDir = filepath.Join("..", "..", "shared", "conformance")

// specLine is one line of cases.tsv: id, what the tester sends, what it
// expects.
type specLine struct{ id, sends, expects string }

func loadSpec(t *testing.T) []specLine {
	t.Helper()
	f, err := os.Open(filepath.Join(specDir, "cases.tsv"))
	if err != nil {
		t.Fatalf("the specification must be beside the repository: %v", err)
	}
	defer f.Close()
	var lines []specLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			t.Fatalf("cases.tsv line %d has %d fields", len(lines)+1, len(parts))
		}
		lines = append(lines, specLine{parts[0], parts[1], parts[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// The case list is the specification's: the same ids in the same order.
func TestCasesMatchSpecIDs(t *testing.T) {
	spec := loadSpec(t)
	cases := conformance.Cases()
	if len(spec) != 517 || len(cases) != 517 {
		t.Fatalf("spec has %d cases, Cases() %d; want 517 each", len(spec), len(cases))
	}
	for i := range spec {
		if cases[i].ID != spec[i].id {
			t.Fatalf("case %d: id %q, spec says %q", i+1, cases[i].ID, spec[i].id)
		}
		if cases[i].Description == "" || cases[i].Expectation == "" {
			t.Errorf("case %s has no description or expectation", cases[i].ID)
		}
	}
}

var (
	hexPayload  = regexp.MustCompile(`Payload: 0x([0-9a-f]+)`)
	sizeRe      = regexp.MustCompile(`payload size (\d+)`)
	fragRe      = regexp.MustCompile(`auto-fragment to (\d+) octets`)
	timeoutRe   = regexp.MustCompile(`Timeout case after (\d+) secs`)
	offersRe    = regexp.MustCompile(`\((True|False), (\d+)\)`)
	closeCodeRe = regexp.MustCompile(`close code (\d+)`)
)

// The data in each case agrees with the numbers the specification states:
// UTF-8 payloads and whether they must be echoed, message counts and sizes,
// fragment sizes, time limits, deflate offers and close codes.
func TestCasesMatchSpecData(t *testing.T) {
	spec := loadSpec(t)
	cases := conformance.Cases()
	for i, s := range spec {
		c := cases[i]
		t.Run(c.ID, func(t *testing.T) {
			if m := hexPayload.FindStringSubmatch(s.sends); m != nil {
				if len(c.Steps) != 1 || len(c.Steps[0].Frames) != 1 {
					t.Fatalf("want one frame")
				}
				if got := hex.EncodeToString(c.Steps[0].Frames[0].Payload); got != m[1] {
					t.Errorf("payload %s, spec %s", got, m[1])
				}
				valid := strings.Contains(s.expects, "echo'ed")
				if valid != utf8.Valid(c.Steps[0].Frames[0].Payload) || valid != (len(c.Expect.OK) == 1) {
					t.Errorf("spec says echoed=%v; payload valid=%v, expects %d events", valid, !valid, len(c.Expect.OK))
				}
			}
			if m := sizeRe.FindStringSubmatch(s.sends); m != nil && c.Group() != "1" {
				tr := c.Steps[0].Trip
				if tr == nil {
					t.Fatal("want a round trip")
				}
				if want, _ := strconv.Atoi(m[1]); tr.Size != want || tr.Count != 1000 {
					t.Errorf("%d messages of %d bytes, spec says 1000 of %d", tr.Count, tr.Size, want)
				}
				if m := fragRe.FindStringSubmatch(s.sends); m != nil {
					if want, _ := strconv.Atoi(m[1]); tr.FrameSize != want {
						t.Errorf("frame size %d, spec says %d", tr.FrameSize, want)
					}
				}
			}
			if m := timeoutRe.FindStringSubmatch(s.expects); m != nil {
				if want, _ := strconv.Atoi(m[1]); int(c.Timeout.Seconds()) != want {
					t.Errorf("timeout %v, spec says %ss", c.Timeout, m[1])
				}
			}
			if c.Group() == "12" || c.Group() == "13" {
				want := "[(False, 0)]"
				if i := strings.Index(s.sends, "offers"); i >= 0 {
					want = s.sends[strings.Index(s.sends, "["):]
				}
				var got []string
				for _, o := range c.Deflate {
					got = append(got, fmt.Sprintf("(%s, %d)", pyBool(o.NoContextTakeover), o.MaxWindowBits))
				}
				if g := "[" + strings.Join(got, ", ") + "]"; g != want {
					t.Errorf("offers %s, spec says %s", g, want)
				}
				if len(offersRe.FindAllString(want, -1)) != len(c.Deflate) {
					t.Errorf("offer count")
				}
			}
			if m := closeCodeRe.FindStringSubmatch(s.sends); m != nil && c.Group() == "7" {
				want, _ := strconv.Atoi(m[1])
				p := c.Steps[0].Frames[0].Payload
				if c.Steps[0].Frames[0].Opcode != wire.OpClose || len(p) < 2 || int(p[0])<<8|int(p[1]) != want {
					t.Errorf("close payload %x, spec code %d", p, want)
				}
			}
		})
	}
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
