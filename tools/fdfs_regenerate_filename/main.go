// fdfs_regenerate_filename turns an appender file into a normal file under
// a new name and prints the new file ID, as the C tool:
//
//	fdfs_regenerate_filename <config_file> <appender_file_id>
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
		fmt.Fprintf(os.Stderr, "regenerate filename for the appender file.\n"+
			"NOTE: the regenerated file will be a normal file!\n"+
			"Usage: fdfs_regenerate_filename <config_file> <appender_file_id>\n")
		return 1
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_regenerate_filename: %v\n", err)
		return 2
	}
	defer c.Close()
	id, err := c.Regenerate(context.Background(), args[1])
	if err != nil {
		return cli.Fail(os.Stderr, "regenerate file "+args[1], err)
	}
	fmt.Println(id)
	return 0
}
