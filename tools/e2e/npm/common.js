'use strict';
// Shared checks for the V4/V5-era npm FastDFS SDKs (fdfs 1.0.4, fastdfs-client
// 1.0.2; fastdfs-client is a copy of fdfs with a LIST_STORAGE that also reads
// 612-byte records). fdfs.js and fastdfs-client.js call run() with their SDK.
//
// Usage: node fdfs.js [TRACKER_HOST:PORT] [WORK_DIR]
//   or   FDFS_TRACKER=127.0.7.21:22122 FDFS_WORKDIR=/tmp/x node fdfs.js
// Exits 0 when every check passed, 1 with a message naming the failed step.

const fs = require('fs');
const os = require('os');
const path = require('path');

function crc32(buf) {
    let c, crc = 0xFFFFFFFF;
    for (let i = 0; i < buf.length; i++) {
        c = (crc ^ buf[i]) & 0xFF;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xEDB88320 : c >>> 1;
        crc = (crc >>> 8) ^ c;
    }
    return (crc ^ 0xFFFFFFFF) >>> 0;
}

function fail(step, msg) {
    const err = new Error(step + ': ' + msg);
    err.step = step;
    throw err;
}

function eq(step, got, want) {
    const g = Buffer.isBuffer(got) ? JSON.stringify(got.toString('latin1')) : JSON.stringify(got);
    const w = Buffer.isBuffer(want) ? JSON.stringify(want.toString('latin1')) : JSON.stringify(want);
    if (g !== w) fail(step, 'got ' + g + ', want ' + w);
}

// Each SDK call gets its own deadline so a hung reply names its step.
function step(name, promise, ms) {
    let timer;
    const deadline = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(name + ': no answer in ' + (ms || 15000) + ' ms')), ms || 15000);
    });
    return Promise.race([Promise.resolve(promise), deadline]).then(
        (v) => { clearTimeout(timer); console.log('ok   ' + name); return v; },
        (e) => {
            clearTimeout(timer);
            if (e && e.step) throw e;
            const m = e instanceof Error ? e.message : String(e);
            const err = new Error(name + ': ' + m);
            err.step = name;
            throw err;
        });
}

// expectFail resolves when promise rejects, and fails the step when it resolves.
// With errno, the server's status byte (the SDK's err.errno) must be it.
function expectFail(name, promise, errno) {
    return step(name, Promise.resolve(promise).then(
        (v) => fail(name, 'succeeded but should have failed: ' + JSON.stringify(v)),
        (e) => {
            if (e && e.step) throw e;
            if (errno !== undefined && !(e && e.errno === errno)) {
                fail(name, 'failed with ' + (e && e.message ? e.message : String(e)) + ', want status ' + errno);
            }
            return e;
        }));
}

const idShape = /^group1\/M00\/[0-9A-F]{2}\/[0-9A-F]{2}\/[A-Za-z0-9_-]{27}\d{3}\.(txt|bin|log)$/;

