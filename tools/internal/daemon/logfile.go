// Package daemon is what fdfs_trackerd and fdfs_storaged share with their C
// namesakes: the `PROG CONF [start|stop|restart]` command line, the pid file
// under base_path/data, and logs under base_path/logs in C's line format.
package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// LogFile is an append-only log file that can be reopened (SIGHUP, after
// logrotate moved it away).
type LogFile struct {
	mu   sync.Mutex
	path string
	f    *os.File
}

// OpenLogFile opens (creating dirs as needed) path for appending.
func OpenLogFile(path string) (*LogFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	l := &LogFile{path: path}
	return l, l.Reopen()
}

// Reopen closes the file and opens path again.
func (l *LogFile) Reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open log %s: %w", l.path, err)
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// Close closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// CHandler writes records the way the C daemons write their logs:
//
//	[2026-11-21 22:24:01] INFO - message, key=value, key=value
//
// so the greps and log shippers set up for C keep working.
type CHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs string // pre-formatted ", k=v" of WithAttrs
	group string
	now   func() time.Time
}

// NewCHandler writes records at or above level to w.
func NewCHandler(w io.Writer, level slog.Leveler) *CHandler {
	return &CHandler{mu: &sync.Mutex{}, w: w, level: level, now: time.Now}
}

func (h *CHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// cLevel names levels as C does.
func cLevel(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

func (h *CHandler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = h.now()
	}
	var b strings.Builder
	b.WriteString(t.Format("[2006-01-02 15:04:05] "))
	b.WriteString(cLevel(r.Level))
	b.WriteString(" - ")
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := a.Key
		if group != "" {
			g = group + "." + g
		}
		for _, sub := range a.Value.Group() {
			writeAttr(b, g, sub)
		}
		return
	}
	b.WriteString(", ")
	if group != "" {
		b.WriteString(group)
		b.WriteByte('.')
	}
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
}

func (h *CHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		writeAttr(&b, h.group, a)
	}
	c := *h
	c.attrs = b.String()
	return &c
}

func (h *CHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}

// ParseLevel maps the C log_level names (emerg … debug) to slog levels.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "notice", "info", "":
		return slog.LevelInfo
	case "warn", "warning":
		return slog.LevelWarn
	default: // error, crit, alert, emerg
		return slog.LevelError
	}
}
