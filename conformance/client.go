package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wskit/websocket/handshake"
	"github.com/wskit/websocket/wire"
)

// ClientTester tests a WebSocket client. It is an http.Handler speaking the
// original suite's protocol, so the test clients written for it work
// unchanged; each endpoint is a WebSocket handshake:
//
//   - /getCaseCount: sends the number of cases as a text message, then
//     closes.
//   - /getCaseInfo?case=N: sends {"id": ..., "description": ...} as a text
//     message, then closes.
//   - /runCase?case=N&agent=NAME: runs case N (1-based, in the order of the
//     cases given to NewClientTester) with the tester as server; the
//     client must echo every message it receives.
//   - /getCaseStatus?case=N&agent=NAME: sends {"behavior": VERDICT} for a
//     case the agent has run, then closes.
//   - /updateReports?agent=NAME: closes at once, and completes the agent's
//     report, which Done then delivers.
//
// Results are kept per agent. A ClientTester is safe for concurrent use.
type ClientTester struct {
	cases []Case
	opts  *Options
	files map[string][]byte
	done  chan *Report

	mu       sync.Mutex
	agents   map[string]*agentRun
	progress sync.Mutex
}

// agentRun is what one agent has run so far.
type agentRun struct {
	started time.Time
	target  string
	results map[int]Result
	running int // cases still being judged, under ClientTester.mu
}

// waitJudged waits until the agent's cases in progress are judged: a client
// sees a case's connection end a moment before the tester has its verdict.
func (t *ClientTester) waitJudged(agent string) {
	t.mu.Lock()
	a := t.agents[agent]
	t.mu.Unlock()
	if a == nil {
		return
	}
	deadline := time.Now().Add(2 * t.opts.closeWait())
	for time.Now().Before(deadline) {
		t.mu.Lock()
		n := a.running
		t.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// agent returns the run of the named agent, created on first use.
func (t *ClientTester) agent(name string, r *http.Request) *agentRun {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.agents[name]
	if a == nil {
		a = &agentRun{started: time.Now(), target: "ws://" + r.Host, results: map[int]Result{}}
		t.agents[name] = a
	}
	return a
}

// NewClientTester returns a handler that serves cases to clients under
// test. It fails when a case needs a payload file it cannot read.
func NewClientTester(cases []Case, opts *Options) (*ClientTester, error) {
	if opts == nil {
		opts = &Options{}
	}
	files, err := loadPayloads(opts.Payloads, cases)
	if err != nil {
		return nil, err
	}
	return &ClientTester{
		cases:  cases,
		opts:   opts,
		files:  files,
		done:   make(chan *Report, 16),
		agents: map[string]*agentRun{},
	}, nil
}

// Done delivers an agent's report each time that agent calls
// /updateReports. Reports that nobody receives are dropped once 16 are
// waiting.
func (t *ClientTester) Done() <-chan *Report { return t.done }

// Agents returns the names of the agents that have run cases, sorted.
func (t *ClientTester) Agents() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := make([]string, 0, len(t.agents))
	for n := range t.agents {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Report returns the report of what agent has run so far, in case order,
// or nil when the agent has run nothing.
func (t *ClientTester) Report(agent string) *Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.agents[agent]
	if a == nil {
		return nil
	}
	rep := &Report{Agent: agent, Mode: ModeClient, Target: a.target, Started: a.started, Selected: len(t.cases)}
	idx := make([]int, 0, len(a.results))
	for i := range a.results {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		rep.Results = append(rep.Results, a.results[i])
	}
	rep.Duration = time.Since(a.started)
	return rep
}

func (t *ClientTester) agentName(r *http.Request) string {
	if a := r.URL.Query().Get("agent"); a != "" {
		return a
	}
	if t.opts.Agent != "" {
		return t.opts.Agent
	}
	return "unknown"
}

// caseIndex parses the 1-based case query parameter.
func (t *ClientTester) caseIndex(r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.URL.Query().Get("case"))
	if err != nil || n < 1 || n > len(t.cases) {
		return 0, false
	}
	return n - 1, true
}

// ServeHTTP answers the endpoints listed on [ClientTester].
func (t *ClientTester) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/getCaseCount":
		t.serveMessage(w, r, []byte(strconv.Itoa(len(t.cases))))
	case "/getCaseInfo":
		i, ok := t.caseIndex(r)
		if !ok {
			http.Error(w, "no such case", http.StatusBadRequest)
			return
		}
		b, _ := json.Marshal(map[string]string{"id": t.cases[i].ID, "description": t.cases[i].Description})
		t.serveMessage(w, r, b)
	case "/getCaseStatus":
		i, ok := t.caseIndex(r)
		if !ok {
			http.Error(w, "no such case", http.StatusBadRequest)
			return
		}
		t.waitJudged(t.agentName(r))
		t.mu.Lock()
		var v Verdict
		if a := t.agents[t.agentName(r)]; a != nil {
			v = a.results[i].Verdict
		}
		t.mu.Unlock()
		if v == "" {
			http.Error(w, "case not run by this agent", http.StatusNotFound)
			return
		}
		b, _ := json.Marshal(map[string]Verdict{"behavior": v})
		t.serveMessage(w, r, b)
	case "/runCase":
		t.runCase(w, r)
	case "/updateReports":
		agent := t.agentName(r)
		t.serveMessage(w, r, nil)
		t.waitJudged(agent)
		if rep := t.Report(agent); rep != nil {
			select {
			case t.done <- rep:
			default:
			}
		}
	default:
		http.NotFound(w, r)
	}
}

