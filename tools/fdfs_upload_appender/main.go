// fdfs_upload_appender uploads a local file as an appender file (one that
// can later be appended to, modified and truncated) and prints its file ID,
// as the C tool:
//
//	fdfs_upload_appender <config_file> <local_filename>
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) != 2 {
		fmt.Fprintf(os.Stderr, "Usage: fdfs_upload_appender <config_file> <local_filename>\n")
		return 1
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_upload_appender: %v\n", err)
		return 2
	}
	defer c.Close()
	f, size, code := cli.LocalFile("fdfs_upload_appender", args[1])
	if code != 0 {
		return code
	}
	defer f.Close()
	m := cli.NewMeter("upload "+args[1], size)
	id, err := c.UploadAppender(context.Background(), m.Reader(f), size, cli.ExtName(args[1]))
	m.Done()
	if err != nil {
		return cli.Fail(os.Stderr, "upload file", err)
	}
	fmt.Println(id)
	return 0
}
