// fdfs_download_file downloads a file by its ID, as the C tool:
//
//	fdfs_download_file <config_file> <file_id> [local_filename] [<download_offset> <download_bytes>]
//
// Unlike C (which exits 0 even when the download failed) it exits with the
// errno on failure, and removes the partial local file.
package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"strconv"

	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) < 2 || len(args) > 5 {
		fmt.Fprintf(os.Stderr, "Usage: fdfs_download_file <config_file> <file_id> [local_filename] [<download_offset> <download_bytes>]\n")
		return 1
	}
	local := path.Base(args[1])
	if len(args) >= 3 {
		local = args[2]
	}
	var offset, length int64
	var err error
	if len(args) >= 4 {
		if offset, err = strconv.ParseInt(args[3], 10, 64); err != nil || offset < 0 {
			fmt.Fprintf(os.Stderr, "fdfs_download_file: invalid download_offset %q\n", args[3])
			return 22
		}
	}
	if len(args) == 5 {
		if length, err = strconv.ParseInt(args[4], 10, 64); err != nil || length < 0 {
			fmt.Fprintf(os.Stderr, "fdfs_download_file: invalid download_bytes %q\n", args[4])
			return 22
		}
	}
	c, _, err := cli.Open(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "fdfs_download_file: %v\n", err)
		return 2
	}
	defer c.Close()
	f, err := os.OpenFile(local, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return cli.Fail(os.Stderr, "open file "+local, err)
	}
	m := cli.NewMeter("download "+local, length) // the size is known only when asked for
	_, err = c.Download(context.Background(), args[1], m.Writer(f), offset, length)
	m.Done()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(local)
		return cli.Fail(os.Stderr, "download file", err)
	}
	return 0
}
