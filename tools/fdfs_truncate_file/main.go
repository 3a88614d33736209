// fdfs_truncate_file sets an appender file to a size (0 by default;
// growing it fills with zero bytes). C has no such tool; this one follows
// fdfs_append_file:
//
//	fdfs_truncate_file <config_file> <appender_file_id> [truncated_file_size]
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
	if len(args) != 2 && len(args) != 3 {
		fmt.Fprintf(os.Stderr, "Usage: fdfs_truncate_file <config_file> <appender_file_id> [truncated_file_size]\n")
		return 1
	}
	var size int64
	if len(args) == 3 {
		var err error
		if size, err = strconv.ParseInt(args[2], 10, 64); err != nil || size < 0 {
			fmt.Fprintf(os.Stderr, "fdfs_truncate_file: invalid truncated_file_size %q\n", args[2])
			return 22
		}
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_truncate_file: %v\n", err)
		return 2
	}
	defer c.Close()
	if err := c.Truncate(context.Background(), args[1], size); err != nil {
		return cli.Fail(os.Stderr, "truncate file", err)
	}
	return 0
}
