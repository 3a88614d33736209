// fdfs_file_info prints what a file ID says of its file, as the C tool:
//
//	fdfs_file_info <config_file> <file_id>
//
// A normal file's ID is decoded locally (source, time, size, CRC32 are in the
// name; nothing is sent); appender and slave files are asked of a storage,
// since their size and CRC change after the name was made.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout)) }

// info is what the tool prints.
type info struct {
	fromServer bool
	kind       string
	sourceID   string
	sourceIP   string
	created    int64
	size       int64
	crc        uint32
}

func (i *info) print(w io.Writer) {
	fmt.Fprintf(w, "GET FROM SERVER: %t\n\n", i.fromServer)
	fmt.Fprintf(w, "file type: %s\n", i.kind)
	fmt.Fprintf(w, "source storage id: %s\n", i.sourceID)
	fmt.Fprintf(w, "source ip address: %s\n", i.sourceIP)
	fmt.Fprintf(w, "file create timestamp: %s\n", time.Unix(i.created, 0).Format("2006-01-02 15:04:05"))
	fmt.Fprintf(w, "file size: %d\n", i.size)
	fmt.Fprintf(w, "file crc32: %d (0x%08x)\n\n", i.crc, i.crc)
}

func run(args []string, out io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintf(os.Stderr, "Usage: fdfs_file_info <config_file> <file_id>\n")
		return 1
	}
	id := args[1]
	i, err := decodeLocal(id)
	if err != nil {
		return cli.Fail(os.Stderr, "query file info", err)
	}
	// like C: size and CRC of appender and slave files only the storage knows
	if i.kind == "appender" || i.kind == "slave" {
		c, _, err := cli.Open(args[0])
		if err != nil {
			fmt.Fprintf(os.Stderr, "fdfs_file_info: %v\n", err)
			return 2
		}
		defer c.Close()
		fi, err := c.FileInfo(context.Background(), id)
		if err != nil {
			return cli.Fail(os.Stderr, "query file info", err)
		}
		i.fromServer = true
		i.size, i.crc, i.created = fi.Size, fi.CRC32, fi.CreateTime
		if fi.SourceIP != "" {
			i.sourceIP = fi.SourceIP
		}
	}
	i.print(out)
	return 0
}

// decodeLocal reads the 27 name characters as C's client does (leniently).
func decodeLocal(id string) (*info, error) {
	_, remote, err := codec.SplitFileID([]byte(id))
	if err != nil {
		return nil, err
	}
	if len(remote) < codec.NormalNameLen {
		return nil, codec.EINVAL
	}
	f := codec.DecodeNameFieldsC(remote[codec.LogicPathLen : codec.LogicPathLen+codec.B64PartLen])
	i := &info{kind: codec.ClassifyName(len(remote), f).String(), created: int64(f.Timestamp),
		size: f.FileSize(), crc: f.CRC32, sourceID: "0"}
	if f.SourceIsID() {
		i.sourceID = string(f.AppendSource(nil))
	} else {
		i.sourceIP = string(f.AppendSource(nil))
	}
	return i, nil
}
