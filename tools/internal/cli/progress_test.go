package cli

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestIsTerminalOnFileAndPipe(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(f) || IsTerminal(w) {
		t.Fatal("a regular file or a pipe taken for a terminal")
	}
}

func TestMeterDrawsPercentAndEndsLine(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(1000, 0)
	m := newMeter(&out, "upload", 32<<20, func() time.Time { return clock })
	src := bytes.NewReader(make([]byte, 32<<20))
	r := m.Reader(src)
	buf := make([]byte, 4<<20)
	for {
		clock = clock.Add(250 * time.Millisecond)
		if _, err := r.Read(buf); err == io.EOF {
			break
		}
	}
	m.Done()
	s := out.String()
	// nothing before 8 MiB, then one redraw per 4 MiB step (each 250 ms
	// apart), none for the empty read at EOF, and the final one
	if strings.Count(s, "\r") != 8 || !strings.HasPrefix(s, "\rupload:  25% 8.0 MiB / 32.0 MiB") {
		t.Fatalf("progress %q", s)
	}
	if !strings.HasSuffix(s, "\rupload: 100% 32.0 MiB / 32.0 MiB 14.2 MiB/s \n") {
		t.Fatalf("final line %q", s)
	}
}

func TestMeterUnknownSizeAndNil(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(1000, 0)
	m := newMeter(&out, "download", 0, func() time.Time { return clock })
	w := m.Writer(io.Discard)
	w.Write(make([]byte, 1<<20))
	m.Done()
	if out.Len() != 0 {
		t.Fatalf("small transfer drew %q", out.String())
	}
	clock = clock.Add(time.Second)
	w.Write(make([]byte, 9<<20))
	m.Done()
	if got := out.String(); got != "\rdownload: 10.0 MiB 10.0 MiB/s \rdownload: 10.0 MiB 10.0 MiB/s \n" {
		t.Fatalf("progress %q", got)
	}
	var nilMeter *Meter
	r := strings.NewReader("x")
	if nilMeter.Reader(r) != io.Reader(r) || nilMeter.Writer(io.Discard) != io.Discard {
		t.Fatal("a nil meter wraps")
	}
	nilMeter.Done()
}
