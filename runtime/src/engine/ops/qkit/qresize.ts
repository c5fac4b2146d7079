import type { OpDef, RtValue } from "../../op.js";
import type { Bytes } from "../../kernels/qconv.js";
import { requireInput, sizeOf } from "../util.js";
import { qkitInputs } from "../../../qkit-ops/schema.js";
import { BYTE_TYPES, perTensor } from "./qparams.js";
import { centered, floatCore, requantize } from "./float-core.js";

const Q = qkitInputs("QResize");

/**
 * com.qkit.QResize: Resize in linear or cubic mode is a weighted sum of its input, so it runs on the centered codes
 * and is requantized once with s_x / s_y. (Nearest mode moves codes and lowers to Resize on the integers.)
 */
export const qresize: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[Q.x], Q.x, ctx);
    if (!BYTE_TYPES.has(x.dtype)) ctx.unsupported(`on ${x.dtype} (uint8 and int8 only)`);
    const xq = perTensor(inputs[Q.xScale], inputs[Q.xZeroPoint], "input", ctx);
    const yq = perTensor(inputs[Q.yScale], inputs[Q.yZeroPoint], "output", ctx);
    if (!BYTE_TYPES.has(yq.dtype)) ctx.unsupported(`with a ${yq.dtype} output (uint8 and int8 only)`);
    if (ctx.node.stringAttribute("coordinate_transformation_mode", "half_pixel") === "tf_crop_and_resize") {
      ctx.unsupported("with coordinate_transformation_mode tf_crop_and_resize (its extrapolation value is a float)");
    }
    const cx = centered(x, xq, ctx);
    const core = floatCore("Resize", [cx.meta, inputs[Q.roi], inputs[Q.scales], inputs[Q.sizes]], ctx);
    const dims = core.outputs[0]!.dims;
    const n = sizeOf(dims);
    const acc = ctx.persistentF32(n);
    const coreIns = [cx.value, undefined, undefined, undefined].map((v, i) => {
      if (v) return v;
      const meta = inputs[Q.roi + i - 1];
      return meta?.value !== undefined ? { dtype: meta.dtype, dims: meta.dims, data: meta.value } as RtValue : undefined;
    });
    const coreOuts: RtValue[] = [{ dtype: "float32", dims, data: acc }];
    const scale = yq.scale / xq.scale;
    const k = ctx.k;
    return {
      outputs: [{ dtype: yq.dtype as never, dims }],
      runtimeInputs: [Q.x],
      run(ins: readonly (RtValue | undefined)[], outs: readonly RtValue[]) {
        cx.load(ins[Q.x]!.data as Bytes);
        core.run!(coreIns, coreOuts);
        requantize(k, acc, outs[0]!.data as Bytes, n, scale, yq, yq.min, yq.max);
      },
    };
  },
};
