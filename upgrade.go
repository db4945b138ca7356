package websocket

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Upgrade is an opening handshake that Accept found valid and whose origin
// the policy allows, handed to AcceptOptions.OnUpgrade before it is
// answered. The hook may read anything in Request (cookies, query, headers)
// and change the fields below; what it leaves there is what Accept does.
type Upgrade struct {
	// Request is the client's request. Its body must not be read.
	Request *http.Request

	// Offered are the subprotocols the client offered, in its order of
	// preference.
	Offered []string

	// Subprotocol is the subprotocol to answer with: the one selected from
	// AcceptOptions.Subprotocols, which the hook may replace by another
	// offered one or by "" for none. One that was not offered makes Accept
	// answer 500, since the client would have to fail the connection.
	Subprotocol string

	// Header holds extra headers for the 101 response, such as Set-Cookie.
	// It starts as a copy of AcceptOptions.ResponseHeader.
	Header http.Header

	// PingInterval sets this connection's keepalive: 0 leaves the
	// configured one, a negative value turns it off.
	PingInterval time.Duration

	values map[any]any
}

// SetValue attaches a per-connection value, readable later with
// [Conn.Value] by handlers and registries.
func (u *Upgrade) SetValue(key, value any) {
	if u.values == nil {
		u.values = make(map[any]any)
	}
	u.values[key] = value
}

// Value returns a value attached with SetValue or given in
// AcceptOptions.Values, or nil.
func (u *Upgrade) Value(key any) any { return u.values[key] }

// Refusal is the answer to an opening handshake that the OnUpgrade hook
// refuses: any HTTP status, headers and body. Return one (possibly wrapped)
// from the hook; Accept writes it and returns an error that wraps it.
type Refusal struct {
	Status int
	Header http.Header
	Body   []byte

	// Reason names the refusal in logs and counters (such as "bad token");
	// it is not sent. Empty means the status text.
	Reason string
}

func (r *Refusal) Error() string {
	reason := r.Reason
	if reason == "" {
		reason = http.StatusText(r.Status)
	}
	return fmt.Sprintf("websocket: upgrade refused with %d: %s", r.Status, reason)
}

// Refuse returns a refusal with status and message as a plain-text body;
// message is also its Reason.
func Refuse(status int, message string) *Refusal {
	h := make(http.Header, 2)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	return &Refusal{Status: status, Header: h, Body: []byte(message + "\n"), Reason: message}
}

// RefuseJSON returns a refusal with status and v encoded as a JSON body.
func RefuseJSON(status int, v any) *Refusal {
	body, err := json.Marshal(v)
	if err != nil {
		return Refuse(http.StatusInternalServerError, "internal error")
	}
	h := make(http.Header, 1)
	h.Set("Content-Type", "application/json")
	return &Refusal{Status: status, Header: h, Body: append(body, '\n')}
}

// ErrUpgradeRefused is wrapped by Accept's error when the OnUpgrade hook
// refused the handshake with an error that is not a *Refusal (Accept then
// answers 403 without revealing the error), or chose a subprotocol the
// client did not offer (500).
var ErrUpgradeRefused = errors.New("websocket: upgrade refused by the server's hook")

// errBadSubprotocol is the hook's choice of a subprotocol not offered.
var errBadSubprotocol = fmt.Errorf("%w: it chose a subprotocol the client did not offer", ErrUpgradeRefused)

// runUpgradeHook calls hook with u and turns its verdict into the refusal
// to write, or nil to go on. The error returned with a refusal wraps it.
func runUpgradeHook(hook func(*Upgrade) error, u *Upgrade) (*Refusal, error) {
	err := hook(u)
	var r *Refusal
	switch {
	case err == nil && u.Subprotocol != "" && !slices.Contains(u.Offered, u.Subprotocol):
		r = Refuse(http.StatusInternalServerError, "internal error")
		return r, fmt.Errorf("%w: %w: %q", r, errBadSubprotocol, u.Subprotocol)
	case err == nil:
		return nil, nil
	case errors.As(err, &r):
		return r, err
	}
	r = Refuse(http.StatusForbidden, "forbidden")
	return r, fmt.Errorf("%w: %w: %w", r, ErrUpgradeRefused, err)
}

// writeRefusal answers with r.
func writeRefusal(w http.ResponseWriter, r *Refusal) {
	for name, values := range r.Header {
		w.Header()[name] = values
	}
	status := r.Status
	if status < 400 || status > 599 {
		status = http.StatusForbidden
	}
	w.WriteHeader(status)
	w.Write(r.Body)
}
