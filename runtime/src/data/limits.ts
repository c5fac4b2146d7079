/**
 * How much memory reading one data file may take. Compressed formats (.npz, gzipped IDX, PNG) state or imply sizes
 * far beyond their own: each reader checks the size it is about to allocate against these before allocating.
 */
export const MAX_DECODED_BYTES = 1024 ** 3;
/** Pixels of one image (8192 × 8192): images are resized to the model's input, so larger ones are no photo. */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

export function formatSize(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${bytes} bytes`;
}
