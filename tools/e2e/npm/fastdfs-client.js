'use strict';
// Interop check of the npm SDK `fastdfs-client` 1.0.2 against a running
// tracker/storage. Usage: node fastdfs-client.js TRACKER_HOST:PORT [WORK_DIR].
// Its LIST_STORAGE reads 600- or 612-byte records; with response_list_dialect = v5
// (V5.04-V6.10, 612 bytes) it also decodes the connection counters.
require('./common.js')('fastdfs-client', require('fastdfs-client'), {
    checkStorages(s) {
        if (!(s.connectionMaxCount >= 1)) {
            throw new Error('list storages: connection max count ' + s.connectionMaxCount + ' (want >= 1 with 612-byte records)');
        }
    },
});
