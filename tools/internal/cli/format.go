package cli

import (
	"fmt"
	"time"

	"github.com/gofdfs/gofdfs/client"
)

// HumanMB is C's FDFS_MB_TO_HUMAN_STR (libfastcommon bytes_to_human_str of
// mb MiB): a whole number of the largest unit it reaches, rounded.
func HumanMB(mb int64) string {
	if mb <= 0 {
		return "0 B"
	}
	if mb < 1024 {
		return fmt.Sprintf("%d MB", mb)
	}
	if mb < 1024*1024 {
		return fmt.Sprintf("%d GB", (mb+512)/1024)
	}
	if mb < 1024*1024*1024 {
		return fmt.Sprintf("%d TB", (mb+512*1024)/(1024*1024))
	}
	return fmt.Sprintf("%d PB", (mb+512*1024*1024)/(1024*1024*1024))
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
