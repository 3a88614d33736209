package testcluster

import (
	"fmt"
	"net"
	"strconv"
)

// FreePort binds ip:0 and gives the port back for a daemon to bind right
// after. Another process may take it in between; clusters of one test run use
// addresses of their own, so in practice none does.
func FreePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// SharedPort finds a port free on every one of ips, as the storages of one
// group use one port on several addresses: bound with ":0" on the first,
// checked on the rest while the first is still held.
func SharedPort(ips ...string) (int, error) {
	if len(ips) == 0 {
		return 0, fmt.Errorf("SharedPort: no address")
	}
	var last error
	for range 50 {
		ln, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		held := []net.Listener{ln}
		last = nil
		for _, ip := range ips[1:] {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				last = err
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if last == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free on all of %v: %w", ips, last)
}
