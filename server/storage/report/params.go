package report

import (
	"strconv"

	"github.com/gofdfs/gofdfs/codec"
	"github.com/gofdfs/gofdfs/conf"
	"github.com/gofdfs/gofdfs/diskio"
)

// Params are what a C storage learns from its tracker (STORAGE_PARAMETER_REQ).
// The storage starts with its options' values (default: the values a C
// storage has before its first tracker reply) until the reporter's
// PARAMETER_REQ reply replaces them (applyParams).
type Params struct {
	// StorePathMode is tracker.conf store_path: 0 round robin, 2 most free
	// space (the storage's own choice for index 0xFF follows it).
	StorePathMode int
	// Reserve is reserved_storage_space. The zero value reserves nothing,
	// as a C storage that has not heard from a tracker yet.
	Reserve diskio.Reserve
	// UseStorageID with StorageID (a decimal id 1..16777215) puts the id
	// instead of the IPv4 address into new file names.
	UseStorageID bool
	StorageID    string
	// ClusterIDs: the trackers know storages by id (use_storage_id), even
	// when file names carry IPs; StorageID is then our name at the trackers
	// and at the peers.
	ClusterIDs bool
	// SlaveUseLink is store_slave_file_use_link: a slave file's data gets
	// a generated name and the slave name is a symbolic link to it.
	SlaveUseLink bool
	// ResponseIPSize is the IP field width of QUERY_FILE_INFO replies: 16 or
	// 46 (the default: a C storage that never received the value uses 46).
	ResponseIPSize int
}

// DefaultParams are the values before any tracker reply.
func DefaultParams() Params { return Params{ResponseIPSize: codec.IPv6AddrSize} }

// applyParams puts the tracker's parameters in force.
func (r *Reporter) applyParams(p codec.Parameters) {
	if r.cfg.Trunk != nil {
		r.cfg.Trunk.TrunkParams(p)
	}
	np := r.cfg.Host.Params()
	flag := func(k string) (bool, bool) {
		v, ok := p.Get(k)
		if !ok {
			return false, false
		}
		n, err := strconv.Atoi(v)
		return err == nil && n != 0, true
	}
	if v, ok := p.Get("store_path"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			np.StorePathMode = n
		}
	}
	if v, ok := p.Get("reserved_storage_space"); ok {
		if rs, err := conf.ParseReservedSpace(v); err == nil {
			np.Reserve = diskio.Reserve{MB: rs.MB, Ratio: rs.Ratio}
		} else {
			r.log.Warn("tracker parameter reserved_storage_space", "value", v, "err", err)
		}
	}
	if v, ok := p.Get("response_ip_addr_size"); ok {
		if n, err := strconv.Atoi(v); err == nil && n == codec.IPv4AddrSize {
			np.ResponseIPSize = codec.IPv4AddrSize
		} else {
			np.ResponseIPSize = codec.IPv6AddrSize
		}
	}
	if on, ok := flag("store_slave_file_use_link"); ok {
		np.SlaveUseLink = on
	}
	if on, ok := flag("storage_ip_changed_auto_adjust"); ok {
		r.autoAdjust.Store(on)
	}
	useID, _ := flag("use_storage_id")
	idType, _ := p.Get("id_type_in_filename")
	if np.StorageID == "" {
		np.StorageID = r.cfg.ServerID
	}
	if np.StorageID == "" {
		np.StorageID = r.ownIDFound
	}
	idOK := false
	if id, err := strconv.ParseUint(np.StorageID, 10, 32); err == nil && id > 0 && id <= 0xFFFFFF {
		idOK = true
	}
	switch {
	case useID && idType == "id" && idOK:
		np.UseStorageID = true
	case useID && idType == "id":
		r.log.Warn("tracker uses storage ids in file names but this storage's id is unknown (set server_id); using the IP",
			"server_id", np.StorageID)
		np.UseStorageID = false
	default:
		np.UseStorageID = false
	}
	np.ClusterIDs = useID && idOK
	r.cfg.Host.SetParams(np)
	r.log.Info("tracker parameters applied", "store_path", np.StorePathMode, "reserve_mb", np.Reserve.MB,
		"reserve_ratio", np.Reserve.Ratio, "response_ip_addr_size", np.ResponseIPSize,
		"slave_use_link", np.SlaveUseLink, "id_in_filename", np.UseStorageID)
}
