package storage

import (
	"bytes"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

func downloadBody(group, name string) []byte {
	r := codec.DownloadRequest{Group: []byte(group), Name: []byte(name)}
	return r.Append(nil)
}

// Names that try to leave the store path, or are malformed, never reach
// the disk: EINVAL (and the connection is closed, as C does), while other
// connections are served all along.
func TestMalformedFileIDs(t *testing.T) {
	e := newEnv(t, 2)
	good := e.upload([]byte("content"), "txt")
	_, remote, _ := codec.SplitFileID([]byte(good))
	name := string(remote)
	other := dialRaw(t, e.srv.Addr().String())
	cases := []struct {
		what, group, name string
		want              codec.Errno
	}{
		{"dot-dot", testGroup, "M00/00/00/../../../../etc/passwd", codec.EINVAL},
		{"dot-dot dirs", testGroup, "M00/../00/" + name[10:], codec.EINVAL},
		{"slash in name", testGroup, name[:20] + "/" + name[21:], codec.EINVAL},
		{"absolute", testGroup, "/etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", codec.EINVAL},
		{"lower-case hex dir", testGroup, "M00/0a/00/" + name[10:], codec.EINVAL},
		{"bad hex", testGroup, "M00/0G/00/" + name[10:], codec.EINVAL},
		{"store path out of range", testGroup, "M02/00/00/" + name[10:], codec.EINVAL},
		{"store path bad hex", testGroup, "MZZ/00/00/" + name[10:], codec.EINVAL},
		{"subdir beyond the tree", testGroup, "M00/04/00/" + name[10:], codec.EINVAL},
		{"hidden name", testGroup, "M00/00/00/.fastdfs_vars_________________________", codec.EINVAL},
		{"wrong group", "group2", name, codec.EINVAL},
		{"too short", testGroup, "M00/00/00/", codec.EINVAL},
		{"missing", testGroup, "M00/00/00/" + "wKgAZl9hKxOAV5bOAAAKmQ0oXv8683.png", codec.ENOENT},
		{"directory", testGroup, "M00/00/01", codec.EINVAL},
	}
	for _, c := range cases {
		r := dialRaw(t, e.srv.Addr().String())
		r.send(codec.CmdDownloadFile, 0, downloadBody(c.group, c.name))
		h, _ := r.mustRecv()
		if codec.Errno(h.Status) != c.want || h.BodyLen != 0 {
			t.Errorf("%s (%q): status %d len %d, want %d", c.what, c.name, h.Status, h.BodyLen, c.want)
		}
		if c.want == codec.EINVAL {
			r.expectClosed()
		} else {
			r.send(codec.CmdActiveTest, 0, nil)
			if h, _ := r.mustRecv(); h.Status != 0 {
				t.Errorf("%s: connection not kept", c.what)
			}
		}
		// The other connection is served in between.
		other.send(codec.CmdDownloadFile, 0, downloadBody(testGroup, name))
		if h, b := other.mustRecv(); h.Status != 0 || string(b) != "content" {
			t.Fatalf("after %s: other connection got status %d %q", c.what, h.Status, b)
		}
	}
	// The same rules hold for every command that names a file.
	for _, cmd := range []struct {
		cmd  byte
		body []byte
	}{
		{codec.CmdDeleteFile, append(groupField(testGroup), "M00/00/00/../../x_______________________________"...)},
		{codec.CmdGetMetadata, append(groupField(testGroup), "M07/00/00/"+name[10:]...)},
		{codec.CmdQueryFileInfo, append(groupField(testGroup), "M00/00/00/../"+name[13:]...)},
		{codec.CmdTruncateFile, (&codec.TruncateRequest{Name: []byte("M00/00/../" + name[10:])}).Append(nil)},
		{codec.CmdRegenerateAppenderFilename, []byte("M00/00/00/" + name[10:40] + "/../x")},
		{codec.CmdAppendFile, append((&codec.AppendRequest{FileSize: 1, Name: []byte("M00/00/00/.." + name[12:])}).Append(nil), 'x')},
		{codec.CmdSetMetadata, (&codec.SetMetadataRequest{Op: 'O', Group: groupField(testGroup), Name: []byte("../../../../x")}).Append(nil)},
	} {
		r := dialRaw(t, e.srv.Addr().String())
		r.send(cmd.cmd, 0, cmd.body)
		h, _ := r.mustRecv()
		if codec.Errno(h.Status) != codec.EINVAL {
			t.Errorf("%s: status %d", codec.CmdName(cmd.cmd), h.Status)
		}
		r.expectClosed()
	}
	if got := e.mustDownload(good); string(got) != "content" {
		t.Fatalf("got %q", got)
	}
}

func TestConnectionRules(t *testing.T) {
	e := newEnv(t, 1)
	addr := e.srv.Addr().String()

	r := dialRaw(t, addr)
	r.send(codec.CmdActiveTest, 0, nil)
	if h, _ := r.mustRecv(); h.Status != 0 || h.Cmd != codec.CmdResp || h.BodyLen != 0 {
		t.Fatalf("active test %+v", h)
	}
	r.send(codec.CmdQuit, 0, nil)
	r.expectClosed()

	r = dialRaw(t, addr)
	r.send(99, 0, nil) // unknown
	if h, _ := r.mustRecv(); codec.Errno(h.Status) != codec.EINVAL {
		t.Fatalf("unknown command: %+v", h)
	}
	r.expectClosed()

	r = dialRaw(t, addr)
	r.send(codec.CmdActiveTest, 0, []byte{1})
	if h, _ := r.mustRecv(); codec.Errno(h.Status) != codec.EINVAL {
		t.Fatalf("active test with a body: %+v", h)
	}
	r.expectClosed()

	r = dialRaw(t, addr)
	r.c.Write(codec.Header{BodyLen: -1, Cmd: codec.CmdActiveTest}.Append(nil))
	r.expectClosed()

	// A request too large for buff_size is refused whole.
	r = dialRaw(t, addr)
	r.c.Write(codec.Header{BodyLen: 1 << 20, Cmd: codec.CmdDownloadFile}.Append(nil))
	if h, _ := r.mustRecv(); codec.Errno(h.Status) != codec.EINVAL {
		t.Fatalf("oversized request: %+v", h)
	}
	r.expectClosed()

	// Bad upload fixed parts: extension characters, index out of range.
	r = dialRaw(t, addr)
	bad := uploadRequest([]byte("x"), "t/t")
	r.c.Write(bad)
	if h, _ := r.mustRecv(); codec.Errno(h.Status) != codec.EINVAL {
		t.Fatalf("bad extension: %+v", h)
	}
	r.expectClosed()
	r = dialRaw(t, addr)
	bad = uploadRequest([]byte("x"), "txt")
	bad[codec.HeaderSize] = 5
	r.c.Write(bad)
	if h, _ := r.mustRecv(); codec.Errno(h.Status) != codec.EINVAL {
		t.Fatalf("store path 5 of 1: %+v", h)
	}
	r.expectClosed()

	// Requests split into single bytes are framed all the same.
	r = dialRaw(t, addr)
	for _, b := range uploadRequest([]byte("byte by byte"), "txt") {
		r.c.Write([]byte{b})
	}
	h, body := r.mustRecv()
	if h.Status != 0 || len(body) != 60 {
		t.Fatalf("split upload: %+v", h)
	}
	if got := e.mustDownload(testGroup + "/" + string(body[16:])); !bytes.Equal(got, []byte("byte by byte")) {
		t.Fatalf("got %q", got)
	}
}

// A request left incomplete for network_timeout closes its connection;
// an idle connection between requests is kept.
func TestNetworkTimeout(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, testConf(t, dir, 1, "network_timeout=1\n"))
	idle := dialRaw(t, s.Addr().String())
	idle.send(codec.CmdActiveTest, 0, nil)
	idle.mustRecv()
	stuck := dialRaw(t, s.Addr().String())
	stuck.c.Write(uploadRequest([]byte("never finished"), "txt")[:20])
	stuck.expectClosed() // read deadline 30 s; the server closes after ~1-2 s
	idle.send(codec.CmdActiveTest, 0, nil)
	if h, _ := idle.mustRecv(); h.Status != 0 {
		t.Fatalf("idle connection: %+v", h)
	}
}
