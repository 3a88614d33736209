package httpd

import "bytes"

// FilePath cuts a URL path into the group name (when haveGroup: the first
// element, as the nginx module's url_have_group_name) and the remote
// filename "M00/00/00/NAME". ok is false for a path of the wrong shape;
// the remote filename is not validated here (codec.ParseRemoteFilename
// does that, as for the binary protocol). Percent-encoded paths are not
// decoded: no character of a valid remote filename needs encoding, so a
// '%' in the path names no file.
func FilePath(path []byte, haveGroup bool) (group, remote []byte, ok bool) {
	if len(path) < 2 || path[0] != '/' || bytes.IndexByte(path, '%') >= 0 {
		return nil, nil, false
	}
	p := path[1:]
	if haveGroup {
		i := bytes.IndexByte(p, '/')
		if i <= 0 {
			return nil, nil, false
		}
		group, p = p[:i], p[i+1:]
	}
	if len(p) == 0 {
		return nil, nil, false
	}
	return group, p, true
}
