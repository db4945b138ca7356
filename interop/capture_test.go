package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/internal/testutil"
)

// These tests capture real traffic between wskit and Python websockets on
// the loopback interface with tcpdump, decode it with `ws inspect --json`,
// and compare message by message with what tshark decodes from the same
// file, and with what the peers sent where tshark cannot decode (a
// compressed message in several frames). They fail, not skip, when
// tcpdump or tshark is missing.

const captureHint = "install tcpdump and tshark with `bash scripts/test.sh` (it runs apt-get install tcpdump tshark)"

func needCapture(t *testing.T) {
	t.Helper()
	need(t, "python")
	for _, tool := range []string{"tcpdump", "tshark"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing; %s", tool, captureHint)
		}
	}
}

// buildWS builds the ws command into the test's temporary folder.
func buildWS(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ws")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/wskit/websocket/cmd/ws").CombinedOutput(); err != nil {
		t.Fatalf("building cmd/ws: %v\n%s", err, out)
	}
	return bin
}

// startCapture runs tcpdump on lo for the given ports until the returned
// function is called, and returns the capture file. Stopping waits until
// the file holds a marker connection made after the traffic: tcpdump
// writes packets in the order it sees them, so everything before the
// marker is in the file by then.
func startCapture(t *testing.T, ports ...string) (file string, stop func()) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "capture.pcap")
	marker, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	markerPort := marker.Addr().(*net.TCPAddr).Port
	ports = append(ports, strconv.Itoa(markerPort))
	var filter []string
	for _, p := range ports {
		filter = append(filter, "tcp port "+p)
	}
	ctx, cancel := context.WithDeadline(context.Background(), testutil.Deadline(t))
	cmd := exec.CommandContext(ctx, "tcpdump", "-i", "lo", "-U", "-B", "65536", "-s", "0", "-w", file, strings.Join(filter, " or "))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("tcpdump: %v; %s", err, captureHint)
	}
	ready := make(chan struct{})
	scanned := make(chan struct{}) // tcpdump's stderr is read to its end
	var errText testutil.Buffer    // also read while the scanner writes
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			errText.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "listening on") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(time.Until(testutil.Deadline(t))):
		cmd.Process.Kill()
		<-scanned
		cmd.Wait()
		cancel()
		t.Fatalf("tcpdump did not start: %s", errText.String())
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		defer marker.Close()
		if c, err := net.Dial("tcp", marker.Addr().String()); err == nil {
			c.Close()
		}
		for !capturedPort(file, markerPort) {
			if ctx.Err() != nil {
				t.Errorf("the capture never showed the marker connection to port %d", markerPort)
				break
			}
			select { // poll the file
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() {
			// Wait may run only once the pipe is read to its end (its
			// last lines, the packet counts, come as tcpdump exits).
			<-scanned
			cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(time.Until(testutil.Deadline(t))):
			cmd.Process.Kill()
			<-done
		}
		cancel()
		t.Logf("tcpdump: %s", strings.TrimSpace(errText.String()))
	}
	t.Cleanup(stop)
	return file, stop
}

// capturedPort reports whether the pcap file holds a TCP packet from or to
// port yet (a record still being written counts as absent).
func capturedPort(file string, port int) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return false
	}
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			return false
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		if tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok && (int(tcp.SrcPort) == port || int(tcp.DstPort) == port) {
			return true
		}
	}
}

// wsEvent is one line of `ws inspect --json` or `ws proxy --json`.
type wsEvent struct {
	Time        string  `json:"time"`
	Conn        int     `json:"conn"`
	Dir         string  `json:"dir"`
	Opcode      string  `json:"opcode"`
	Fin         *bool   `json:"fin"`
	Len         int     `json:"len"`
	Payload     *string `json:"payload"`
	PayloadB64  *string `json:"payload_b64"`
	CloseCode   int     `json:"close_code"`
	CloseReason string  `json:"close_reason"`
	Compressed  bool    `json:"compressed"`
	Finding     string  `json:"finding"`
	Note        string  `json:"note"`
	End         bool    `json:"end"`
	Extensions  string  `json:"extensions"`
}

// message is a message or control frame, as some decoder saw it.
type message struct {
	Dir     string
	Opcode  string
	Data    []byte
	Code    int
	Reason  string
	Tshark  bool // tshark could not decode it
	Deflate bool
}

func (m message) String() string {
	d := m.Data
	if len(d) > 24 {
		d = d[:24]
	}
	return fmt.Sprintf("%s %s %d bytes %q code %d %q", m.Dir, m.Opcode, len(m.Data), d, m.Code, m.Reason)
}

