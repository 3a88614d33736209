// fdfs_get_metadata prints a file's metadata, one "name=value" line each,
// sorted by name. C has it only inside fdfs_test ("get_metadata"), whose
// listing prints the same lines after a header:
//
//	fdfs_get_metadata <config_file> <file_id>
//
// A file that never had metadata is ENOENT, as the storage answers.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, out, errw io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintf(errw, "Usage: fdfs_get_metadata <config_file> <file_id>\n")
		return 1
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(errw, "fdfs_get_metadata: %v\n", err)
		return 2
	}
	defer c.Close()
	meta, err := c.GetMetadata(context.Background(), args[1])
	if err != nil {
		return cli.Fail(errw, "get metadata", err)
	}
	for _, m := range meta {
		fmt.Fprintf(out, "%s=%s\n", m.Name, m.Value)
	}
	return 0
}
