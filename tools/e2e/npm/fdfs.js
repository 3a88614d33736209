'use strict';
// Interop check of the npm SDK `fdfs` 1.0.4 against a running tracker/storage.
// Usage: node fdfs.js TRACKER_HOST:PORT [WORK_DIR]. Its LIST_STORAGE reads only
// 600-byte records (V5.02-V5.03): run the tracker with response_list_dialect = v5.02.
require('./common.js')('fdfs', require('fdfs'));
