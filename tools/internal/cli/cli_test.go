package cli

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
)

func TestFailWording(t *testing.T) {
	var b bytes.Buffer
	err := fmt.Errorf("wrapped: %w", &client.StatusError{Op: "DOWNLOAD_FILE", Status: codec.ENOENT})
	if n := Fail(&b, "download file", err); n != 2 {
		t.Fatalf("exit %d", n)
	}
	// vectors/client/download_missing.out
	if got := b.String(); got != "download file fail, error no: 2, error info: No such file or directory\n" {
		t.Fatalf("got %q", got)
	}
}

func TestExtName(t *testing.T) {
	for in, want := range map[string]string{"a.jpg": "jpg", "/x/y.tar.gz": "gz", "noext": "", "dot.": "",
		"a.toolongext": "", ".bashrc": "bashrc", "dir.d/file": ""} {
		if got := ExtName(in); got != want {
			t.Errorf("ExtName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInfoKeepsSocketErrno(t *testing.T) {
	n, text := Info(fmt.Errorf("dial: %w", syscall.ECONNREFUSED))
	if n != 111 || text != "Connection refused" {
		t.Fatalf("got %d %q", n, text)
	}
	if n, _ := Info(fmt.Errorf("weird")); n != int(codec.EIO) {
		t.Fatalf("unknown error maps to %d, want EIO", n)
	}
}