// parseWSEvents reads JSON lines and returns the messages and control
// frames, and the findings and notes.
func parseWSEvents(t *testing.T, out []byte) (msgs []message, findings []string, events []wsEvent) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var e wsEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		events = append(events, e)
		switch {
		case e.Finding != "":
			findings = append(findings, e.Finding)
		case e.Opcode != "":
			m := message{Dir: e.Dir, Opcode: e.Opcode, Code: e.CloseCode, Reason: e.CloseReason, Deflate: e.Compressed}
			switch {
			case e.Payload != nil:
				m.Data = []byte(*e.Payload)
			case e.PayloadB64 != nil:
				b, err := base64.StdEncoding.DecodeString(*e.PayloadB64)
				if err != nil {
					t.Fatal(err)
				}
				m.Data = b
			}
			if m.Opcode != "close" && len(m.Data) != e.Len {
				t.Errorf("event %+v: len %d but %d payload bytes", e, e.Len, len(m.Data))
			}
			if e.Fin == nil || !*e.Fin {
				t.Errorf("unfinished message: %s", m)
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, findings, events
}

// tsharkMessages decodes the capture with tshark: its WebSocket frames,
// put together into messages the way tshark reassembles them.
func tsharkMessages(t *testing.T, file, port string) []message {
	t.Helper()
	out, err := exec.Command("tshark", "-r", file, "-d", "tcp.port=="+port+",http", "-Y", "websocket", "-T", "json", "--no-duplicate-keys").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var pkts []struct {
		Source struct {
			Layers map[string]json.RawMessage `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &pkts); err != nil {
		t.Fatalf("tshark JSON: %v", err)
	}
	var msgs []message
	compressedStart := map[string]bool{} // per direction: the message in frames began with RSV1
	for _, p := range pkts {
		l := p.Source.Layers
		var tcp struct {
			Src string `json:"tcp.srcport"`
		}
		json.Unmarshal(l["tcp"], &tcp)
		dir := "client"
		if tcp.Src == port {
			dir = "server"
		}
		frames := list(l["websocket"])
		datas := list(l["data"])
		for _, raw := range frames {
			var f map[string]json.RawMessage
			json.Unmarshal(raw, &f)
			op, fin, pmc := str(f["websocket.opcode"]), str(f["websocket.fin"]) == "1", str(f["websocket.pmc"]) == "1"
			var pl map[string]json.RawMessage
			json.Unmarshal(f["websocket.payload"], &pl)
			if (op == "1" || op == "2") && !fin {
				compressedStart[dir] = pmc
				continue
			}
			if op == "0" && !fin {
				continue
			}
			m := message{Dir: dir, Data: []byte{}}
			switch op {
			case "0", "1", "2":
				m.Opcode = map[string]string{"1": "text", "2": "binary"}[op]
				if op == "0" {
					m.Tshark = compressedStart[dir]
					m.Opcode = "" // the first frame's, which tshark does not repeat
				}
				if s, ok := pl["websocket.payload.text"]; ok {
					m.Data = []byte(str(s))
				} else if len(datas) > 0 && str(f["websocket.payload_length"]) != "0" {
					var d struct {
						Data string `json:"data.data"`
					}
					json.Unmarshal(datas[0], &d)
					datas = datas[1:]
					m.Data = colonHex(t, d.Data)
					if pmc && op == "2" && bytes.Equal(m.Data, []byte{0}) {
						// The compressed empty message (RFC 7692
						// §7.2.3.6), which tshark shows uninflated.
						m.Tshark = true
					}
				}
			case "8":
				m.Opcode = "close"
				var c map[string]json.RawMessage
				json.Unmarshal(pl["websocket.payload.close"], &c)
				fmt.Sscan(str(c["websocket.payload.close.status_code"]), &m.Code)
				m.Reason = str(c["websocket.payload.close.reason"])
				if len(pl) == 0 {
					m.Code = 1005
				}
			case "9", "10":
				m.Opcode = map[string]string{"9": "ping", "10": "pong"}[op]
				m.Data = colonHex(t, str(pl["websocket.payload."+m.Opcode]))
			default:
				t.Fatalf("tshark: opcode %s", op)
			}
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// list returns raw as a list: itself when it is a JSON array, else a list
// of one (or none when absent).
func list(raw json.RawMessage) []json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var l []json.RawMessage
	if raw[0] == '[' && json.Unmarshal(raw, &l) == nil {
		return l
	}
	return []json.RawMessage{raw}
}

func str(raw json.RawMessage) string {
	var s string
	json.Unmarshal(raw, &s)
	return s
}

func colonHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	if err != nil {
		t.Fatalf("tshark bytes %q: %v", s, err)
	}
	return b
}

// captureScript is the wskit client's side of the captured run: every
// size as text and binary, a message in fragments, a ping, and a close.
// It returns the messages the client sent, which the peer echoes.
func captureScript(ctx context.Context, c *websocket.Conn) ([]message, error) {
	var sent []message
	for _, typ := range []websocket.MessageType{websocket.MessageText, websocket.MessageBinary} {
		for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
			p := payload(typ, n)
			if err := c.Write(ctx, typ, p); err != nil {
				return nil, err
			}
			if _, _, err := c.Read(ctx); err != nil {
				return nil, err
			}
			sent = append(sent, message{Opcode: map[websocket.MessageType]string{websocket.MessageText: "text", websocket.MessageBinary: "binary"}[typ], Data: p})
		}
	}
	// A text message in fragments; compressed, it is one deflate stream
	// across frames, which tshark cannot inflate.
	w, err := c.Writer(ctx, websocket.MessageText)
	if err != nil {
		return nil, err
	}
	var whole []byte
	for i, n := range []int{300, 5000, 20} {
		part := bytes.Repeat([]byte(fmt.Sprintf("fragment %d ", i)), n/11+1)
		whole = append(whole, part...)
		w.Write(part)
		if i < 2 { // the last part goes out with Close, in the final frame
			if err := w.Flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if _, _, err := c.Read(ctx); err != nil {
		return nil, err
	}
	sent = append(sent, message{Opcode: "text", Data: whole})
	go c.Read(ctx) // the pong is read by a reader
	if _, err := c.Ping(ctx); err != nil {
		return nil, err
	}
	return sent, c.Close(4001, "bye")
}

func TestCaptureInspect(t *testing.T) {
	t.Parallel()
	needCapture(t)
	bin := buildWS(t)
	for _, m := range []compMode{compOff, compOn} {
		t.Run(m.name, func(t *testing.T) { testCaptureInspect(t, bin, m) })
	}
}

func testCaptureInspect(t *testing.T, bin string, m compMode) {
	p := start(t, python, append([]string{"peers/py_peer.py", "server"}, m.peerArgs...)...)
	port := p.line(t, `^listening (\d+)$`)[1]
	file, stop := startCapture(t, port)

	ctx := testCtx(t)
	opts := &websocket.DialOptions{NoProxy: true}
	opts.Compression = m.comp
	c, _, err := websocket.Dial(ctx, "ws://127.0.0.1:"+port+"/", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := m.check(c); err != nil {
		t.Fatal(err)
	}
	sent, err := captureScript(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	p.line(t, `^closed 4001 bye$`)
	stop()
	if keep := os.Getenv("WSKIT_KEEP_CAPTURE"); keep != "" {
		b, _ := os.ReadFile(file)
		os.WriteFile(filepath.Join(keep, "capture-"+m.name+".pcap"), b, 0o644)
	}

	out, err := exec.Command(bin, "inspect", "--json", file).Output()
	if err != nil {
		t.Fatalf("ws inspect: %v", err)
	}
	compareDecodes(t, out, file, port, sent, m.comp != nil)
}

// compareDecodes checks what ws inspect decoded (its --json output) from
// a capture of an echo session against what tshark decodes from it and
// against sent, the messages the driving side sent (each echoed once), the
// session having ended with a ping, its pong and a close each way. With
// compressed set, some messages must be ones tshark cannot inflate.
func compareDecodes(t *testing.T, out []byte, file, port string, sent []message, compressed bool) {
	t.Helper()
	got, findings, _ := parseWSEvents(t, out)
	for _, f := range findings {
		t.Errorf("ws inspect finding: %s", f)
	}
	ts := tsharkMessages(t, file, port)

	// What the peers sent: each client message, its echo, then the ping,
	// the pong and the two closes.
	var want []message
	for _, s := range sent {
		for _, dir := range []string{"client", "server"} {
			s.Dir = dir
			want = append(want, s)
		}
	}
	if len(got) != len(want)+4 {
		t.Fatalf("ws inspect decoded %d messages and control frames, want %d", len(got), len(want)+4)
	}
	if len(ts) != len(got) {
		t.Fatalf("tshark decoded %d messages and control frames, ws inspect %d", len(ts), len(got))
	}
	byDir := func(ms []message, dir string) []message {
		var r []message
		for _, m := range ms {
			if m.Dir == dir {
				r = append(r, m)
			}
		}
		return r
	}
	var fromPeers, compressedFrames int
	for _, dir := range []string{"client", "server"} {
		g, w, x := byDir(got, dir), byDir(want, dir), byDir(ts, dir)
		for i := range g {
			tm := x[i]
			if tm.Opcode == "" && i < len(w) { // tshark gives no opcode for a message in frames
				tm.Opcode = w[i].Opcode
			}
			if tm.Tshark {
				// tshark could not inflate it: compare with what was sent.
				fromPeers++
				tm = w[i]
				tm.Dir = dir
			}
			if g[i].Opcode != tm.Opcode || !bytes.Equal(g[i].Data, tm.Data) || g[i].Code != tm.Code || g[i].Reason != tm.Reason {
				t.Errorf("%s message %d: ws inspect %v, tshark %v", dir, i, g[i], tm)
			}
			if i < len(w) && !bytes.Equal(g[i].Data, w[i].Data) {
				t.Errorf("%s message %d: ws inspect %v, sent %v", dir, i, g[i], w[i])
			}
			if g[i].Deflate {
				compressedFrames++
			}
		}
	}
	if compressed && (fromPeers == 0 || compressedFrames == 0) {
		t.Errorf("compressed run: %d messages tshark could not inflate, %d compressed messages; want some of each", fromPeers, compressedFrames)
	}
	t.Logf("%d messages and control frames compared with tshark, %d of them, which tshark cannot decode, with what the peers sent", len(got), fromPeers)
}
