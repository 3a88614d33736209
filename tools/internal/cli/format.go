package cli

import (
	"strconv"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// HumanMB is C's FDFS_MB_TO_HUMAN_STR: libfastcommon's bytes_to_human_str of
// mb MiB. The unit is the largest of B, KB ... EB that the size reaches;
// under 10 units it has one rounded decimal ("2.5 GB", "5.0 MB"), from 10
// on a rounded whole number; bytes alone are "N  B" (two spaces, C's
// alignment).
func HumanMB(mb int64) string { return humanBytes(mb << 20) }

func humanBytes(n int64) string {
	const kb = int64(1) << 10
	units := []struct {
		size   int64
		letter string
	}{{kb << 50, "E"}, {kb << 40, "P"}, {kb << 30, "T"}, {kb << 20, "G"}, {kb << 10, "M"}, {kb, "K"}}
	for _, u := range units {
		if n >= u.size {
			return unitString(n, u.size) + " " + u.letter + "B"
		}
	}
	return strconv.FormatInt(n, 10) + "  B"
}

// unitString is libfastcommon's format_bytes_string: n/unit with one
// decimal rounded half up while under 10 (9.96 becomes "10"), else rounded
// to a whole number.
func unitString(n, unit int64) string {
	whole, rest := n/unit, n%unit
	if whole >= 10 {
		if rest >= unit/2 {
			whole++
		}
		return strconv.FormatInt(whole, 10)
	}
	tenth := (rest*10 + unit/2) / unit
	if tenth == 10 {
		whole, tenth = whole+1, 0
	}
	if whole >= 10 {
		return strconv.FormatInt(whole, 10)
	}
	return strconv.FormatInt(whole, 10) + "." + strconv.FormatInt(tenth, 10)
}

// Datetime is C's formatDatetime with "%Y-%m-%d %H:%M:%S", local time.
func Datetime(t int64) string { return time.Unix(t, 0).Format("2006-01-02 15:04:05") }

// StatusCaption is C's get_storage_status_caption.
func StatusCaption(s byte) string {
	switch s {
	case client.StatusInit:
		return "INIT"
	case client.StatusWaitSync:
		return "WAIT_SYNC"
	case client.StatusSyncing:
		return "SYNCING"
	case client.StatusIPChanged:
		return "IP_CHANGED"
	case client.StatusDeleted:
		return "DELETED"
	case client.StatusOffline:
		return "OFFLINE"
	case client.StatusOnline:
		return "ONLINE"
	case client.StatusActive:
		return "ACTIVE"
	case client.StatusRecovery:
		return "RECOVERY"
	default:
		return "UNKNOWN"
	}
}
