// fdfs_upload_file uploads a local file and prints its file ID, as the C tool:
//
//	fdfs_upload_file <config_file> <local_filename> [storage_ip:port] [store_path_index]
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) < 2 || len(args) > 4 {
		fmt.Fprintf(os.Stderr, "Usage: fdfs_upload_file <config_file> <local_filename> [storage_ip:port] [store_path_index]\n")
		return 1
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_upload_file: %v\n", err)
		return 2
	}
	defer c.Close()
	f, size, code := cli.LocalFile("fdfs_upload_file", args[1])
	if code != 0 {
		return code
	}
	defer f.Close()
	var opts []client.UploadOption
	if len(args) >= 3 {
		// an explicit storage: path index given, or 0xFF = the storage picks
		idx := -1
		if len(args) == 4 {
			if idx, err = strconv.Atoi(args[3]); err != nil || idx < 0 || idx > 255 {
				fmt.Fprintf(os.Stderr, "fdfs_upload_file: invalid store_path_index %q\n", args[3])
				return 22
			}
		}
		opts = append(opts, client.OnStorage(client.StorageServer{Addr: args[2], StorePathIndex: idx}))
	}
	m := cli.NewMeter("upload "+args[1], size)
	id, err := c.Upload(context.Background(), m.Reader(f), size, cli.ExtName(args[1]), opts...)
	m.Done()
	if err != nil {
		return cli.Fail(os.Stderr, "upload file", err)
	}
	fmt.Println(id)
	return 0
}
