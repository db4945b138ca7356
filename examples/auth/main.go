// Auth is a WebSocket service for logged-in users only, guarded the way a
// browser-facing service must be: browsers send cookies with a WebSocket
// handshake from any page, so a session cookie alone would let another
// site talk as the user (cross-site WebSocket hijacking).
//
//   - POST /login?user=NAME sets a session cookie and returns a CSRF
//     token, which a page of this site can read and another site cannot.
//
//   - The token is short-lived (one minute) and bound to the session: an
//     HMAC of the session id and its expiry.
//
//   - The handshake to /ws?token=... is checked in the upgrade hook: no
//     session is 401, a token that does not match it or has expired is
//     403. The user id is stored on the connection.
//
//   - Every message carries the token again and is checked again, so a
//     connection outliving its token is closed with 1008 (policy
//     violation).
//
//     go run ./examples/auth -addr 127.0.0.1:8080
package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wskit/websocket"
	"github.com/wskit/websocket/wsjson"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log.Printf("POST http://%s/login?user=NAME, then ws://%s/ws?token=TOKEN", *addr, *addr)
	log.Fatal(http.ListenAndServe(*addr, newService(time.Now).handler()))
}

// tokenLife is how long a CSRF token is valid.
const tokenLife = time.Minute

type service struct {
	secret []byte
	now    func() time.Time // the clock, for tests

	mu       sync.Mutex
	sessions map[string]string // session id -> user id
}

func newService(now func() time.Time) *service {
	s := &service{secret: make([]byte, 32), now: now, sessions: make(map[string]string)}
	rand.Read(s.secret)
	return s
}

func (s *service) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /ws", s.ws)
	return mux
}

// login stands in for a real login form: it trusts ?user=.
func (s *service) login(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if user == "" {
		http.Error(w, "?user= is required", http.StatusBadRequest)
		return
	}
	var id [16]byte
	rand.Read(id[:])
	session := hex.EncodeToString(id[:])
	s.mu.Lock()
	s.sessions[session] = user
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Write([]byte(s.token(session, s.now().Add(tokenLife))))
}

// token is "EXPIRY.MAC": the expiry in Unix seconds and an HMAC of the
// session id and the expiry.
func (s *service) token(session string, expiry time.Time) string {
	exp := strconv.FormatInt(expiry.Unix(), 10)
	return exp + "." + s.mac(session, exp)
}

func (s *service) mac(session, exp string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(session + "|" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

var (
	errBadToken     = errors.New("token does not match the session")
	errExpiredToken = errors.New("token has expired")
)

// checkToken reports whether token is valid for session now.
func (s *service) checkToken(session, token string) error {
	exp, mac, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.mac(session, exp))) {
		return errBadToken
	}
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return errBadToken
	}
	if !s.now().Before(time.Unix(sec, 0)) {
		return errExpiredToken
	}
	return nil
}

type userKey struct{}
type sessionKey struct{}

// request and reply are the messages: each request carries the token.
type request struct {
	Token string `json:"token"`
	Text  string `json:"text"`
}

type reply struct {
	User string `json:"user"`
	Text string `json:"text"`
}

func (s *service) ws(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		ConnOptions: websocket.ConnOptions{MaxMessageSize: 4096},
		OnUpgrade: func(u *websocket.Upgrade) error {
			cookie, err := u.Request.Cookie("session")
			if err != nil {
				return websocket.Refuse(http.StatusUnauthorized, "no session")
			}
			s.mu.Lock()
			user, ok := s.sessions[cookie.Value]
			s.mu.Unlock()
			if !ok {
				return websocket.Refuse(http.StatusUnauthorized, "no session")
			}
			if err := s.checkToken(cookie.Value, u.Request.URL.Query().Get("token")); err != nil {
				return websocket.Refuse(http.StatusForbidden, err.Error())
			}
			u.SetValue(userKey{}, user)
			u.SetValue(sessionKey{}, cookie.Value)
			return nil
		},
	})
	if err != nil {
		return // Accept answered the request
	}
	defer c.CloseNow()
	s.serve(r.Context(), c)
}

// serve answers each request of a checked connection, checking its token
// again.
func (s *service) serve(ctx context.Context, c *websocket.Conn) error {
	user := c.Value(userKey{}).(string)
	session := c.Value(sessionKey{}).(string)
	for {
		var req request
		if err := wsjson.Read(ctx, c, &req); err != nil {
			if websocket.CloseStatus(err) != 0 {
				return err
			}
			return c.Close(websocket.StatusUnsupportedData, "want JSON requests")
		}
		if err := s.checkToken(session, req.Token); err != nil {
			return c.Close(websocket.StatusPolicyViolation, err.Error())
		}
		if err := wsjson.Write(ctx, c, reply{User: user, Text: req.Text}); err != nil {
			return err
		}
	}
}
