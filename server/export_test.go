package server

import "github.com/wskit/websocket"

// QueueLen returns how many broadcasts wait for c, or -1 when c is not a
// live connection of s.
func QueueLen(s *Server, c *websocket.Conn) int {
	s.mu.Lock()
	cl := s.clients[c]
	s.mu.Unlock()
	if cl == nil {
		return -1
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return len(cl.queue) - cl.head
}

// OnBudgetChange makes s call f after every reservation, refusal and
// release of its memory budget. Set it before s serves anything.
func OnBudgetChange(s *Server, f func()) { s.budget.changed = f }

// OnConnEnd makes s call f when it is done with a connection: its handler
// returned, it is out of the registry, counted, logged and its MaxConns
// slot is free. Set it before s serves anything.
func OnConnEnd(s *Server, f func()) { s.ended = f }
