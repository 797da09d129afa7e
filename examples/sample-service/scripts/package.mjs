// Packages the service for Lambda: dist/function.zip holds package.json and src/ (no tests,
// no dev tools). Node's own zlib only, so the build image needs no zip tool.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const files = ['package.json', ...walk(join(root, 'src'))].map((f) => relative(root, join(root, f)));

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [relative(root, path)];
  });
}

const locals = [];
const centrals = [];
let offset = 0;
for (const name of files.sort()) {
  const data = readFileSync(join(root, name));
  const packed = deflateRawSync(data);
  const nameBytes = Buffer.from(name);
  const fields = (sig) => {
    const b = Buffer.alloc(sig === 0x04034b50 ? 30 : 46);
    b.writeUInt32LE(sig, 0);
    return b;
  };
  const local = fields(0x04034b50);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt16LE(33, 12); // 1980-01-01: the same sources give the same archive
  local.writeUInt32LE(crc32(data), 14);
  local.writeUInt32LE(packed.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = fields(0x02014b50);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt16LE(33, 14);
  central.writeUInt32LE(crc32(data), 16);
  central.writeUInt32LE(packed.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(0o100644 * 0x10000, 38);
  central.writeUInt32LE(offset, 42);
  const entry = Buffer.concat([local, nameBytes, packed]);
  locals.push(entry);
  centrals.push(Buffer.concat([central, nameBytes]));
  offset += entry.length;
}
const directory = Buffer.concat(centrals);
const end = Buffer.alloc(22);
end.writeUInt32LE(0x06054b50, 0);
end.writeUInt16LE(files.length, 8);
end.writeUInt16LE(files.length, 10);
end.writeUInt32LE(directory.length, 12);
end.writeUInt32LE(offset, 16);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'function.zip'), Buffer.concat([...locals, directory, end]));
console.log(`dist/function.zip: ${files.length} files`);
