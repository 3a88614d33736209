package diskio

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type receiveResult struct {
	n   int64
	crc uint32
	err error
}

type sendResult struct {
	n   int64
	err error
}

// sendStream writes size bytes of stream seed to conn in random chunks
// (1 byte .. maxChunk) with an occasional pause, skipping the first skip
// bytes (they travel as the job's Lead), and returns the CRC of all size
// bytes.
func sendStream(conn net.Conn, seed byte, size, skip int64, maxChunk int) (uint32, error) {
	s := newStream(seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 99))
	buf := make([]byte, maxChunk)
	var crc uint32
	for sent := int64(0); sent < size; {
		n := min(int64(1+rng.IntN(maxChunk)), size-sent)
		s.fill(buf[:n])
		crc = crc32.Update(crc, crc32.IEEETable, buf[:n])
		// Skip the lead, which the caller passes separately.
		from := max(skip-sent, 0)
		if from < n {
			if _, err := conn.Write(buf[from:n]); err != nil {
				return crc, err
			}
		}
		sent += n
		if rng.IntN(64) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	return crc, nil
}

// compareStream checks that file holds exactly size bytes of stream seed.
func compareStream(t *testing.T, path string, seed byte, size int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := newStream(seed)
	want := make([]byte, 1<<20)
	got := make([]byte, 1<<20)
	var off int64
	for off < size {
		n := min(int64(len(want)), size-off)
		s.fill(want[:n])
		if _, err := io.ReadFull(f, got[:n]); err != nil {
			t.Fatalf("at %d: %v", off, err)
		}
		if !bytes.Equal(got[:n], want[:n]) {
			t.Fatalf("content differs in [%d, %d)", off, off+n)
		}
		off += n
	}
	if n, _ := f.Read(got[:1]); n != 0 {
		t.Fatal("file longer than the stream")
	}
}

func TestReceiveLargeStream(t *testing.T) {
	const size = 64 << 20
	sp := openStorePath(t, 4)
	w := newWorker(t, WorkerOptions{Name: "recv"})
	sock, peer := tcpPair(t)

	lead := make([]byte, 1000)
	newStream(42).fill(lead)
	fw, err := sp.CreateTemp(WriteOptions{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	ref := FileRef{High: 3, Low: 1, Name: "video.mp4"}
	results := make(chan receiveResult, 1)
	err = w.Receive(ReceiveJob{
		Sock: sock, Size: size, Lead: lead, Writer: fw,
		Done: func(n int64, crc uint32, err error) {
			// As the storage does: name the file once the CRC is known,
			// on the worker.
			if err == nil {
				err = fw.Commit(ref)
			}
			results <- receiveResult{n, crc, err}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	var wantCRC uint32
	go func() {
		var err error
		wantCRC, err = sendStream(peer, 42, size, int64(len(lead)), 64<<10)
		sent <- err
	}()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	r := <-results
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.n != size || r.crc != wantCRC {
		t.Fatalf("received %d bytes crc %08x, want %d %08x", r.n, r.crc, size, wantCRC)
	}
	p, _ := sp.Path(ref)
	compareStream(t, p, 42, size)
	if crc, n, err := sp.CRC32(ref); err != nil || crc != wantCRC || n != size {
		t.Errorf("CRC32 of the file %08x %d %v", crc, n, err)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	// The socket is still the caller's and still connected: reply on it.
	if _, err := unix.Write(sock, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, 2)
	if _, err := io.ReadFull(peer, reply); err != nil || string(reply) != "ok" {
		t.Fatalf("reply %q %v", reply, err)
	}
}

func TestReceiveLeadOnlyAndAppend(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{})
	sock, _ := tcpPair(t)
	ref := FileRef{Name: "appender"}
	writeFile(t, sp, ref, []byte("head-"))

	// The whole body arrived with the header: no socket read at all.
	fw, err := sp.OpenAppend(ref, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan receiveResult, 1)
	body := []byte("tail")
	w.Receive(ReceiveJob{Sock: sock, Size: 4, Lead: body, Writer: fw, Done: func(n int64, crc uint32, err error) {
		if err == nil {
			err = fw.Finish()
		}
		results <- receiveResult{n, crc, err}
	}})
	r := <-results
	if r.err != nil || r.n != 4 || r.crc != crc32.ChecksumIEEE(body) {
		t.Fatalf("%+v", r)
	}
	if got := readRef(t, sp, ref); string(got) != "head-tail" {
		t.Fatalf("file %q", got)
	}
}

func TestReceivePeerVanishes(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{})
	sock, peer := tcpPair(t)
	fw, err := sp.CreateTemp(WriteOptions{Size: 10 << 20})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan receiveResult, 1)
	if err := w.Receive(ReceiveJob{Sock: sock, Size: 10 << 20, Writer: fw, Done: func(n int64, crc uint32, err error) {
		results <- receiveResult{n, crc, err}
	}}); err != nil {
		t.Fatal(err)
	}
	half := randomBytes(1, 3<<20)
	if _, err := peer.Write(half); err != nil {
		t.Fatal(err)
	}
	peer.Close()
	r := <-results
	var te *TransferError
	if !errors.As(r.err, &te) || !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Fatalf("peer gone: %v", r.err)
	}
	if te.Op != "receive" || te.Done != int64(len(half)) || r.n != int64(len(half)) || r.crc != crc32.ChecksumIEEE(half) {
		t.Errorf("error %+v, n %d crc %08x", te, r.n, r.crc)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp file not removed: %v", tmp)
	}
	if _, err := os.Stat(fw.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file still there: %v", err)
	}
}

func TestReceiveIdleTimeout(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{IdleTimeout: 150 * time.Millisecond})
	sock, peer := tcpPair(t)
	fw, err := sp.CreateTemp(WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan receiveResult, 1)
	w.Receive(ReceiveJob{Sock: sock, Size: 1 << 20, Writer: fw, Done: func(n int64, crc uint32, err error) {
		results <- receiveResult{n, crc, err}
	}})
	peer.Write(make([]byte, 1000)) // then silence, connection kept open
	r := <-results
	if !errors.Is(r.err, ErrIdleTimeout) || !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("stalled peer: %v", r.err)
	}
	var te *TransferError
	if !errors.As(r.err, &te) || !te.Timeout() || te.Path != fw.Path() {
		t.Errorf("error %+v", te)
	}
	var ne net.Error
	if !errors.As(r.err, &ne) || !ne.Timeout() {
		t.Errorf("not a net.Error timeout: %v", r.err)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp file not removed: %v", tmp)
	}
}

