package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wskit/websocket/inspect"
	"github.com/wskit/websocket/inspect/pcap"
)

const inspectHelp = `Usage: ws inspect [flags] FILE

Decodes the WebSocket connections in a pcap or pcapng capture: TCP is
reassembled in both directions, the HTTP upgrade is found on any port and
checked, and every message and control frame is printed, one line each:
time, connection, direction, type, length, close code and reason, and the
payload (text as text, binary as hex, cut to --width bytes). Messages are
unmasked and, when permessage-deflate was negotiated, decompressed, also
across frames. Protocol violations, gaps in the capture and failed
handshakes are printed as findings and notes; decoding goes on.

With --json each event is one JSON object per line, with the fields time,
conn, dir (client or server), opcode, fin, len, payload (text) or
payload_b64 (binary), close_code, close_reason and compressed; findings are
{"finding": ...}, and there are objects for each upgrade, note and end.

A connection whose handshake is not in the capture is decoded from the
middle (--midstream, on by default): each direction starts at the first run
of plausible frame headers, and its role is told by masking.

Exit codes: 0 ok, 1 unreadable capture, 2 usage error.
`

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ws inspect", inspectHelp)
	jsonOut := fs.Bool("json", false, "print one JSON object per event")
	var width widthFlag
	fs.Var(&width, "width", "payload `bytes` shown per message, 0 for all (default 64, all with --json)")
	midstream := fs.Bool("midstream", true, "decode connections whose handshake is not in the capture")
	pos, code, done := parseArgs(fs, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "ws inspect: want one capture FILE (try: ws inspect -h)")
		return exitUsage
	}
	log := newFrameLog(stdout, *jsonOut, width.value())
	opts := &pcap.Options{
		Midstream: *midstream,
		Handler: func(c *pcap.Conn) inspect.Handler {
			if c.Upgrade != nil {
				log.upgrade(c.ID, c.Start, c.Client.String(), c.Server.String(), c.Upgrade)
			}
			return log.handler(c.ID)
		},
		Note: func(c *pcap.Conn, t time.Time, err error) {
			log.note(c.ID, t, fmt.Sprintf("%s <-> %s: %v", c.Client, c.Server, err))
		},
	}
	if err := pcap.ReadFile(pos[0], opts); err != nil {
		fmt.Fprintf(stderr, "ws inspect: %s\n", errText(err))
		return exitError
	}
	return exitOK
}
