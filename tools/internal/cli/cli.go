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
		// the first (inner) address; a dual-IP tracker is one tracker
		trackers = append(trackers, net.JoinHostPort(t.Hosts[0], strconv.Itoa(t.Port)))
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

// Errno is the status a failure maps to: the server's errno, else EIO
// (like C, whose tools exit with the errno).
func Errno(err error) int {
	var e codec.Errno
	if errors.As(err, &e) && e != 0 {
		return int(e)
	}
	var ce *codec.Error
	if errors.As(err, &ce) {
		return int(ce.Errno)
	}
	if errors.Is(err, os.ErrNotExist) {
		return int(codec.ENOENT)
	}
	return int(codec.EIO)
}

// Fail prints "<what> fail, error no: N, error info: TEXT" as the C tools do
// and returns the exit code.
func Fail(w io.Writer, what string, err error) int {
	n := Errno(err)
	fmt.Fprintf(w, "%s fail, error no: %d, error info: %s\n", what, n, errText(n, err))
	return n
}

func errText(n int, err error) string {
	if t := codec.Errno(n).Error(); !strings.HasPrefix(t, "errno ") {
		// "No such file or directory", as strerror capitalises it
		t = strings.TrimSuffix(t, fmt.Sprintf(" (%d)", n))
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return err.Error()
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
