package tracker

import (
	"errors"
	"time"

	"github.com/gofdfs/gofdfs/codec"
)

// handlerFunc answers one request: it appends the reply body to out (which
// already holds room for the header) and returns it with the status.
type handlerFunc func(s *Server, cs *connState, body, out []byte) ([]byte, codec.Errno)

// handlers maps command codes to their handlers; nil entries answer EINVAL
// and keep the connection (client.md §1.3, tracker column).
var handlers [256]handlerFunc

func init() {
	for cmd, h := range map[byte]handlerFunc{
		codec.CmdActiveTest: handleActiveTest,

		codec.CmdQueryStoreWithoutGroupOne: handleQueryStoreWithoutGroupOne,
		codec.CmdQueryStoreWithGroupOne:    handleQueryStoreWithGroupOne,
		codec.CmdQueryStoreWithoutGroupAll: handleQueryStoreWithoutGroupAll,
		codec.CmdQueryStoreWithGroupAll:    handleQueryStoreWithGroupAll,
		codec.CmdQueryFetchOne:             handleQueryFetchOne,
		codec.CmdQueryUpdate:               handleQueryUpdate,
		codec.CmdQueryFetchAll:             handleQueryFetchAll,

		codec.CmdServerListOneGroup:  handleListOneGroup,
		codec.CmdServerListAllGroups: handleListAllGroups,
		codec.CmdServerListStorage:   handleListStorage,

		codec.CmdServerDeleteStorage:  handleDeleteStorage,
		codec.CmdServerDeleteGroup:    handleDeleteGroup,
		codec.CmdServerGetLeader:      handleGetLeader,
		codec.CmdServerSetTrunkServer: handleSetTrunkServer,

		codec.CmdServerTrackerClusterStat: handleTrackerClusterStat,
		codec.CmdServerStorageClusterStat: handleStorageClusterStat,
		codec.CmdServerStorageVolumnStat:  handleVolumeStat,
		codec.CmdStorageParameterReq:      handleParameterReq,

		codec.CmdStorageJoin:            handleJoin,
		codec.CmdStorageBeat:            handleBeat,
		codec.CmdStorageReportDiskUsage: handleDiskUsage,
		codec.CmdStorageSyncReport:      handleSyncReport,
		codec.CmdStorageReportStatus:    handleReportStatus,
		codec.CmdStorageReplicaChg:      handleReplicaChange,
		codec.CmdStorageChangeStatus:    handleChangeStatus,
		codec.CmdStorageGetMyIP:         handleGetMyIP,
		codec.CmdStorageChangelogReq:    handleChangelogReq,
		codec.CmdStorageReportIPChanged: handleReportIPChanged,

		codec.CmdStorageFetchStorageIDs: handleFetchStorageIDs,
		codec.CmdStorageGetServerID:     handleGetServerID,
		codec.CmdStorageGetStatus:       handleGetStatus,
		codec.CmdStorageGetGroupName:    handleGetGroupName,

		codec.CmdStorageSyncSrcReq:    handleSyncSrcReq,
		codec.CmdStorageSyncDestReq:   handleSyncDestReq,
		codec.CmdStorageSyncNotify:    handleSyncNotify,
		codec.CmdStorageSyncDestQuery: handleSyncDestQuery,

		codec.CmdStorageFetchTrunkFID:   handleFetchTrunkFID,
		codec.CmdStorageReportTrunkFID:  handleReportTrunkFID,
		codec.CmdStorageReportTrunkFree: handleReportTrunkFree,

		codec.CmdTrackerGetStatus:            handleTrackerGetStatus,
		codec.CmdTrackerNotifyNextLeader:     handleNotifyNextLeader,
		codec.CmdTrackerCommitNextLeader:     handleCommitNextLeader,
		codec.CmdTrackerNotifyReselectLeader: handleNotifyReselectLeader,
		codec.CmdTrackerJoinLeader:           handleJoinLeader,
		codec.CmdTrackerPingLeader:           handlePingLeader,
		codec.CmdTrackerGetSysFilesStart:     handleGetSysFilesStart,
		codec.CmdTrackerGetOneSysFile:        handleGetOneSysFile,
		codec.CmdTrackerGetSysFilesEnd:       handleGetSysFilesEnd,
	} {
		handlers[cmd] = h
	}
	for _, cmd := range []byte{codec.CmdStorageBeat, codec.CmdStorageReportDiskUsage,
		codec.CmdStorageSyncReport, codec.CmdStorageReplicaChg, codec.CmdStorageChangeStatus,
		codec.CmdStorageSyncDestReq, codec.CmdStorageSyncNotify, codec.CmdStorageSyncDestQuery,
		codec.CmdStorageFetchTrunkFID, codec.CmdStorageReportTrunkFID, codec.CmdStorageReportTrunkFree} {
		joinedOnly[cmd] = true
	}
}

// joinedOnly marks the commands a connection may send only after STORAGE_JOIN
// (C answers EACCES; 88 and 79 C does not check, but they dereference the
// joined storage, so we refuse them too). Their handlers rely on cs.storage.
var joinedOnly [256]bool

// dispatch answers one request packet into out and returns header + body.
func (s *Server) dispatch(cs *connState, cmd byte, body, out []byte) []byte {
	defer s.cmdTimes.ObserveSince(cmd, time.Now().UnixNano())
	out = append(out[:0], make([]byte, headerSize)...)
	h := handlers[cmd]
	if h == nil {
		s.log.Warn("unknown command", "peer", cs.peer, "cmd", cmd, "len", len(body))
		codec.Reply(byte(codec.EINVAL), 0).Put(out)
		return out
	}
	if joinedOnly[cmd] && cs.storage == nil {
		codec.Reply(byte(codec.EACCES), 0).Put(out)
		return out
	}
	out, st := h(s, cs, body, out)
	if st != codec.OK {
		out = out[:headerSize] // errors are header-only
	}
	codec.Reply(byte(st), len(out)-headerSize).Put(out)
	return out
}

// errnoOf is the status to answer for a decode or handler error.
func errnoOf(err error) codec.Errno {
	var ce *codec.Error
	if errors.As(err, &ce) {
		return ce.Errno
	}
	var e codec.Errno
	if errors.As(err, &e) {
		return e
	}
	return codec.EINVAL
}

func handleActiveTest(_ *Server, _ *connState, body, out []byte) ([]byte, codec.Errno) {
	if len(body) != 0 {
		return out, codec.EINVAL
	}
	return out, codec.OK
}

// tick runs the periodic checks and says when to come back.
func (s *Server) tick() time.Duration {
	now := s.now()
	s.mu.Lock()
	due := now.Sub(s.lastCheck) >= s.cfg.CheckActiveInterval
	if due {
		s.lastCheck = now
	}
	slot := now.Unix() / statusRounding
	statusDue := slot > s.statusSlot
	if statusDue {
		s.statusSlot = slot
	}
	start := s.startedAt
	s.mu.Unlock()
	if due {
		s.reg.checkActive()
	}
	s.checkTrunkServers()
	s.sweepStalled(time.Now(), s.cfg.NetworkTimeout)
	if statusDue {
		// at the slot boundary, as C's task scheduled on a 300 s time base
		at := time.Unix(slot*statusRounding, 0)
		if err := s.reg.saveTrackerStatus(start, at); err != nil {
			s.log.Error("save .tracker_status", "err", err)
		}
	}
	return min(s.cfg.CheckActiveInterval, time.Second)
}
