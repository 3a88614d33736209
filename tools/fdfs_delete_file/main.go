// fdfs_delete_file deletes a file by its ID, as the C tool:
//
//	fdfs_delete_file <config_file> <file_id>
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
		fmt.Fprintf(os.Stderr, "Usage: fdfs_delete_file <config_file> <file_id>\n")
		return 1
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_delete_file: %v\n", err)
		return 2
	}
	defer c.Close()
	if err := c.Delete(context.Background(), args[1]); err != nil {
		return cli.Fail(os.Stderr, "delete file", err)
	}
	return 0
}
