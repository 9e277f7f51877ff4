/*
 * @module mvtpoints
 * Decodes a Mapbox Vector Tile (2.1) layer of points into columns (typed arrays), as the site
 * tiles are (sitefinder/api/mvtencode.py): per feature its position in tile pixels and per
 * attribute an index into that attribute's values, so that a recolour is a loop over numbers
 * with no object per feature. Hand-written rather than npm's `@mapbox/vector-tile` + `pbf`
 * (what Leaflet.VectorGrid bundles): those build an object and a properties map per feature,
 * which is what made recolouring a million sites take seconds. Only points are read (other
 * geometry is skipped); a point with several positions (MultiPoint) keeps its first.
 */

const TEXT = new TextDecoder();

/** A protobuf reader over bytes (varints, length-delimited fields, skipping). */
class Reader {
  constructor(bytes, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
  }

  varint() {
    let result = 0;
    let shift = 1;
    let byte;
    do {
      byte = this.bytes[this.pos++];
      result += (byte & 0x7f) * shift;
      shift *= 128;
    } while (byte >= 0x80);
    return result;
  }

  sub() {
    const length = this.varint();
    const sub = new Reader(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return sub;
  }

  skip(wire) {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.pos += this.varint();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

function readValue(r) {
  const view = new DataView(r.bytes.buffer, r.bytes.byteOffset);
  let value = null;
  while (r.pos < r.end) {
    const key = r.varint();
    const field = key >> 3;
    if (field === 1) {
      const length = r.varint();
      value = TEXT.decode(r.bytes.subarray(r.pos, r.pos + length));
      r.pos += length;
    } else if (field === 2) {
      value = view.getFloat32(r.pos, true);
      r.pos += 4;
    } else if (field === 3) {
      value = view.getFloat64(r.pos, true);
      r.pos += 8;
    } else if (field === 4 || field === 5) value = r.varint();
    else if (field === 6) {
      const n = r.varint();
      value = n % 2 ? -(n + 1) / 2 : n / 2;
    } else if (field === 7) value = r.varint() !== 0;
    else r.skip(key & 7);
  }
  return value;
}

/**
 * The layer `name` of an MVT as columns, or null when the tile has no such layer:
 * {n, extent, x, y (Float32Array, tile units, y down), keys (attribute names), values (the
 * layer's values), tags (Int32Array n × keys.length: index into values, -1 absent)}.
 * @param {ArrayBuffer} buffer
 * @param {string} name
 */
export function decodePoints(buffer, name) {
  const bytes = new Uint8Array(buffer);
  const tile = new Reader(bytes);
  while (tile.pos < tile.end) {
    const key = tile.varint();
    if (key !== 0x1a) {
      tile.skip(key & 7);
      continue;
    }
    const layer = readLayer(tile.sub());
    if (layer.name === name) return layer;
  }
  return null;
}

function readLayer(r) {
  const features = [];
  const keys = [];
  const values = [];
  let name = "";
  let extent = 4096;
  while (r.pos < r.end) {
    const key = r.varint();
    const field = key >> 3;
    if (field === 1) {
      const s = r.sub();
      name = TEXT.decode(r.bytes.subarray(s.pos, s.end));
    } else if (field === 2) {
      const length = r.varint();
      features.push(r.pos, r.pos + length);
      r.pos += length;
    } else if (field === 3) {
      const s = r.sub();
      keys.push(TEXT.decode(r.bytes.subarray(s.pos, s.end)));
    } else if (field === 4) values.push(readValue(r.sub()));
    else if (field === 5) extent = r.varint();
    else r.skip(key & 7);
  }
  const n = features.length / 2;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const tags = new Int32Array(n * keys.length).fill(-1);
  const width = keys.length;
  for (let i = 0; i < n; i += 1) {
    const f = new Reader(r.bytes, features[2 * i], features[2 * i + 1]);
    while (f.pos < f.end) {
      const key = f.varint();
      if (key === 0x12) {
        const t = f.sub();
        while (t.pos < t.end) {
          const k = t.varint();
          tags[i * width + k] = t.varint();
        }
      } else if (key === 0x22) {
        const g = f.sub();
        g.varint(); // MoveTo with its count
        const zx = g.varint();
        const zy = g.varint();
        x[i] = zx % 2 ? -(zx + 1) / 2 : zx / 2;
        y[i] = zy % 2 ? -(zy + 1) / 2 : zy / 2;
        f.pos = g.end;
      } else f.skip(key & 7);
    }
  }
  return { name, n, extent, x, y, keys, values, tags };
}
