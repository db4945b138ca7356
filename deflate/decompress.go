package deflate

import (
	"bufio"
	"compress/flate"
	"io"
	"sync"
)

// finalTail is what the decompressor puts after a message's payload: the
// 00 00 ff ff of RFC 7692 §7.2.2, then an empty stored block with BFINAL
// set, so that the inflater ends the message with io.EOF instead of asking
// for more input.
const finalTail = tail + "\x01\x00\x00\xff\xff"

// minBytesPerFinalBlock bounds the work a peer can cause with many tiny
// final blocks in one message, each of which restarts the inflater and
// copies the history into it: after the first few, a message must carry
// this many compressed bytes per final block, or it fails with ErrCorrupt.
const minBytesPerFinalBlock = 512

// Decompressor inflates the messages of one direction of a connection
// (RFC 7692 §7.2.2). For each compressed message, call [Decompressor.Reset]
// with a reader of its payload (the frames' payloads concatenated, io.EOF at
// the end of the message), then [Decompressor.Read] until io.EOF.
//
// Read never returns more than the caller asks for and never buffers the
// whole message: its working memory is a fixed amount (about 80 KiB) taken
// from a pool at the first Read of a message and given back at its end. So
// a limit on the size of decompressed messages can be enforced while
// reading, whatever the compression ratio.
// Between messages, with context takeover, it keeps only the last
// 2^WindowBits bytes of output, the history the next message may refer to
// (RFC 7692 §7.1.1, §7.1.2); without, nothing.
//
// With context takeover every message must be read to io.EOF: a message
// abandoned by [Decompressor.Reset] or [Decompressor.Release] loses the
// history, and a later message that refers to it fails with [ErrCorrupt].
//
// Inflating always uses a 32 KiB window, which accepts data compressed with
// any smaller one. A final block (BFINAL set) inside a message, which RFC
// 7692 §7.2.3.4 allows, is followed by the rest of the message inflated with
// the history so far.
//
// Invalid compressed data fails with [ErrCorrupt]; an error from the
// payload reader is returned as it is. Either is returned again by every
// Read until the next Reset. A Decompressor is not safe for concurrent use.
type Decompressor struct {
	flow Flow
	hist history   // with context takeover: the output's last window
	src  io.Reader // the current message's payload, nil between messages
	dec  *decoder  // pooled working memory, from the first Read of a message to its end
	err  error     // the end of the current message: io.EOF or the failure
}

// decoder is the pooled working memory of a Decompressor.
type decoder struct {
	fr       io.ReadCloser // a compress/flate reader, which is also a flate.Resetter
	br       *bufio.Reader // over in, giving fr the io.ByteReader it needs
	in       tailReader
	ring     history // without context takeover: this message's output
	dict     []byte  // scratch for the history in one piece
	restarts int     // final blocks met in this message
}

var decoderPool sync.Pool

// NewDecompressor returns a Decompressor for the flow f. It allocates no
// working memory until the first message.
func NewDecompressor(f Flow) *Decompressor {
	f.WindowBits = windowBits(f.WindowBits)
	d := &Decompressor{flow: f, err: io.EOF}
	if !f.NoContextTakeover {
		d.hist = newHistory(f.WindowBits)
	}
	return d
}

// Reset starts a message whose compressed payload is read from src; a nil
// src is an empty payload, which is taken as an empty message, as zlib-based
// peers do. A message not yet read to its end is abandoned (see
// [Decompressor]).
func (d *Decompressor) Reset(src io.Reader) {
	d.abandon()
	d.src, d.err = src, nil
}

// Read reads decompressed bytes of the current message into p, and returns
// io.EOF at its end. Between messages it returns 0, io.EOF.
func (d *Decompressor) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.dec == nil {
		d.start()
	}
	dec := d.dec
	for {
		n, err := dec.fr.Read(p)
		if n > 0 {
			d.history().write(p[:n])
		}
		switch {
		case err == nil:
			if n > 0 {
				return n, nil
			}
		case err == io.EOF:
			// A final block: ours after the payload, or the peer's.
			more, err := dec.moreInput()
			if err != nil {
				return n, d.fail(err)
			}
			if !more {
				d.end(io.EOF)
				return n, io.EOF
			}
			if !dec.restart(d.history()) {
				return n, d.fail(ErrCorrupt)
			}
			if n > 0 {
				return n, nil
			}
		case dec.in.err != nil:
			return n, d.fail(dec.in.err)
		case err == io.ErrNoProgress:
			return n, d.fail(err) // the payload reader keeps returning 0, nil
		case dec.in.n == 0 && dec.in.srcDone:
			// An empty payload, which zlib-based peers inflate to an
			// empty message, is taken as one.
			d.end(io.EOF)
			return n, io.EOF
		default:
			return n, d.fail(ErrCorrupt)
		}
	}
}

