package codec

// Command codes. Every reply carries CmdResp whatever the request was.
const (
	CmdResp byte = 100

	// Both servers.
	CmdQuit       byte = 82
	CmdActiveTest byte = 111

	// Tracker: client queries and administration.
	CmdServerListOneGroup        byte = 90
	CmdServerListAllGroups       byte = 91
	CmdServerListStorage         byte = 92
	CmdServerDeleteStorage       byte = 93
	CmdServerSetTrunkServer      byte = 94
	CmdServerGetLeader           byte = 95
	CmdServerTrackerClusterStat  byte = 96
	CmdServerStorageClusterStat  byte = 97
	CmdServerStorageVolumnStat   byte = 98
	CmdQueryStoreWithoutGroupOne byte = 101
	CmdQueryFetchOne             byte = 102
	CmdQueryUpdate               byte = 103
	CmdQueryStoreWithGroupOne    byte = 104
	CmdQueryFetchAll             byte = 105
	CmdQueryStoreWithoutGroupAll byte = 106
	CmdQueryStoreWithGroupAll    byte = 107
	CmdServerDeleteGroup         byte = 108

	// Tracker: storage -> tracker.
	CmdStorageChangeStatus    byte = 59
	CmdStorageGetMyIP         byte = 60
	CmdStorageFetchStorageIDs byte = 69
	CmdStorageGetServerID     byte = 70
	CmdStorageGetStatus       byte = 71
	CmdStorageFetchTrunkFID   byte = 72
	CmdStorageReportTrunkFID  byte = 73
	CmdStorageReportTrunkFree byte = 74
	CmdStorageParameterReq    byte = 75
	CmdStorageReportStatus    byte = 76
	CmdStorageChangelogReq    byte = 77
	CmdStorageReportIPChanged byte = 78
	CmdStorageSyncDestQuery   byte = 79
	CmdStorageJoin            byte = 81
	CmdStorageBeat            byte = 83
	CmdStorageReportDiskUsage byte = 84
	CmdStorageReplicaChg      byte = 85
	CmdStorageSyncSrcReq      byte = 86
	CmdStorageSyncDestReq     byte = 87
	CmdStorageSyncNotify      byte = 88
	CmdStorageSyncReport      byte = 89
	CmdStorageGetGroupName    byte = 109

	// Tracker: tracker -> tracker.
	CmdTrackerJoinLeader           byte = 58
	CmdTrackerGetSysFilesStart     byte = 61
	CmdTrackerGetSysFilesEnd       byte = 62
	CmdTrackerGetOneSysFile        byte = 63
	CmdTrackerGetStatus            byte = 64
	CmdTrackerPingLeader           byte = 65
	CmdTrackerNotifyNextLeader     byte = 66
	CmdTrackerCommitNextLeader     byte = 67
	CmdTrackerNotifyReselectLeader byte = 68

	// Storage: client commands.
	CmdUploadFile                 byte = 11
	CmdDeleteFile                 byte = 12
	CmdSetMetadata                byte = 13
	CmdDownloadFile               byte = 14
	CmdGetMetadata                byte = 15
	CmdCreateLink                 byte = 20
	CmdUploadSlaveFile            byte = 21
	CmdQueryFileInfo              byte = 22
	CmdUploadAppenderFile         byte = 23
	CmdAppendFile                 byte = 24
	CmdModifyFile                 byte = 34
	CmdTruncateFile               byte = 36
	CmdRegenerateAppenderFilename byte = 38

	// Storage: storage -> storage and tracker -> storage.
	CmdReportServerID          byte = 9
	CmdSyncCreateFile          byte = 16
	CmdSyncDeleteFile          byte = 17
	CmdSyncUpdateFile          byte = 18
	CmdSyncCreateLink          byte = 19
	CmdSyncAppendFile          byte = 25
	CmdFetchOnePathBinlog      byte = 26
	CmdTrunkAllocSpace         byte = 27
	CmdTrunkAllocConfirm       byte = 28
	CmdTrunkFreeSpace          byte = 29
	CmdTrunkSyncBinlog         byte = 30
	CmdTrunkGetBinlogSize      byte = 31
	CmdTrunkDeleteBinlogMarks  byte = 32
	CmdTrunkTruncateBinlogFile byte = 33
	CmdSyncModifyFile          byte = 35
	CmdSyncTruncateFile        byte = 37
	CmdSyncRenameFile          byte = 40
)

