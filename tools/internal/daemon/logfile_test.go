package daemon

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestCHandlerFormat(t *testing.T) {
	var buf bytes.Buffer
	h := NewCHandler(&buf, slog.LevelInfo)
	log := slog.New(h).With("peer", "127.0.0.2:23000")
	log.Warn("storage idle too long, status change to offline!", slog.Group("g", "n", 3))
	log.Debug("not shown")
	got := buf.String()
	want := "] WARNING - storage idle too long, status change to offline!, peer=127.0.0.2:23000, g.n=3\n"
	if !regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] `).MatchString(got) || !strings.HasSuffix(got, want) {
		t.Fatalf("got %q", got)
	}
	if strings.Count(got, "\n") != 1 {
		t.Fatalf("debug line written at info level: %q", got)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo,
		"warn": slog.LevelWarn, "err": slog.LevelError, "emerg": slog.LevelError, "": slog.LevelInfo} {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v, want %v", in, got, want)
		}
	}
}
