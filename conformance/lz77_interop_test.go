//go:build interop

package conformance

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// zlibCheck inflates length-prefixed raw DEFLATE messages with a window of
// 2^bits bytes and one stream across messages (context takeover), and
// compares each with the expected one; zlib rejects any reference further
// back than the window ("invalid distance too far back").
const zlibCheck = `
import struct, sys, zlib
bits = int(sys.argv[1])
data, want = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
d = zlib.decompressobj(wbits=-bits)
i = j = n = 0
while i < len(data):
    (l,) = struct.unpack(">I", data[i:i+4]); m = data[i+4:i+4+l]; i += 4 + l
    (k,) = struct.unpack(">I", want[j:j+4]); w = want[j+4:j+4+k]; j += 4 + k
    out = d.decompress(m + b"\x00\x00\xff\xff")
    if out != w:
        sys.exit("message %d: %d bytes, want %d" % (n, len(out), len(w)))
    n += 1
print(n)
`

// The tester's windowed compressor against zlib with the same window: every
// back-reference, within a message and into earlier ones, stays inside it.
func TestLZ77AgainstZlib(t *testing.T) {
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil {
		t.Fatal("/usr/bin/python3 is required")
	}
	var files [][]byte
	for _, name := range []string{"data1.json", "pg2229.txt", "lena512.bmp"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "shared", "conformance", "payloads", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	for _, bits := range []int{8, 9, 12, 14} {
		var data, want []byte
		c := newCompressor(bits, false)
		for _, f := range files {
			for _, size := range []int{0, 16, 300, 5000, 70000} {
				msgs, err := cutMessages(f, false, size, 20)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					z := c.compress(m)
					data = binary.BigEndian.AppendUint32(data, uint32(len(z)))
					data = append(data, z...)
					want = binary.BigEndian.AppendUint32(want, uint32(len(m)))
					want = append(want, m...)
				}
			}
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "data"), data, 0o600)
		os.WriteFile(filepath.Join(dir, "want"), want, 0o600)
		out, err := exec.Command("/usr/bin/python3", "-c", zlibCheck, strconv.Itoa(bits), filepath.Join(dir, "data"), filepath.Join(dir, "want")).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "300" {
			t.Errorf("window bits %d: zlib says %v: %s", bits, err, out)
		}
	}
}
