package websocket

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/net/http2"
)

// TestClampFrameSize: whatever the chunking of the server's bytes, every
// SETTINGS_MAX_FRAME_SIZE reads as 16384, and nothing else changes: not
// other settings, nor a DATA or PING payload that holds the same bytes.
func TestClampFrameSize(t *testing.T) {
	var in, want bytes.Buffer
	fr := http2.NewFramer(&in, nil)
	frWant := http2.NewFramer(&want, nil)
	lookalike := []byte{0, 5, 0, 0x10, 0, 0} // a MAX_FRAME_SIZE entry as data
	for _, f := range []*http2.Framer{fr, frWant} {
		big, top := uint32(1<<20), uint32(1<<24-1)
		if f == frWant {
			big, top = 1<<14, 1<<14
		}
		f.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 250},
			http2.Setting{ID: http2.SettingMaxFrameSize, Val: big},
			http2.Setting{ID: http2.SettingEnableConnectProtocol, Val: 1})
		f.WriteSettingsAck()
		f.WriteData(1, false, bytes.Repeat(lookalike, 3000)) // 18000 bytes
		f.WritePing(false, [8]byte{0, 5, 0, 0x10, 0, 0, 0, 0})
		f.WriteData(3, true, nil)
		f.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: top},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	}
	if bytes.Equal(in.Bytes(), want.Bytes()) {
		t.Fatal("test input needs no rewrite")
	}
	for _, chunk := range []int{1, 2, 5, 6, 7, 9, 10, 13, 100, 16384, in.Len()} {
		c := &clampConn{}
		got := bytes.Clone(in.Bytes())
		for p := got; len(p) > 0; {
			k := min(chunk, len(p))
			c.rewrite(p[:k])
			p = p[k:]
		}
		if !bytes.Equal(got, want.Bytes()) {
			i := 0
			for i < len(got) && got[i] == want.Bytes()[i] {
				i++
			}
			t.Fatalf("chunks of %d: first difference at byte %d of %d", chunk, i, len(got))
		}
	}
	if binary.BigEndian.Uint32(want.Bytes()[9+6+2:]) != 1<<14 {
		t.Fatal("expected bytes do not hold 16384")
	}
}