// upgrade checks the opening handshake (RFC 6455 §4.2.1), lets choose pick
// the extensions to accept, and takes over the connection. It answers the
// request itself on failure and returns a nil net.Conn.
func upgrade(w http.ResponseWriter, r *http.Request, choose func(*handshake.Offer) []handshake.Extension) (net.Conn, io.Reader) {
	offer, err := handshake.CheckRequest(r)
	if err != nil {
		var re *handshake.RequestError
		status := http.StatusBadRequest
		if errors.As(err, &re) {
			for k, v := range re.Header {
				w.Header()[k] = v
			}
			status = re.Status
		}
		http.Error(w, err.Error(), status)
		return nil, nil
	}
	var exts []handshake.Extension
	if choose != nil {
		exts = choose(offer)
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket: cannot take over the connection", http.StatusInternalServerError)
		return nil, nil
	}
	nc.SetDeadline(time.Now().Add(handshakeTimeout))
	if _, err := nc.Write(handshake.AppendResponse(nil, offer.Key, "", exts, nil)); err != nil {
		nc.Close()
		return nil, nil
	}
	nc.SetDeadline(time.Time{})
	return nc, brw.Reader
}

// serveMessage accepts the handshake, sends msg as a text message (none
// when nil), closes with 1000 and waits briefly for the client's close.
func (t *ClientTester) serveMessage(w http.ResponseWriter, r *http.Request, msg []byte) {
	nc, rd := upgrade(w, r, nil)
	if nc == nil {
		return
	}
	defer nc.Close()
	var out []byte
	if msg != nil {
		out = wire.AppendFrame(out, wire.Header{Fin: true, Opcode: wire.OpText}, msg)
	}
	out = wire.AppendFrame(out, wire.Header{Fin: true, Opcode: wire.OpClose}, wire.AppendClosePayload(nil, wire.StatusNormalClosure, ""))
	if _, err := nc.Write(out); err != nil {
		return
	}
	// Wait for the client's close frame, then close TCP (RFC 6455 §7.1.1).
	nc.SetReadDeadline(time.Now().Add(t.opts.closeWait()))
	var dec wire.Decoder
	var ev wire.Event
	buf := make([]byte, 4096)
	for {
		n, err := rd.Read(buf)
		for p := buf[:n]; len(p) > 0; {
			used, derr := dec.Decode(p, &ev)
			if derr != nil {
				return
			}
			p = p[used:]
			if ev.Kind != wire.EventNone && ev.FrameEnd() && ev.Header.Opcode == wire.OpClose {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// runCase runs one case with the client under test.
func (t *ClientTester) runCase(w http.ResponseWriter, r *http.Request) {
	i, ok := t.caseIndex(r)
	if !ok {
		http.Error(w, "case must be 1 to "+strconv.Itoa(len(t.cases)), http.StatusBadRequest)
		return
	}
	c := &t.cases[i]
	a := t.agent(t.agentName(r), r)
	t.mu.Lock()
	a.running++
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		a.running--
		t.mu.Unlock()
	}()
	log := &logger{start: time.Now()}
	var defl *deflateParams
	nc, rd := upgrade(w, r, func(offer *handshake.Offer) []handshake.Extension {
		if c.Deflate == nil {
			return nil
		}
		if len(offer.Extensions) > 0 {
			log.printf("client offered %s", handshake.FormatExtensions(offer.Extensions))
		}
		resp, p := answerOffers(c.Deflate, offer.Extensions)
		if resp == nil {
			return nil
		}
		defl = p
		log.printf("accepted %s (%s)", resp, p)
		return []handshake.Extension{*resp}
	})
	if nc == nil {
		return
	}
	log.printf("client %s connected", nc.RemoteAddr())

	ctx, cancel := context.WithTimeout(context.Background(), t.opts.caseTimeout(c))
	defer cancel()
	s := newSession(c, t.opts, nc, rd, wire.RoleServer, defl, t.files, log)
	res := s.run(ctx)

	t.mu.Lock()
	a.results[i] = res
	t.mu.Unlock()
	if t.opts.Progress != nil {
		t.progress.Lock()
		t.opts.Progress(res)
		t.progress.Unlock()
	}
}

// RunClient serves cases on ln to a client under test and returns the
// report of the first agent that calls /updateReports. The caller tells
// the client where to connect (ln.Addr()). When ctx ends first, it returns
// the report of the agent that ran the most cases (nil when none ran) and
// ctx's error. It closes ln before returning.
func RunClient(ctx context.Context, ln net.Listener, cases []Case, opts *Options) (*Report, error) {
	t, err := NewClientTester(cases, opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	srv := &http.Server{Handler: t, ReadHeaderTimeout: handshakeTimeout}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	defer srv.Close()
	select {
	case rep := <-t.Done():
		return rep, nil
	case err := <-errc:
		return nil, err
	case <-ctx.Done():
		var best *Report
		for _, a := range t.Agents() {
			if rep := t.Report(a); best == nil || len(rep.Results) > len(best.Results) {
				best = rep
			}
		}
		return best, ctx.Err()
	}
}
