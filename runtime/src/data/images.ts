import type * as Pngjs from "pngjs";
import type * as JpegJs from "jpeg-js";
import * as path from "node:path";
import { DataError } from "./data-error.js";
import { MAX_DECODED_BYTES, MAX_IMAGE_PIXELS } from "./limits.js";

// The decoders load when the first image is read: pngjs alone brings zlib, streams and assert, which every check
// sandbox (it loads the whole runtime and reads no image) would otherwise load on each start.
const pngjs = (): typeof Pngjs => require("pngjs");
const jpegJs = (): typeof JpegJs => require("jpeg-js");

/** How pixels become model inputs: value = (pixel · scale − mean[c]) / std[c], per channel. */
export interface Normalization {
  /** Multiplies raw 0–255 pixels first; default 1/255. */
  scale?: number;
  mean?: number[];
  std?: number[];
}

export const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function decode(bytes: Uint8Array, file: string): Rgba {
  const ext = path.extname(file).toLowerCase();
  checkDeclaredSize(bytes, file, ext);
  try {
    if (ext === ".png") {
      const png = pngjs().PNG.sync.read(Buffer.from(bytes));
      return { width: png.width, height: png.height, data: png.data };
    }
    const img = jpegJs().decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: MAX_DECODED_BYTES / 2 ** 20 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (error) {
    throw new DataError(file, `cannot be decoded as ${ext.slice(1).toUpperCase()}: ${(error as Error).message}`, { cause: error });
  }
}

/** A PNG states its size in its header: refuse one whose pixels would not fit before decoding allocates them. */
function checkDeclaredSize(bytes: Uint8Array, file: string, ext: string): void {
  if (ext !== ".png" || bytes.length < 24) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16, false);
  const height = view.getUint32(20, false);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new DataError(file, `declares ${width} × ${height} pixels, more than qkit decodes (${MAX_IMAGE_PIXELS / 2 ** 20} Mpx); resize it`);
  }
}

/**
 * Decode an image into CHW float32 with `channels` channels (1: luminance, 3: RGB) resized (bilinear, align corners
 * off) to height × width, normalized.
 */
export function imageToCHW(bytes: Uint8Array, file: string, channels: number, height: number, width: number, norm: Normalization = {}): Float32Array {
  if (channels !== 1 && channels !== 3) throw new DataError(file, `the model wants ${channels} channels; images give 1 (grey) or 3 (RGB)`);
  const img = decode(bytes, file);
  const scale = norm.scale ?? 1 / 255;
  const out = new Float32Array(channels * height * width);
  const sy = img.height / height;
  const sx = img.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5);
    const y0 = Math.min(img.height - 1, Math.floor(fy));
    const y1 = Math.min(img.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5);
      const x0 = Math.min(img.width - 1, Math.floor(fx));
      const x1 = Math.min(img.width - 1, x0 + 1);
      const wx = fx - x0;
      const sample = (c: number) => {
        const at = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 4 + c]!;
        return (at(y0, x0) * (1 - wx) + at(y0, x1) * wx) * (1 - wy) + (at(y1, x0) * (1 - wx) + at(y1, x1) * wx) * wy;
      };
      for (let c = 0; c < channels; c++) {
        const raw = channels === 1 ? 0.299 * sample(0) + 0.587 * sample(1) + 0.114 * sample(2) : sample(c);
        const mean = norm.mean?.[c] ?? norm.mean?.[0] ?? 0;
        const std = norm.std?.[c] ?? norm.std?.[0] ?? 1;
        out[c * height * width + y * width + x] = (raw * scale - mean) / std;
      }
    }
  }
  return out;
}