// writeTestFile creates a file of size bytes of stream seed and opens it.
func writeTestFile(t testing.TB, sp *StorePath, name string, seed byte, size int) (*os.File, []byte) {
	t.Helper()
	data := randomBytes(seed, size)
	ref := FileRef{Name: name}
	writeFile(t, sp, ref, data)
	f, _, err := sp.OpenRead(ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, data
}

func TestSendFileWithHeader(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{})
	f, data := writeTestFile(t, sp, "download", 3, 5<<20+123)
	sock, peer := tcpPair(t)
	header := []byte("\x00\x00\x00\x00\x00\x40\x00\x00\x64\x00") // a FastDFS-style 10-byte header
	const off, length = 1000, 4 << 20
	results := make(chan sendResult, 1)
	if err := w.Send(SendJob{Sock: sock, Header: header, File: f, Offset: off, Length: length,
		Done: func(n int64, err error) { results <- sendResult{n, err} }}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(header)+length)
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	r := <-results
	if r.err != nil || r.n != length {
		t.Fatalf("%+v", r)
	}
	if !bytes.Equal(got[:len(header)], header) || !bytes.Equal(got[len(header):], data[off:off+length]) {
		t.Fatal("bytes on the wire differ")
	}
	// Nothing more was sent, and the file position was not used.
	peer.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, _ := peer.Read(got[:1]); n != 0 {
		t.Error("extra bytes after the range")
	}
	if pos, _ := f.Seek(0, io.SeekCurrent); pos != 0 {
		t.Errorf("file position moved to %d", pos)
	}

	// Header only (an error reply), then file only.
	w.Send(SendJob{Sock: sock, Header: []byte("hdr"), Done: func(n int64, err error) { results <- sendResult{n, err} }})
	if r := <-results; r.err != nil || r.n != 0 {
		t.Fatalf("header only: %+v", r)
	}
	w.Send(SendJob{Sock: sock, File: f, Offset: int64(len(data)) - 7, Length: 7, Done: func(n int64, err error) { results <- sendResult{n, err} }})
	if r := <-results; r.err != nil || r.n != 7 {
		t.Fatalf("file only: %+v", r)
	}
	peer.SetReadDeadline(time.Time{})
	tail := make([]byte, 10)
	if _, err := io.ReadFull(peer, tail); err != nil || string(tail[:3]) != "hdr" || !bytes.Equal(tail[3:], data[len(data)-7:]) {
		t.Fatalf("tail %q %v", tail, err)
	}

	// A range beyond the end of the file is an error, not a hang.
	w.Send(SendJob{Sock: sock, File: f, Offset: int64(len(data)) - 5, Length: 10, Done: func(n int64, err error) { results <- sendResult{n, err} }})
	if r := <-results; !errors.Is(r.err, io.ErrUnexpectedEOF) || r.n != 5 {
		t.Fatalf("short file: %+v", r)
	}
}

