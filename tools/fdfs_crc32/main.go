// fdfs_crc32 prints the CRC32 of a local file in lowercase hex, the
// checksum FastDFS puts in file IDs and reports in fdfs_file_info, as the C
// tool:
//
//	fdfs_crc32 <filename>
package main

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"syscall"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout)) }

func run(args []string, out io.Writer) int {
	if len(args) < 1 {
		fmt.Fprintf(out, "Usage: fdfs_crc32 <filename>\n")
		return 1
	}
	f, err := os.Open(args[0])
	if err != nil {
		// C prints its errors on stdout too
		n := errnoOf(err, syscall.EACCES)
		fmt.Fprintf(out, "open file %s fail, errno: %d, error info: %s\n", args[0], int(n), strerror(n))
		return int(n)
	}
	defer f.Close()
	h := crc32.NewIEEE()
	if _, err := io.Copy(h, f); err != nil {
		n := errnoOf(err, syscall.EIO)
		fmt.Fprintf(out, "read file %s fail, errno: %d, error info: %s\n", args[0], int(n), strerror(n))
		return int(n)
	}
	fmt.Fprintf(out, "%x\n", h.Sum32())
	return 0
}

func errnoOf(err error, def syscall.Errno) syscall.Errno {
	var n syscall.Errno
	if errors.As(err, &n) && n != 0 {
		return n
	}
	return def
}

// strerror capitalizes Go's errno text as glibc's strerror does.
func strerror(n syscall.Errno) string {
	s := n.Error()
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
