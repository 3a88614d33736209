// fdfs_set_metadata sets a file's metadata. C has it only inside fdfs_test
// ("set_metadata ... <op_flag> <metadata_list>"); this tool takes the same
// operands after a file ID:
//
//	fdfs_set_metadata <config_file> <file_id> <op_flag> <metadata_list>
//
// op_flag O overwrites all metadata, M merges (new values win on equal
// names); metadata_list is "name1=value1,name2=value2,..." (an empty list
// with O removes all metadata).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: fdfs_set_metadata <config_file> <file_id> <op_flag> <metadata_list>\n"+
		"\top_flag: O for overwrite, M for merge\n"+
		"\tmetadata_list: name1=value1,name2=value2,...\n")
}

func run(args []string, errw io.Writer) int {
	if len(args) != 4 || (args[2] != "O" && args[2] != "M") {
		usage(errw)
		return 1
	}
	meta, err := parseList(args[3])
	if err != nil {
		fmt.Fprintf(errw, "fdfs_set_metadata: %v\n", err)
		return 22
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(errw, "fdfs_set_metadata: %v\n", err)
		return 2
	}
	defer c.Close()
	if err := c.SetMetadata(context.Background(), args[1], meta, args[2] == "M"); err != nil {
		return cli.Fail(errw, "set metadata", err)
	}
	return 0
}

// parseList reads "name=value,..." as fdfs_test does: pairs split at ',',
// each at its first '='; a pair without '=' or with an empty name is an
// error rather than silently dropped.
func parseList(s string) ([]client.Meta, error) {
	if s == "" {
		return nil, nil
	}
	var meta []client.Meta
	for _, item := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(item, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("invalid metadata %q: want name=value", item)
		}
		meta = append(meta, client.Meta{Name: name, Value: value})
	}
	return meta, nil
}