var cmdNames = [256]string{
	CmdResp: "RESP", CmdQuit: "QUIT", CmdActiveTest: "ACTIVE_TEST",
	CmdServerListOneGroup: "SERVER_LIST_ONE_GROUP", CmdServerListAllGroups: "SERVER_LIST_ALL_GROUPS",
	CmdServerListStorage: "SERVER_LIST_STORAGE", CmdServerDeleteStorage: "SERVER_DELETE_STORAGE",
	CmdServerSetTrunkServer: "SERVER_SET_TRUNK_SERVER", CmdServerGetLeader: "SERVER_GET_LEADER",
	CmdServerTrackerClusterStat:  "SERVER_TRACKER_CLUSTER_STAT",
	CmdServerStorageClusterStat:  "SERVER_STORAGE_CLUSTER_STAT",
	CmdServerStorageVolumnStat:   "SERVER_STORAGE_VOLUMN_STAT",
	CmdQueryStoreWithoutGroupOne: "QUERY_STORE_WITHOUT_GROUP_ONE", CmdQueryFetchOne: "QUERY_FETCH_ONE",
	CmdQueryUpdate: "QUERY_UPDATE", CmdQueryStoreWithGroupOne: "QUERY_STORE_WITH_GROUP_ONE",
	CmdQueryFetchAll: "QUERY_FETCH_ALL", CmdQueryStoreWithoutGroupAll: "QUERY_STORE_WITHOUT_GROUP_ALL",
	CmdQueryStoreWithGroupAll: "QUERY_STORE_WITH_GROUP_ALL", CmdServerDeleteGroup: "SERVER_DELETE_GROUP",
	CmdStorageChangeStatus: "STORAGE_CHANGE_STATUS", CmdStorageGetMyIP: "STORAGE_GET_MY_IP",
	CmdStorageFetchStorageIDs: "STORAGE_FETCH_STORAGE_IDS", CmdStorageGetServerID: "STORAGE_GET_SERVER_ID",
	CmdStorageGetStatus: "STORAGE_GET_STATUS", CmdStorageFetchTrunkFID: "STORAGE_FETCH_TRUNK_FID",
	CmdStorageReportTrunkFID: "STORAGE_REPORT_TRUNK_FID", CmdStorageReportTrunkFree: "STORAGE_REPORT_TRUNK_FREE",
	CmdStorageParameterReq: "STORAGE_PARAMETER_REQ", CmdStorageReportStatus: "STORAGE_REPORT_STATUS",
	CmdStorageChangelogReq: "STORAGE_CHANGELOG_REQ", CmdStorageReportIPChanged: "STORAGE_REPORT_IP_CHANGED",
	CmdStorageSyncDestQuery: "STORAGE_SYNC_DEST_QUERY", CmdStorageJoin: "STORAGE_JOIN",
	CmdStorageBeat: "STORAGE_BEAT", CmdStorageReportDiskUsage: "STORAGE_REPORT_DISK_USAGE",
	CmdStorageReplicaChg: "STORAGE_REPLICA_CHG", CmdStorageSyncSrcReq: "STORAGE_SYNC_SRC_REQ",
	CmdStorageSyncDestReq: "STORAGE_SYNC_DEST_REQ", CmdStorageSyncNotify: "STORAGE_SYNC_NOTIFY",
	CmdStorageSyncReport: "STORAGE_SYNC_REPORT", CmdStorageGetGroupName: "STORAGE_GET_GROUP_NAME",
	CmdTrackerJoinLeader: "TRACKER_JOIN_LEADER", CmdTrackerGetSysFilesStart: "TRACKER_GET_SYS_FILES_START",
	CmdTrackerGetSysFilesEnd: "TRACKER_GET_SYS_FILES_END", CmdTrackerGetOneSysFile: "TRACKER_GET_ONE_SYS_FILE",
	CmdTrackerGetStatus: "TRACKER_GET_STATUS", CmdTrackerPingLeader: "TRACKER_PING_LEADER",
	CmdTrackerNotifyNextLeader: "TRACKER_NOTIFY_NEXT_LEADER", CmdTrackerCommitNextLeader: "TRACKER_COMMIT_NEXT_LEADER",
	CmdTrackerNotifyReselectLeader: "TRACKER_NOTIFY_RESELECT_LEADER",
	CmdUploadFile:                  "UPLOAD_FILE", CmdDeleteFile: "DELETE_FILE", CmdSetMetadata: "SET_METADATA",
	CmdDownloadFile: "DOWNLOAD_FILE", CmdGetMetadata: "GET_METADATA", CmdCreateLink: "CREATE_LINK",
	CmdUploadSlaveFile: "UPLOAD_SLAVE_FILE", CmdQueryFileInfo: "QUERY_FILE_INFO",
	CmdUploadAppenderFile: "UPLOAD_APPENDER_FILE", CmdAppendFile: "APPEND_FILE",
	CmdModifyFile: "MODIFY_FILE", CmdTruncateFile: "TRUNCATE_FILE",
	CmdRegenerateAppenderFilename: "REGENERATE_APPENDER_FILENAME",
	CmdReportServerID:             "REPORT_SERVER_ID", CmdSyncCreateFile: "SYNC_CREATE_FILE",
	CmdSyncDeleteFile: "SYNC_DELETE_FILE", CmdSyncUpdateFile: "SYNC_UPDATE_FILE",
	CmdSyncCreateLink: "SYNC_CREATE_LINK", CmdSyncAppendFile: "SYNC_APPEND_FILE",
	CmdFetchOnePathBinlog: "FETCH_ONE_PATH_BINLOG", CmdTrunkAllocSpace: "TRUNK_ALLOC_SPACE",
	CmdTrunkAllocConfirm: "TRUNK_ALLOC_CONFIRM", CmdTrunkFreeSpace: "TRUNK_FREE_SPACE",
	CmdTrunkSyncBinlog: "TRUNK_SYNC_BINLOG", CmdTrunkGetBinlogSize: "TRUNK_GET_BINLOG_SIZE",
	CmdTrunkDeleteBinlogMarks: "TRUNK_DELETE_BINLOG_MARKS", CmdTrunkTruncateBinlogFile: "TRUNK_TRUNCATE_BINLOG_FILE",
	CmdSyncModifyFile: "SYNC_MODIFY_FILE", CmdSyncTruncateFile: "SYNC_TRUNCATE_FILE",
	CmdSyncRenameFile: "SYNC_RENAME_FILE",
}

// CmdName is the protocol name of a command code, e.g. "UPLOAD_FILE", or ""
// for codes FastDFS does not define.
func CmdName(cmd byte) string { return cmdNames[cmd] }
