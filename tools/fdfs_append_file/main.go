// fdfs_append_file adds a local file's content at the end of an appender
// file, as the C tool:
//
//	fdfs_append_file <config_file> <appender_file_id> <local_filename>
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) != 3 {
		fmt.Fprintf(os.Stderr, "Usage: fdfs_append_file <config_file> <appender_file_id> <local_filename>\n")
		return 1
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_append_file: %v\n", err)
		return 2
	}
	defer c.Close()
	f, size, code := cli.LocalFile("fdfs_append_file", args[2])
	if code != 0 {
		return code
	}
	defer f.Close()
	m := cli.NewMeter("append "+args[2], size)
	err = c.Append(context.Background(), args[1], m.Reader(f), size)
	m.Done()
	if err != nil {
		// on stdout: C's tool prints this one there (every release), and
		// scripts grep for it
		return cli.Fail(os.Stdout, "append file", err)
	}
	return 0
}