func TestSendIdleTimeout(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{})
	f, _ := writeTestFile(t, sp, "big", 4, 16<<20)
	sock, peer := tcpPair(t)
	// Small buffers so that a peer that does not read stalls us soon.
	unix.SetsockoptInt(sock, unix.SOL_SOCKET, unix.SO_SNDBUF, 64<<10)
	peer.SetReadBuffer(64 << 10)
	results := make(chan sendResult, 1)
	w.Send(SendJob{Sock: sock, File: f, Length: 16 << 20, Timeout: 200 * time.Millisecond,
		Done: func(n int64, err error) { results <- sendResult{n, err} }})
	r := <-results // the peer never reads
	if !errors.Is(r.err, ErrIdleTimeout) || r.n >= 16<<20 {
		t.Fatalf("peer not reading: %+v", r)
	}
	var te *TransferError
	if !errors.As(r.err, &te) || te.Op != "send" || te.Path != f.Name() || te.Sock != sock {
		t.Errorf("error %+v", te)
	}
}

func TestSendPeerVanishes(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{})
	f, _ := writeTestFile(t, sp, "big", 5, 32<<20)
	sock, peer := tcpPair(t)
	results := make(chan sendResult, 1)
	w.Send(SendJob{Sock: sock, File: f, Length: 32 << 20, Done: func(n int64, err error) { results <- sendResult{n, err} }})
	if _, err := io.ReadFull(peer, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	peer.SetLinger(0) // close with a reset
	peer.Close()
	r := <-results
	if r.err == nil || r.n >= 32<<20 {
		t.Fatalf("peer gone: %+v", r)
	}
	if !errors.Is(r.err, syscall.ECONNRESET) && !errors.Is(r.err, syscall.EPIPE) {
		t.Errorf("want ECONNRESET or EPIPE, got %v", r.err)
	}
}

