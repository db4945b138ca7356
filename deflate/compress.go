package deflate

import (
	"sync"

	"github.com/klauspost/compress/flate"
)

// Compression levels for [NewCompressor].
//
// Levels 1 to 6 use fast matchers that keep no context across a flush of
// fewer than 128 bytes, so with context takeover a message that small is
// compressed on its own; compressing such messages rarely pays, and a
// connection normally sends them uncompressed. Levels 7 to 9 use lazy
// matching: slower, and resetting their tables for each message without
// context takeover costs about as much as compressing a few KiB, but they
// keep context for messages of any size.
//
// Below 15 window bits the level is not used: a window-limited matcher of
// about level 5 compresses instead.
const (
	BestSpeed       = 1
	BestCompression = 9
	// DefaultLevel is level 1, chosen by measurement (BenchmarkCompress):
	// on JSON-like messages of 1 to 64 KiB with context takeover, levels 5
	// and 7 make the output 3 to 4 points smaller (for instance 18.1% and
	// 16.7% of the input instead of 21.0% at 64 KiB) for 1.15 to 3.3 times
	// the time.
	DefaultLevel = BestSpeed
)

// tail is the end of a sync flush, an empty stored block's LEN and NLEN,
// that RFC 7692 §7.2.1 removes from a compressed message and §7.2.2 puts
// back.
const tail = "\x00\x00\xff\xff"

// Compressor compresses the messages of one direction of a connection
// (RFC 7692 §7.2.1), one message at a time: [Compressor.Compress] any number
// of times, [Compressor.Flush] at each fragment boundary if the message is
// sent in several frames, and [Compressor.Finish] for the bytes that end the
// message. Every call appends to a slice the caller owns and keeps no
// reference to it.
//
// The working memory (0.8 to 1.1 MiB depending on the level; see
// BenchmarkIdleMemory) comes from a pool when a message starts. Without context takeover it goes back at the
// end of each message. With context takeover it stays between messages
// until [Compressor.Release], which keeps only the last 2^WindowBits bytes
// of input to carry the context over.
//
// A Compressor is not safe for concurrent use.
type Compressor struct {
	flow  Flow
	level int
	pool  *sync.Pool
	enc   *encoder // nil when released
	hist  history  // with context takeover: the input's last window
	inMsg bool     // a message is started and not finished
}

// encoder is the pooled working memory of a Compressor.
type encoder struct {
	w    *flate.Writer
	out  appendWriter // w's destination
	dict []byte       // scratch for priming w with a history
}

// appendWriter is an io.Writer that appends to buf; the Compressor points
// buf at the caller's slice for the length of one call.
type appendWriter struct{ buf []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.buf = append(a.buf, p...)
	return len(p), nil
}

// encoderPools holds one pool for each kind of encoder: indexes 0 to 8 for
// levels 1 to 9 with a 15-bit window, 9 to 15 for window bits 8 to 14.
var encoderPools [16]sync.Pool

// NewCompressor returns a Compressor for the flow f, at level 1
// ([BestSpeed]) to 9 ([BestCompression]); 0 means [DefaultLevel], and
// other values are taken as the nearest level. It allocates no working
// memory until the first message.
//
// Back-references never reach further than 2^f.WindowBits bytes, so a
// peer's window limit is always honoured, 8 bits included (RFC 7692
// §7.1.2.1).
func NewCompressor(f Flow, level int) *Compressor {
	f.WindowBits = windowBits(f.WindowBits)
	switch {
	case level == 0:
		level = DefaultLevel
	case level < BestSpeed:
		level = BestSpeed
	case level > BestCompression:
		level = BestCompression
	}
	c := &Compressor{flow: f, level: level}
	if f.WindowBits == MaxWindowBits {
		c.pool = &encoderPools[level-1]
	} else {
		c.pool = &encoderPools[9+f.WindowBits-MinWindowBits]
	}
	if !f.NoContextTakeover {
		c.hist = newHistory(f.WindowBits)
	}
	return c
}

// acquire returns the encoder, taking one from the pool and priming it with
// the history when the Compressor has none.
func (c *Compressor) acquire() *encoder {
	if c.enc != nil {
		return c.enc
	}
	e, _ := c.pool.Get().(*encoder)
	fresh := e == nil
	if fresh {
		e = new(encoder)
		var err error
		if c.flow.WindowBits == MaxWindowBits {
			e.w, err = flate.NewWriter(&e.out, c.level)
		} else {
			e.w, err = flate.NewWriterWindow(&e.out, 1<<c.flow.WindowBits)
		}
		if err != nil {
			panic("deflate: " + err.Error()) // unreachable: level and window are checked
		}
	}
	switch {
	case c.hist.len() > 0:
		e.dict = c.hist.appendTo(e.dict[:0])
		e.w.ResetDict(&e.out, e.dict)
	case !fresh:
		// ResetDict rather than Reset: Reset would prime the writer again
		// with whatever dictionary its previous user gave it.
		e.w.ResetDict(&e.out, nil)
	}
	c.enc = e
	return e
}

// release returns the encoder to the pool.
func (c *Compressor) release() {
	if c.enc == nil {
		return
	}
	c.enc.out.buf = nil
	c.pool.Put(c.enc)
	c.enc = nil
}

// Compress feeds p into the current message, starting one if none is
// started, and appends to dst the compressed bytes that are ready, which
// may be none: the compressor holds back input until it has a block's worth
// or is flushed.
func (c *Compressor) Compress(dst, p []byte) []byte {
	e := c.acquire()
	c.inMsg = true
	e.out.buf = dst
	_, _ = e.w.Write(p) // appendWriter never fails, so neither does w
	dst, e.out.buf = e.out.buf, nil
	if !c.flow.NoContextTakeover {
		c.hist.write(p)
	}
	return dst
}

// Flush appends to dst every compressed byte of the current message not
// yet returned, ending with a sync flush so that the peer can inflate all
// the input so far (RFC 7692 §7.2.1): call it to end a fragment that is not
// the message's last. The result ends with 00 00 ff ff, which only
// [Compressor.Finish] removes. Flush starts a message if none is started.
func (c *Compressor) Flush(dst []byte) []byte {
	e := c.acquire()
	c.inMsg = true
	e.out.buf = dst
	_ = e.w.Flush()
	dst, e.out.buf = e.out.buf, nil
	return dst
}

// Finish ends the current message and appends its last compressed bytes to
// dst: a sync flush with its final 00 00 ff ff removed (RFC 7692 §7.2.1).
// It always appends at least one byte; Finish with no message started
// appends the single byte 0x00, the compressed empty message. Without
// context takeover the working memory goes back to the pool.
func (c *Compressor) Finish(dst []byte) []byte {
	if !c.inMsg {
		// Nothing since the last sync flush: the empty stored block that a
		// flush would add is this byte and the tail.
		return append(dst, 0)
	}
	start := len(dst)
	dst = c.Flush(dst)
	if n := len(dst); n-start >= len(tail) && string(dst[n-len(tail):]) == tail {
		dst = dst[:n-len(tail)]
	}
	if len(dst) == start {
		dst = append(dst, 0) // unreachable: a sync flush writes at least 5 bytes
	}
	c.inMsg = false
	if c.flow.NoContextTakeover {
		c.release()
	}
	return dst
}

// Release returns the working memory to the pool between messages, for
// instance when the connection goes idle; during a message it does
// nothing. With context takeover the next message first primes new working
// memory with the kept history, which costs about as much as compressing
// 2^WindowBits bytes; without, there is nothing to keep and Release is
// never needed.
func (c *Compressor) Release() {
	if !c.inMsg {
		c.release()
	}
}
