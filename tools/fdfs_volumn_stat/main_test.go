package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/gofdfs/gofdfs/codec"
)

// Two groups with trunk files: each group's line with the trunk fields, then
// C's summary block (32 '=' either side) summing them.
func TestTwoGroupsWithTrunkAndSummary(t *testing.T) {
	rep := codec.VolumeStatReply{UseTrunkFile: true, Groups: []codec.VolumeStat{
		{GroupName: []byte("group1"), TotalMB: 2048, FreeMB: 1536, ReservedMB: 512, AvailMB: 1024, TrunkFreeMB: 100,
			IsDiskAvailable: true, IsTrunkAvailable: true},
		{GroupName: []byte("group2"), TotalMB: 1024, FreeMB: 0, ReservedMB: 512},
	}}
	var out bytes.Buffer
	report(&out, &rep)
	bar := strings.Repeat("=", 32)
	// C's group_output with bytes_to_human_str: one decimal under 10 units,
	// "0  B" for nothing; util = (total-reserved-avail)/(total-reserved)
	want := "\n" +
		"group1 disk_available: 1, trunk_available: 1, disk space {total: 2.0 GB, free: 1.5 GB, reserved: 512 MB, avail: 1.0 GB, util: 33.33%}, trunk free space: 100 MB, total available {space: 1.1 GB, ratio: 73.18%}\n\n" +
		"group2 disk_available: 0, trunk_available: 0, disk space {total: 1.0 GB, free: 0  B, reserved: 512 MB, avail: 0  B, util: 100.00%}, trunk free space: 0  B, total available {space: 0  B, ratio: 0.00%}\n\n" +
		bar + " VOLUMNS SUMMARY " + bar + "\n" +
		" disk_available: 1, trunk_available: 1, disk space {total: 3.0 GB, free: 1.5 GB, reserved: 1.0 GB, avail: 1.0 GB, util: 50.00%}, trunk free space: 100 MB, total available {space: 1.1 GB, ratio: 54.88%}\n\n" +
		"volumn / group counts {total: 2, available: 1}\n\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
}
