import { definePlugin } from '@bulkhead/sdk';

/** Binary in, binary out: inverts the bytes of an 8-bit grayscale image, passed without JSON. */
export default definePlugin({
  name: 'invert-image',
  version: '1.0.0',
  execute(input: { width: number; height: number; pixels: Uint8Array }, ctx) {
    const out = new Uint8Array(input.pixels.length);
    for (let i = 0; i < out.length; i++) out[i] = 255 - (input.pixels[i] as number);
    ctx.progress(1);
    return { width: input.width, height: input.height, pixels: out };
  },
});
