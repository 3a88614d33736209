// fdfs_file_info prints what a file ID says of its file, as the C tool:
//
//	fdfs_file_info [-s] [-n] <config_file> <file_id>
//
// -s asks the storage not to log a missing file, -n not to compute the
// CRC32 of an appender or slave file (the crc32 line is then left out).
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

	"github.com/gofdfs/gofdfs/client"
	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/tools/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout)) }

// info is what the tool prints.
type info struct {
	fromServer bool
	noCRC      bool // -n: leave out a CRC32 the storage did not compute
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
	if !i.noCRC || i.crc != 0 {
		// C prints the CRC as a signed int: 0xe224ee95 is -500896107
		fmt.Fprintf(w, "file crc32: %d (0x%08x)\n", int32(i.crc), i.crc)
	}
	fmt.Fprintf(w, "\n")
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: fdfs_file_info [options] <config_file> <file_id>\n"+
		"  options: \n"+
		"    -s: keep silence, when this file not exist, do not log error on storage server\n"+
		"    -n: do NOT calculate CRC32 for appender file or slave file\n\n")
}

func run(args []string, out io.Writer) int {
	opts, args, err := cli.Getopt(args, "ns")
	if err != nil || len(args) != 2 {
		usage(os.Stderr)
		return 1
	}
	var infoOpts []client.InfoOption
	noCRC := false
	for _, o := range opts {
		switch o.Name {
		case 'n':
			noCRC = true
			infoOpts = append(infoOpts, client.NoCRC())
		case 's':
			infoOpts = append(infoOpts, client.Silent())
		}
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
		fi, err := c.FileInfo(context.Background(), id, infoOpts...)
		if err != nil {
			return cli.Fail(os.Stderr, "query file info", err)
		}
		i.fromServer = true
		i.size, i.crc, i.created = fi.Size, fi.CRC32, fi.CreateTime
		if fi.SourceIP != "" {
			i.sourceIP = fi.SourceIP
		}
	}
	i.noCRC = noCRC
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
