// connhold opens many connections to one server and holds them, in a
// process of its own so that the server and the holder each stay under
// ulimit -n. The faults suite drives it on stdin/stdout:
//
//	connhold -addr 127.0.10.2:40000 -n 10000
//	-> "open 10000"            once every connection is up (or "fail <err>")
//	<- "check"                 ACTIVE_TEST on every held connection
//	-> "alive 10000"           how many answered status 0
//	<- EOF                     close everything and exit
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

func main() {
	addr := flag.String("addr", "", "server ip:port")
	n := flag.Int("n", 10000, "connections to hold")
	flag.Parse()
	conns, err := openAll(*addr, *n)
	if err != nil {
		fmt.Printf("fail %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("open %d\n", len(conns))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "check" {
			fmt.Printf("alive %d\n", checkAll(conns))
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// openAll dials n connections, 64 at a time; a dial refused because the
// accept queue is full is retried.
func openAll(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				var c net.Conn
				var err error
				for try := 0; try < 20; try++ {
					if c, err = net.DialTimeout("tcp", addr, 10*time.Second); err == nil {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		return nil, err
	}
	return conns, nil
}

// checkAll sends ACTIVE_TEST on every connection and counts good replies.
func checkAll(conns []net.Conn) int {
	var alive atomic.Int64
	var wg sync.WaitGroup
	ch := make(chan net.Conn)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := codec.Request(codec.CmdActiveTest, 0).Append(nil)
			reply := make([]byte, codec.HeaderSize)
			for c := range ch {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write(req); err != nil {
					continue
				}
				if _, err := io.ReadFull(c, reply); err != nil {
					continue
				}
				h, err := codec.DecodeHeader(reply)
				if err == nil && h.Status == 0 && h.BodyLen == 0 {
					alive.Add(1)
				}
			}
		}()
	}
	for _, c := range conns {
		ch <- c
	}
	close(ch)
	wg.Wait()
	return int(alive.Load())
}