// Release abandons the current message, if any, and returns its working
// memory to the pool (see [Decompressor] for what that costs with context
// takeover). Between messages it does nothing: the memory went back at the
// end of the last one.
func (d *Decompressor) Release() {
	if d.err == nil {
		d.abandon()
	}
}

// history returns where the output goes to serve as history: the kept
// window with context takeover, the pooled one for this message without.
func (d *Decompressor) history() *history {
	if d.flow.NoContextTakeover {
		return &d.dec.ring
	}
	return &d.hist
}

// start takes working memory from the pool for the current message.
func (d *Decompressor) start() {
	dec, _ := decoderPool.Get().(*decoder)
	if dec == nil {
		dec = &decoder{ring: newHistory(MaxWindowBits)}
		dec.br = bufio.NewReader(&dec.in)
		dec.fr = flate.NewReader(dec.br)
	}
	dec.in = tailReader{src: d.src}
	dec.br.Reset(&dec.in)
	dec.ring.reset()
	dec.restarts = 0
	var dict []byte
	if d.hist.len() > 0 {
		dec.dict = d.hist.appendTo(dec.dict[:0])
		dict = dec.dict
	}
	_ = dec.fr.(flate.Resetter).Reset(dec.br, dict) // never fails
	d.dec = dec
}

// end finishes the current message with err and returns the working memory.
func (d *Decompressor) end(err error) {
	if d.dec != nil {
		d.dec.in = tailReader{}
		decoderPool.Put(d.dec)
		d.dec = nil
	}
	d.src, d.err = nil, err
}

// fail ends the current message with err, which it returns. The connection
// is to be failed, so the history is dropped too.
func (d *Decompressor) fail(err error) error {
	d.end(err)
	d.hist.free()
	return err
}

// abandon ends a message that was started and not read to its end; with
// context takeover the history is then incomplete, so it is forgotten.
func (d *Decompressor) abandon() {
	if d.err == nil {
		d.hist.reset()
	}
	d.end(io.EOF)
}

// moreInput reports whether payload bytes remain after the inflater met a
// final block. Bytes reach br as the payload then finalTail, so the bytes
// br still holds are a suffix of that sequence.
func (dec *decoder) moreInput() (bool, error) {
	for {
		b := dec.br.Buffered()
		if dec.in.srcDone {
			return b > min(b, dec.in.tailPos), nil
		}
		if b > 0 {
			return true, nil
		}
		if _, err := dec.br.Peek(1); err != nil && !dec.in.srcDone {
			if dec.in.err != nil {
				return false, dec.in.err
			}
			return false, err
		}
	}
}

// restart starts the inflater again on the rest of the payload after a
// final block, with the output so far as history, within the budget of
// minBytesPerFinalBlock.
func (dec *decoder) restart(h *history) bool {
	dec.restarts++
	if dec.restarts > 4 && dec.in.n < int64(dec.restarts)*minBytesPerFinalBlock {
		return false
	}
	dec.dict = h.appendTo(dec.dict[:0])
	_ = dec.fr.(flate.Resetter).Reset(dec.br, dec.dict)
	return true
}

// tailReader reads src, then finalTail (RFC 7692 §7.2.2).
type tailReader struct {
	src     io.Reader
	n       int64 // bytes read from src
	srcDone bool  // src returned io.EOF
	tailPos int   // bytes of finalTail returned
	err     error // what src returned other than io.EOF
}

func (t *tailReader) Read(p []byte) (int, error) {
	if t.src == nil {
		t.srcDone = true
	}
	if !t.srcDone {
		n, err := t.src.Read(p)
		t.n += int64(n)
		switch {
		case err == io.EOF:
			t.srcDone = true
			if n > 0 {
				return n, nil
			}
		case err != nil:
			t.err = err
			return n, err
		default:
			return n, nil
		}
	}
	if t.tailPos == len(finalTail) {
		return 0, io.EOF
	}
	n := copy(p, finalTail[t.tailPos:])
	t.tailPos += n
	return n, nil
}