// TestManyTransfersOneWorker runs receives and sends side by side on one
// worker with small rounds: all finish, each with exact bytes.
func TestManyTransfersOneWorker(t *testing.T) {
	const pairs = 12
	sp := openStorePath(t, 4)
	w := newWorker(t, WorkerOptions{ChunkSize: 16 << 10, RoundBytes: 32 << 10})
	src, data := writeTestFile(t, sp, "source", 77, 3<<20)

	type receiveCase struct {
		ref     FileRef
		seed    byte
		size    int64
		wantCRC uint32 // set by the sender
		got     receiveResult
	}
	cases := make([]receiveCase, pairs)
	var wg sync.WaitGroup
	errs := make(chan error, 4*pairs)
	for i := range pairs {
		// A receive: the peer streams in random chunks.
		c := &cases[i]
		c.ref = FileRef{High: i % 4, Low: 0, Name: fmt.Sprintf("recv%d", i)}
		c.seed = byte(100 + i)
		c.size = int64(1<<20 + i*4099)
		rsock, rpeer := tcpPair(t)
		fw, err := sp.CreateTemp(WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			var err error
			if c.wantCRC, err = sendStream(rpeer, c.seed, c.size, 0, 8<<10); err != nil {
				errs <- err
			}
		}()
		if err := w.Receive(ReceiveJob{Sock: rsock, Size: c.size, Writer: fw, Done: func(n int64, crc uint32, err error) {
			defer wg.Done()
			if err == nil {
				err = fw.Commit(c.ref)
			}
			c.got = receiveResult{n, crc, err}
		}}); err != nil {
			t.Fatal(err)
		}

		// A send: the peers start reading at different times.
		ssock, speer := tcpPair(t)
		off := int64(i * 1000)
		length := int64(2<<20 + i)
		wg.Add(2)
		go func() {
			defer wg.Done()
			got := make([]byte, length)
			time.Sleep(time.Duration(i) * time.Millisecond)
			if _, err := io.ReadFull(speer, got); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, data[off:off+length]) {
				errs <- fmt.Errorf("send %d: wrong bytes", i)
			}
		}()
		if err := w.Send(SendJob{Sock: ssock, File: src, Offset: off, Length: length, Done: func(n int64, err error) {
			defer wg.Done()
			if err != nil {
				errs <- err
			} else if n != length {
				errs <- fmt.Errorf("send %d: %d bytes", i, n)
			}
		}}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range cases {
		c := &cases[i]
		if c.got.err != nil || c.got.n != c.size || c.got.crc != c.wantCRC {
			t.Errorf("receive %d: %+v, want %d bytes crc %08x", i, c.got, c.size, c.wantCRC)
			continue
		}
		p, _ := sp.Path(c.ref)
		compareStream(t, p, c.seed, c.size)
	}
	if w.Active() != 0 {
		t.Errorf("Active = %d after all jobs", w.Active())
	}
}

// TestBusyTransferDoesNotStarveOthers keeps one receive always ready: its
// peer writes as fast as it can a body far larger than the test lets it
// send, and its writer syncs every 64 KiB, so the worker drains the socket
// slower than it fills and never sees EAGAIN. Do jobs, a small receive and
// a small send must still get their turn and finish while it runs.
func TestBusyTransferDoesNotStarveOthers(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{})
	bigSock, bigPeer := tcpPair(t)
	bigWriter, err := sp.CreateTemp(WriteOptions{Sync: SyncPolicy{EveryBytes: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 3)
	if err := w.Receive(ReceiveJob{Sock: bigSock, Size: 1 << 40, Writer: bigWriter, Done: func(int64, uint32, error) {
		order <- "big"
	}}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		buf := randomBytes(1, 256<<10)
		for {
			select {
			case <-stop:
				bigPeer.Close()
				return
			default:
			}
			if _, err := bigPeer.Write(buf); err != nil {
				return
			}
		}
	}()
	// Do jobs run between the big transfer's rounds.
	written := make(chan int64, 1)
	for {
		w.Do(func(error) { written <- bigWriter.Written() })
		if <-written >= 2<<20 {
			break
		}
	}

	smallSock, smallPeer := tcpPair(t)
	smallPeer.Write([]byte("small body"))
	smallWriter, _ := sp.CreateTemp(WriteOptions{})
	w.Receive(ReceiveJob{Sock: smallSock, Size: 10, Writer: smallWriter, Done: func(_ int64, _ uint32, err error) {
		if err != nil {
			t.Error(err)
		}
		smallWriter.Abort()
		order <- "small receive"
	}})
	replySock, replyPeer := tcpPair(t)
	w.Send(SendJob{Sock: replySock, Header: []byte("reply"), Done: func(_ int64, err error) {
		if err != nil {
			t.Error(err)
		}
		order <- "small send"
	}})
	first, second := <-order, <-order
	close(stop)
	<-senderDone
	if last := <-order; first == "big" || second == "big" || last != "big" {
		t.Errorf("completion order %s, %s, %s: the busy transfer starved the others", first, second, last)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(replyPeer, got); err != nil || string(got) != "reply" {
		t.Errorf("reply %q %v", got, err)
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

func TestCloseWithJobsInFlight(t *testing.T) {
	sp := openStorePath(t, 1)
	w, err := NewWorker(WorkerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := writeTestFile(t, sp, "big", 6, 16<<20)

	var mu sync.Mutex
	var outcomes []error
	record := func(err error) {
		mu.Lock()
		outcomes = append(outcomes, err)
		mu.Unlock()
	}
	var socks []int
	var writers []*FileWriter
	for range 3 {
		sock, _ := tcpPair(t) // peer never sends
		socks = append(socks, sock)
		fw, err := sp.CreateTemp(WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writers = append(writers, fw)
		w.Receive(ReceiveJob{Sock: sock, Size: 1 << 20, Writer: fw, Done: func(_ int64, _ uint32, err error) { record(err) }})
	}
	for range 3 {
		sock, _ := tcpPair(t) // peer never reads
		socks = append(socks, sock)
		w.Send(SendJob{Sock: sock, File: f, Length: 16 << 20, Done: func(_ int64, err error) { record(err) }})
	}
	// Hold the worker in a Do so that more jobs pile up in its queue.
	entered, release := make(chan struct{}), make(chan struct{})
	w.Do(func(err error) {
		record(err)
		close(entered)
		<-release
	})
	<-entered
	for range 2 {
		w.Do(func(err error) { record(err) })
	}
	sock, _ := tcpPair(t)
	fw, _ := sp.CreateTemp(WriteOptions{})
	writers = append(writers, fw)
	w.Receive(ReceiveJob{Sock: sock, Size: 10, Writer: fw, Done: func(_ int64, _ uint32, err error) { record(err) }})

	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	// Close waits for the worker, which is still busy in the Do.
	for {
		w.mu.Lock()
		c := w.closed
		w.mu.Unlock()
		if c {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	<-closed

	if len(outcomes) != 3+3+1+2+1 {
		t.Fatalf("%d completions, want 10", len(outcomes))
	}
	// Only the Do that was running when Close came completed normally.
	if outcomes[0] != nil {
		t.Errorf("the running Do got %v", outcomes[0])
	}
	for i, err := range outcomes[1:] {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("completion %d: %v, want ErrClosed", i+1, err)
		}
	}
	if tmp := tempFiles(t, sp); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
	for _, fw := range writers {
		if _, err := os.Stat(fw.Path()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", fw.Path(), err)
		}
	}
	// The sockets belong to the callers: still open.
	for _, s := range socks {
		if _, err := unix.FcntlInt(uintptr(s), unix.F_GETFD, 0); err != nil {
			t.Errorf("socket %d closed by the worker: %v", s, err)
		}
	}
	// Refused after Close, and no completion.
	if err := w.Do(func(error) { t.Error("ran after Close") }); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: %v", err)
	}
	if err := w.Send(SendJob{Sock: socks[0], Done: func(int64, error) { t.Error("completed after Close") }}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestJobValidation(t *testing.T) {
	sp := openStorePath(t, 1)
	w := newWorker(t, WorkerOptions{})
	fw, _ := sp.CreateTemp(WriteOptions{})
	defer fw.Abort()
	never := func(int64, uint32, error) { t.Error("Done of a refused job") }
	neverSend := func(int64, error) { t.Error("Done of a refused job") }
	bad := []error{
		w.Receive(ReceiveJob{Sock: 3, Size: 1, Done: never}),
		w.Receive(ReceiveJob{Sock: 3, Size: 1, Writer: fw}),
		w.Receive(ReceiveJob{Sock: -1, Size: 1, Writer: fw, Done: never}),
		w.Receive(ReceiveJob{Sock: 3, Size: 1, Lead: []byte("ab"), Writer: fw, Done: never}),
		w.Send(SendJob{Sock: 3}),
		w.Send(SendJob{Sock: -1, Done: neverSend}),
		w.Send(SendJob{Sock: 3, Length: 1, Done: neverSend}),
		w.Send(SendJob{Sock: 3, Offset: -1, Done: neverSend}),
		w.Do(nil),
	}
	for i, err := range bad {
		if err == nil {
			t.Errorf("job %d accepted", i)
		}
	}
	if w.Active() != 0 {
		t.Errorf("Active = %d", w.Active())
	}
}

func TestWorkerThreadIsLocked(t *testing.T) {
	w := newWorker(t, WorkerOptions{})
	tids := make(chan int, 20)
	for range 20 {
		w.Do(func(err error) {
			if err == nil {
				tids <- unix.Gettid()
			}
		})
		time.Sleep(100 * time.Microsecond)
	}
	first := <-tids
	for range 19 {
		if tid := <-tids; tid != first {
			t.Fatalf("jobs ran on threads %d and %d", first, tid)
		}
	}
}