async function run(sdkName, FdfsClient, opts) {
    const tracker = process.argv[2] || process.env.FDFS_TRACKER;
    if (!tracker || !/^[^:]+:\d+$/.test(tracker)) {
        throw new Error('usage: node ' + sdkName + '.js TRACKER_HOST:PORT [WORK_DIR] (or FDFS_TRACKER)');
    }
    const work = process.argv[3] || process.env.FDFS_WORKDIR || fs.mkdtempSync(path.join(os.tmpdir(), sdkName + '-'));
    fs.mkdirSync(work, { recursive: true });
    const [host, port] = tracker.split(':');
    const quiet = { log() {}, debug() {}, info() {}, warn() {}, error() {} };
    const fdfs = new FdfsClient({
        trackers: [{ host: host, port: Number(port) }],
        timeout: 10000,
        defaultExt: 'bin',
        logger: process.env.FDFS_DEBUG ? undefined : quiet,
    });
    const file = (name) => path.join(work, name);
    const now = Math.floor(Date.now() / 1000);

    // upload from a Buffer
    const content = Buffer.from('hello fastdfs\n');
    const id1 = await step('upload buffer', fdfs.upload(content, { ext: 'txt' }));
    if (!idShape.test(id1)) fail('upload buffer', 'file ID ' + JSON.stringify(id1));
    eq('upload buffer: extension', id1.slice(-4), '.txt');

    // upload from a file name (the SDK takes the extension from it)
    const big = Buffer.alloc(300 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) & 0xFF;
    fs.writeFileSync(file('big.log'), big);
    const id2 = await step('upload file', fdfs.upload(file('big.log')));
    if (!idShape.test(id2) || !id2.endsWith('.log')) fail('upload file', 'file ID ' + JSON.stringify(id2));

    // upload from a ReadableStream (size required)
    const id3 = await step('upload stream',
        fdfs.upload(fs.createReadStream(file('big.log')), { size: big.length, ext: 'bin' }));
    if (!idShape.test(id3)) fail('upload stream', 'file ID ' + JSON.stringify(id3));

    // upload into a named group: QUERY_STORE_WITH_GROUP_ONE (104) instead of 101
    const id4 = await step('upload with group', fdfs.upload(Buffer.from('grouped'), { group: 'group1', ext: 'txt' }));
    if (!idShape.test(id4)) fail('upload with group', 'file ID ' + JSON.stringify(id4));
    await expectFail('upload to an unknown group fails', fdfs.upload(Buffer.from('x'), { group: 'nosuchgroup', ext: 'txt' }), 2);

    // whole downloads, to a file name and to a WritableStream
    await step('download whole (small)', fdfs.download(id1, file('copy1.txt')));
    eq('download whole (small): content', fs.readFileSync(file('copy1.txt')), content);
    await step('download whole (300 KiB)', fdfs.download(id2, file('copy2.log')));
    if (!fs.readFileSync(file('copy2.log')).equals(big)) fail('download whole (300 KiB)', 'content differs');
    await step('download to WritableStream', fdfs.download(id3, fs.createWriteStream(file('copy3.bin'))));
    if (!fs.readFileSync(file('copy3.bin')).equals(big)) fail('download to WritableStream', 'content differs');

    // ranged download (the SDK sends offset/bytes only when non-zero)
    await step('download range', fdfs.download(id1, { target: file('part.txt'), offset: 6, bytes: 7 }));
    eq('download range: content', fs.readFileSync(file('part.txt')), Buffer.from('fastdfs'));
    await step('download range of 300 KiB file',
        fdfs.download(id2, { target: file('part2.log'), offset: 100000, bytes: 150000 }));
    if (!fs.readFileSync(file('part2.log')).equals(big.subarray(100000, 250000))) {
        fail('download range of 300 KiB file', 'content differs');
    }

    // file info (QUERY_FILE_INFO, 40-byte answer expected by the SDK)
    const info = await step('file info', fdfs.getFileInfo(id1));
    eq('file info: size', info.size, content.length);
    eq('file info: crc32', info.crc32 >>> 0, crc32(content));
    eq('file info: source ip', info.addr, '127.0.7.22');
    if (Math.abs(info.timestamp - now) > 300) fail('file info: timestamp', String(info.timestamp));
    const info2 = await step('file info (300 KiB)', fdfs.getFileInfo(id2));
    eq('file info (300 KiB): size', info2.size, big.length);
    eq('file info (300 KiB): crc32', info2.crc32 >>> 0, crc32(big));

    // metadata: overwrite, read back, merge, read back
    await step('set metadata (O)', fdfs.setMetaData(id1, { width: '1024', height: '768', author: 'gofdfs' }));
    // the storage keeps records sorted by name (as C does), so compare as sorted lists
    const metaList = (m) => Object.keys(m).sort().map((k) => k + '=' + m[k]);
    eq('get metadata', metaList(await step('get metadata', fdfs.getMetaData(id1))),
        ['author=gofdfs', 'height=768', 'width=1024']);
    await step('set metadata (M)', fdfs.setMetaData(id1, { height: '600', color: 'blue' }, 'M'));
    const merged = await step('get metadata after merge', fdfs.getMetaData(id1));
    eq('get metadata after merge', metaList(merged),
        ['author=gofdfs', 'color=blue', 'height=600', 'width=1024']);
    await step('set metadata (O) replaces', fdfs.setMetaData(id1, { only: 'one' }, 'O'));
    eq('get metadata after overwrite', metaList(await step('get metadata after overwrite', fdfs.getMetaData(id1))),
        ['only=one']);

    // appender: create, append, modify (the SDK asks QUERY_STORE_WITH_GROUP (104) first)
    const ida = await step('upload appender', fdfs.upload(Buffer.from('0123456789'), { method: 'uploadAppender', ext: 'txt' }));
    if (!idShape.test(ida)) fail('upload appender', 'file ID ' + JSON.stringify(ida));
    await step('append', fdfs.upload(Buffer.from('abcdef'), { method: 'append', fileId: ida }));
    await step('download after append', fdfs.download(ida, file('app1.txt')));
    eq('download after append: content', fs.readFileSync(file('app1.txt')), Buffer.from('0123456789abcdef'));
    await step('modify', fdfs.upload(Buffer.from('XYZ'), { method: 'modify', fileId: ida, offset: 4 }));
    await step('modify at end extends', fdfs.upload(Buffer.from('!!'), { method: 'modify', fileId: ida, offset: 16 }));
    fs.writeFileSync(file('tail.txt'), 'tail');
    await step('append from file', fdfs.upload(file('tail.txt'), { method: 'append', fileId: ida }));
    await step('download after modify', fdfs.download(ida, file('app2.txt')));
    eq('download after modify: content', fs.readFileSync(file('app2.txt')), Buffer.from('0123XYZ789abcdef!!tail'));
    const infoa = await step('file info (appender)', fdfs.getFileInfo(ida));
    eq('file info (appender): size', infoa.size, 22);
    eq('file info (appender): source ip', infoa.addr, '127.0.7.22');
    await expectFail('append to a normal file fails', fdfs.upload(Buffer.from('x'), { method: 'append', fileId: id1 }), 22);

    // tracker lists
    const groups = await step('list groups', fdfs.listGroups());
    eq('list groups: count', groups.count, 1);
    eq('list groups: name', groups.groups[0].groupName, 'group1');
    eq('list groups: storage count', groups.groups[0].storageCount, 1);
    eq('list groups: active count', groups.groups[0].activeCount, 1);
    eq('list groups: store path count', groups.groups[0].storePathCount, 1);
    // The stat block reaches the tracker with the storage's next report: poll
    // (bounded) until the record shows this run's uploads, then check it.
    let storages, lastErr;
    for (let i = 0; i < 20; i++) {
        storages = await step(i ? 'list storages (again)' : 'list storages', fdfs.listStorages('group1'));
        try {
            eq('list storages: count', storages.count, 1);
            const s = storages.storages[0];
            eq('list storages: ip', s.ipAddr, '127.0.7.22');
            eq('list storages: status ACTIVE', s.status, 7);
            eq('list storages: store path count', s.storePathCount, 1);
            if (!(s.successUploadCount >= 5)) fail('list storages: success upload count', String(s.successUploadCount));
            if (!(s.successAppendCount >= 2)) fail('list storages: success append count', String(s.successAppendCount));
            if (!(s.successModifyCount >= 2)) fail('list storages: success modify count', String(s.successModifyCount));
            if (!(s.successSetMetaCount >= 3)) fail('list storages: success set meta count', String(s.successSetMetaCount));
            if (opts && opts.checkStorages) opts.checkStorages(s);
            lastErr = null;
            break;
        } catch (e) {
            lastErr = e;
            await new Promise((r) => setTimeout(r, 500));
        }
    }
    if (lastErr) throw lastErr;

    // delete, then the file is gone
    await step('delete', fdfs.del(id1));
    await expectFail('download of a deleted file fails', fdfs.download(id1, file('gone.txt')), 2);
    await expectFail('file info of a deleted file fails', fdfs.getFileInfo(id1), 2);
    await expectFail('delete of a deleted file fails', fdfs.del(id1), 2);
    for (const id of [id2, id3, id4, ida]) await step('delete ' + id, fdfs.remove(id));
    await expectFail('download of a deleted appender fails', fdfs.download(ida, file('gone2.txt')), 2);
}

module.exports = function main(sdkName, FdfsClient, opts) {
    run(sdkName, FdfsClient, opts).then(
        () => { console.log('PASS ' + sdkName); process.exit(0); },
        (e) => { console.error('FAIL ' + sdkName + ': ' + (e && e.message ? e.message : String(e))); process.exit(1); });
};
