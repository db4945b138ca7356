//go:build !unix

package websocket

import "io"

// rawPoll is not available here: a read blocks inside the buffer.
type rawPoll struct{}

func (p *rawPoll) init(*inbuf)          {}
func (p *rawPoll) ok() bool             { return false }
func (b *inbuf) pollRead() (int, error) { return 0, io.ErrNoProgress }
func (b *inbuf) writeNow([]byte) int    { return 0 }
