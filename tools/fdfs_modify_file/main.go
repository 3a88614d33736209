// fdfs_modify_file overwrites part of an appender file with a local file's
// content, starting at file_offset (which may equal the file size, then it
// appends). C has no such tool; this one follows fdfs_append_file:
//
//	fdfs_modify_file <config_file> <appender_file_id> <file_offset> <local_filename>
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) != 4 {
		fmt.Fprintf(os.Stderr, "Usage: fdfs_modify_file <config_file> <appender_file_id> <file_offset> <local_filename>\n")
		return 1
	}
	offset, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil || offset < 0 {
		fmt.Fprintf(os.Stderr, "fdfs_modify_file: invalid file_offset %q\n", args[2])
		return 22
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_modify_file: %v\n", err)
		return 2
	}
	defer c.Close()
	f, size, code := cli.LocalFile("fdfs_modify_file", args[3])
	if code != 0 {
		return code
	}
	defer f.Close()
	m := cli.NewMeter("modify "+args[3], size)
	err = c.Modify(context.Background(), args[1], offset, m.Reader(f), size)
	m.Done()
	if err != nil {
		return cli.Fail(os.Stderr, "modify file", err)
	}
	return 0
}
