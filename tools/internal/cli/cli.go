// Package cli is what the client tools share: loading client.conf into a
// client, and reporting errors with the C tools' wording and exit codes.
package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
)

// Open loads a client.conf and returns a client for its trackers. Conf
// warnings go to stderr as C's tools print them.
func Open(confPath string) (*client.Client, *conf.Client, error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := conf.LoadClient(confPath, conf.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	trackers := make([]string, 0, len(cfg.TrackerServers))
	for _, t := range cfg.TrackerServers {
		trackers = append(trackers, TrackerAddr(t))
	}
	c, err := client.New(client.Config{
		Trackers:       trackers,
		ConnectTimeout: cfg.ConnectTimeout,
		NetworkTimeout: cfg.NetworkTimeout,
	})
	if err != nil {
		return nil, nil, err
	}
	return c, cfg, nil
}

// Info is the errno and the strerror text C's tools print for err: a
// server's status, a socket error's own errno (ECONNREFUSED ...), EINVAL for
// a malformed input, ENOENT for a missing local file, else EIO.
func Info(err error) (int, string) {
	var se syscall.Errno
	if errors.As(err, &se) && se != 0 {
		return int(se), capitalize(se.Error())
	}
	n := int(codec.EIO)
	var e codec.Errno
	var ce *codec.Error
	switch {
	case errors.As(err, &e) && e != 0:
		n = int(e)
	case errors.As(err, &ce):
		n = int(ce.Errno)
	case errors.Is(err, os.ErrNotExist):
		n = int(codec.ENOENT)
	}
	if t := codec.Errno(n).Error(); !strings.HasPrefix(t, "errno ") {
		return n, capitalize(strings.TrimSuffix(t, fmt.Sprintf(" (%d)", n)))
	}
	return n, err.Error()
}

// capitalize makes "no such file" read "No such file", as strerror does.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Fail prints "<what> fail, error no: N, error info: TEXT" as the C tools do
// and returns the exit code.
func Fail(w io.Writer, what string, err error) int {
	n, text := Info(err)
	fmt.Fprintf(w, "%s fail, error no: %d, error info: %s\n", what, n, text)
	return n
}

// TrackerAddr is the address the SDK dials for a tracker_server entry: its
// first (inner) host; a dual-IP tracker is one tracker.
func TrackerAddr(t conf.TrackerServer) string {
	return net.JoinHostPort(t.Hosts[0], strconv.Itoa(t.Port))
}

// ExtName is the extension C's tools take from a local file name: the part
// after the last '.' of the base name, kept only if it fits the 6-byte field.
func ExtName(path string) string {
	base := filepath.Base(path)
	i := strings.LastIndexByte(base, '.')
	if i < 0 || i == len(base)-1 {
		return ""
	}
	ext := base[i+1:]
	if len(ext) > codec.ExtSize {
		return ""
	}
	return ext
}

// LocalFile opens a local regular file to send and returns it with its
// size, or prints why it cannot and returns the exit code (an errno).
func LocalFile(tool, path string) (*os.File, int64, int) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, Fail(os.Stderr, "open file "+path, err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		fmt.Fprintf(os.Stderr, "%s: %s is not a regular file\n", tool, path)
		return nil, 0, int(codec.EINVAL)
	}
	return f, st.Size(), 0
}
