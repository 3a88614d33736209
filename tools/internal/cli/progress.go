package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ProgressMin is the size from which a transfer shows progress: smaller
// ones finish before a line would be worth drawing.
const ProgressMin = 8 << 20

// IsTerminal reports whether f is a terminal (it answers TCGETS).
func IsTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Meter draws one self-overwriting progress line ("\r...") for a transfer.
// A nil *Meter does nothing, so tools call it unconditionally; it is nil
// unless stderr is a terminal, keeping scripts' and pipes' stderr clean.
//
// Wrapping the local file hides it from the socket's sendfile/splice, so a
// metered transfer is copied through user space: a price paid only when a
// person is watching.
type Meter struct {
	w       io.Writer
	name    string
	total   int64 // bytes expected, 0 if unknown
	done    int64
	started time.Time
	last    time.Time
	drawn   bool
	now     func() time.Time
}

// NewMeter returns a meter for a transfer of total bytes (0: unknown)
// drawing on stderr, or nil when stderr is not a terminal or the transfer
// is known to be small.
func NewMeter(name string, total int64) *Meter {
	if !IsTerminal(os.Stderr) || (total > 0 && total < ProgressMin) {
		return nil
	}
	return newMeter(os.Stderr, name, total, time.Now)
}

func newMeter(w io.Writer, name string, total int64, now func() time.Time) *Meter {
	t := now()
	return &Meter{w: w, name: name, total: total, started: t, last: t, now: now}
}

// Reader counts what is read from r.
func (m *Meter) Reader(r io.Reader) io.Reader {
	if m == nil {
		return r
	}
	return &meterReader{r: r, m: m}
}

// Writer counts what is written to w.
func (m *Meter) Writer(w io.Writer) io.Writer {
	if m == nil {
		return w
	}
	return &meterWriter{w: w, m: m}
}

// add counts n more bytes and redraws at most five times a second, and not
// before ProgressMin bytes have moved (for transfers of unknown size).
func (m *Meter) add(n int) {
	m.done += int64(n)
	if n == 0 || m.done < ProgressMin {
		return
	}
	if t := m.now(); t.Sub(m.last) >= 200*time.Millisecond || !m.drawn {
		m.last = t
		m.draw()
	}
}

func (m *Meter) draw() {
	m.drawn = true
	secs := m.now().Sub(m.started).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(m.done) / secs
	}
	if m.total > 0 {
		fmt.Fprintf(m.w, "\r%s: %3d%% %s / %s %s/s ", m.name, m.done*100/m.total, mib(float64(m.done)),
			mib(float64(m.total)), mib(rate))
		return
	}
	fmt.Fprintf(m.w, "\r%s: %s %s/s ", m.name, mib(float64(m.done)), mib(rate))
}

// Done draws the final state and ends the line, if a line was started.
func (m *Meter) Done() {
	if m == nil || !m.drawn {
		return
	}
	m.draw()
	fmt.Fprintln(m.w)
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

type meterReader struct {
	r io.Reader
	m *Meter
}

func (r *meterReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.add(n)
	return n, err
}

type meterWriter struct {
	w io.Writer
	m *Meter
}

func (w *meterWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.m.add(n)
	return n, err
}
