// Vision families, as their exporters write them (seeded weights).
import { Builder } from "./builder.mjs";

export function convnext(onnx) {
  const b = new Builder(onnx, "convnext");
  let x = b.conv("x", 3, 48, 4, { stride: 4 });
  x = b.op("Slice", [x, b.ints([0, 0]), b.ints([56, 56]), b.ints([2, 3])]);
  const block = (x, c) => {
    let y = b.conv(x, c, c, 7, { group: c });
    y = b.op("Transpose", [y], { perm: [0, 2, 3, 1] });
    y = b.op("LayerNormalization", [y, b.weight([c], 1), b.weight([c], 0.1)], { axis: -1, epsilon: 1e-6 });
    y = b.linear(b.gelu(b.linear(y, c, 4 * c)), 4 * c, c);
    return b.op("Add", [x, b.op("Transpose", [y], { perm: [0, 3, 1, 2] })]);
  };
  for (let i = 0; i < 2; i++) x = block(x, 48);
  x = b.conv(x, 48, 96, 2, { stride: 2 });
  for (let i = 0; i < 2; i++) x = block(x, 96);
  return b.model([["x", [1, 3, 224, 224]]], x, 17);
}

export function efficientnet(onnx) {
  const b = new Builder(onnx, "efficientnet");
  let x = b.silu(b.conv("x", 3, 32, 3, { stride: 2 }));
  const mbconv = (x, cin, cout, k, stride, expand) => {
    const mid = cin * expand;
    let y = expand > 1 ? b.silu(b.conv(x, cin, mid, 1)) : x;
    y = b.silu(b.conv(y, mid, mid, k, { stride, group: mid }));
    const s = b.op("GlobalAveragePool", [y]);
    const gate = b.op("Sigmoid", [b.conv(b.silu(b.conv(s, mid, Math.max(4, cin / 4), 1)), Math.max(4, cin / 4), mid, 1)]);
    y = b.conv(b.op("Mul", [y, gate]), mid, cout, 1);
    return stride === 1 && cin === cout ? b.op("Add", [x, y]) : y;
  };
  x = mbconv(x, 32, 16, 3, 1, 1);
  x = mbconv(x, 16, 24, 3, 2, 6);
  x = mbconv(x, 24, 24, 3, 1, 6);
  x = mbconv(x, 24, 40, 5, 2, 6);
  x = mbconv(x, 40, 40, 5, 1, 6);
  return b.model([["x", [1, 3, 224, 224]]], x, 13);
}

export function shufflenet(onnx) {
  const b = new Builder(onnx, "shufflenet");
  let x = b.op("Relu", [b.conv("x", 3, 48, 3, { stride: 2 })]);
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const unit = (x, c, h) => {
    const [left, right] = b.op("Split", [x, b.ints([c / 2, c / 2])], { axis: 1 }, 2);
    let y = b.op("Relu", [b.conv(right, c / 2, c / 2, 1)]);
    y = b.conv(y, c / 2, c / 2, 3, { group: c / 2 });
    y = b.op("Relu", [b.conv(y, c / 2, c / 2, 1)]);
    const cat = b.op("Concat", [left, y], { axis: 1 });
    const grouped = b.op("Reshape", [cat, b.ints([1, 2, c / 2, h, h])]);
    return b.op("Reshape", [b.op("Transpose", [grouped], { perm: [0, 2, 1, 3, 4] }), b.ints([1, c, h, h])]);
  };
  for (let i = 0; i < 4; i++) x = unit(x, 48, 56);
  return b.model([["x", [1, 3, 224, 224]]], x, 13);
}

export function densenet(onnx) {
  const b = new Builder(onnx, "densenet");
  let x = b.op("Relu", [b.conv("x", 3, 64, 7, { stride: 2 })]);
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let channels = 64;
  for (let i = 0; i < 6; i++) {
    let y = b.op("Relu", [b.op("BatchNormalization", [x, b.weight([channels], 1), b.weight([channels], 0.1), b.weight([channels], 0.1), b.tensor([channels], new Float32Array(channels).fill(1))])]);
    y = b.op("Relu", [b.conv(y, channels, 128, 1)]);
    y = b.conv(y, 128, 32, 3);
    x = b.op("Concat", [x, y], { axis: 1 });
    channels += 32;
  }
  return b.model([["x", [1, 3, 224, 224]]], x, 13);
}

export function yoloNeck(onnx) {
  const b = new Builder(onnx, "yolo-neck");
  const cbs = (x, cin, cout, k, stride = 1) => b.silu(b.conv(x, cin, cout, k, { stride }));
  const p3 = cbs("x", 3, 64, 3, 8 / 8);
  const p4 = cbs(p3, 64, 128, 3, 2);
  let p5 = cbs(p4, 128, 256, 3, 2);
  const pool = (x) => b.op("MaxPool", [x], { kernel_shape: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2] });
  const a = pool(p5);
  const c = pool(a);
  p5 = cbs(b.op("Concat", [p5, a, c, pool(c)], { axis: 1 }), 1024, 256, 1);
  const up = b.op("Resize", [p5, "", b.tensor([4], Float32Array.of(1, 1, 2, 2))], { mode: "nearest" });
  const m4 = cbs(b.op("Concat", [up, p4], { axis: 1 }), 384, 128, 3);
  const up3 = b.op("Resize", [m4, "", b.tensor([4], Float32Array.of(1, 1, 2, 2))], { mode: "nearest" });
  const out = cbs(b.op("Concat", [up3, p3], { axis: 1 }), 192, 64, 3);
  return b.model([["x", [1, 3, 80, 80]]], out, 13);
}


/** Swin Transformer stages: window partition and reverse (6-D transposes), shifted windows (roll as Slice + Concat), a relative position bias gathered from its table, the shift mask, and patch merging by strided Slices. */
export function swin(onnx) {
  const b = new Builder(onnx, "swin");
  const [C0, w, H] = [48, 4, 3];
  const N = w * w;
  let x = b.op("Transpose", [b.convNd("x", 3, C0, [4, 4], { stride: [4, 4], pads: [0, 0, 0, 0] })], { perm: [0, 2, 3, 1] });
  const ln = (t, c) => b.op("LayerNormalization", [t, b.weight([c], 1), b.weight([c], 0.1)], { axis: -1, epsilon: 1e-5 });
  const roll = (t, shift, size) => {
    for (const axis of [1, 2]) {
      const s = ((shift % size) + size) % size;
      t = b.op("Concat", [b.op("Slice", [t, b.ints([size - s]), b.ints([size]), b.ints([axis])]), b.op("Slice", [t, b.ints([0]), b.ints([size - s]), b.ints([axis])])], { axis });
    }
    return t;
  };
  // Relative position index of a w×w window, as Swin computes it.
  const index = [];
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) {
    const [dy, dx] = [Math.floor(i / w) - Math.floor(j / w) + w - 1, (i % w) - (j % w) + w - 1];
    index.push(dy * (2 * w - 1) + dx);
  }
  const block = (x, size, c, shifted) => {
    const windows = (size / w) ** 2;
    const hd = c / H;
    let y = ln(x, c);
    if (shifted) y = roll(y, -w / 2, size);
    y = b.op("Reshape", [b.op("Transpose", [b.op("Reshape", [y, b.ints([1, size / w, w, size / w, w, c])])], { perm: [0, 1, 3, 2, 4, 5] }), b.ints([windows, N, c])]);
    const qkv = b.op("Transpose", [b.op("Reshape", [b.linear(y, c, 3 * c), b.ints([windows, N, 3, H, hd])])], { perm: [2, 0, 3, 1, 4] });
    const part = (i) => b.op("Gather", [qkv, b.tensor([], BigInt64Array.of(BigInt(i)), 7)], { axis: 0 });
    const q = b.op("Mul", [part(0), b.scalar(1 / Math.sqrt(hd))]);
    let att = b.op("MatMul", [q, b.op("Transpose", [part(1)], { perm: [0, 1, 3, 2] })]);
    const table = b.weight([(2 * w - 1) ** 2, H], 0.02);
    const bias = b.op("Transpose", [b.op("Reshape", [b.op("Gather", [table, b.ints(index)], { axis: 0 }), b.ints([N, N, H])])], { perm: [2, 0, 1] });
    att = b.op("Add", [att, b.op("Unsqueeze", [bias, b.ints([0])])]);
    if (shifted) {
      // Tokens that came from different regions before the roll do not attend to each other.
      const region = (p) => (p < size - w ? 0 : p < size - w / 2 ? 1 : 2);
      const mask = [];
      for (let wy = 0; wy < size / w; wy++) for (let wx = 0; wx < size / w; wx++) {
        const id = (t) => region(wy * w + Math.floor(t / w)) * 3 + region(wx * w + (t % w));
        for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) mask.push(id(i) === id(j) ? 0 : -100);
      }
      att = b.op("Reshape", [att, b.ints([1, windows, H, N, N])]);
      att = b.op("Add", [att, b.tensor([1, windows, 1, N, N], Float32Array.from(mask))]);
      att = b.op("Reshape", [att, b.ints([-1, H, N, N])]);
    }
    att = b.op("Softmax", [att], { axis: -1 });
    y = b.op("Reshape", [b.op("Transpose", [b.op("MatMul", [att, part(2)])], { perm: [0, 2, 1, 3] }), b.ints([windows, N, c])]);
    y = b.linear(y, c, c);
    y = b.op("Reshape", [b.op("Transpose", [b.op("Reshape", [y, b.ints([1, size / w, size / w, w, w, c])])], { perm: [0, 1, 3, 2, 4, 5] }), b.ints([1, size, size, c])]);
    if (shifted) y = roll(y, w / 2, size);
    x = b.op("Add", [x, y]);
    return b.op("Add", [x, b.linear(b.gelu(b.linear(ln(x, c), c, 4 * c)), 4 * c, c)]);
  };
  x = block(block(x, 16, C0, false), 16, C0, true);
  const part = (dy, dx) => b.op("Slice", [x, b.ints([dy, dx]), b.ints([16, 16]), b.ints([1, 2]), b.ints([2, 2])]);
  x = b.linear(ln(b.op("Concat", [part(0, 0), part(1, 0), part(0, 1), part(1, 1)], { axis: -1 }), 4 * C0), 4 * C0, 2 * C0);
  return b.model([["x", [1, 3, 64, 64]]], x, 17);
}

/** A video network (R(2+1)D/R3D style): 3-D convolutions, batch normalisation, 3-D max pooling, residual blocks, global pooling and a classifier. */
export function video3d(onnx) {
  const b = new Builder(onnx, "video3d");
  const bn = (t, c) => b.op("BatchNormalization", [t, b.weight([c], 1), b.weight([c], 0.1), b.weight([c], 0.1), b.tensor([c], new Float32Array(c).fill(1))]);
  let x = b.op("Relu", [bn(b.convNd("x", 3, 32, [3, 7, 7], { stride: [1, 2, 2], bias: false }), 32)]);
  x = b.op("MaxPool", [x], { kernel_shape: [1, 3, 3], strides: [1, 2, 2], pads: [0, 1, 1, 0, 1, 1] });
  const block = (x, cin, cout, stride) => {
    let y = b.op("Relu", [bn(b.convNd(x, cin, cout, [3, 3, 3], { stride: [stride, stride, stride], bias: false }), cout)]);
    y = bn(b.convNd(y, cout, cout, [3, 3, 3], { bias: false }), cout);
    const skip = stride === 1 && cin === cout ? x : bn(b.convNd(x, cin, cout, [1, 1, 1], { stride: [stride, stride, stride], bias: false, pads: [0, 0, 0, 0, 0, 0] }), cout);
    return b.op("Relu", [b.op("Add", [y, skip])]);
  };
  x = block(block(x, 32, 32, 1), 32, 64, 2);
  x = b.op("Flatten", [b.op("GlobalAveragePool", [x])], { axis: 1 });
  return b.model([["x", [1, 3, 8, 56, 56]]], b.op("Gemm", [x, b.weight([10, 64]), b.weight([10], 0.1)], { transB: 1 }), 13);
}

/** Super-resolution (ESPCN): Tanh convolutions, a sub-pixel DepthToSpace (CRD), added to a bilinear Resize of the input with align_corners. */
export function espcn(onnx) {
  const b = new Builder(onnx, "espcn");
  let x = b.op("Tanh", [b.conv("x", 3, 64, 5)]);
  x = b.op("Tanh", [b.conv(x, 64, 32, 3)]);
  x = b.op("DepthToSpace", [b.conv(x, 32, 3 * 9, 3)], { blocksize: 3, mode: "CRD" });
  const none = () => b.tensor([0], new Float32Array(0));
  const up = b.op("Resize", ["x", none(), none(), b.ints([1, 3, 144, 144])], { mode: "linear", coordinate_transformation_mode: "align_corners" });
  return b.model([["x", [1, 3, 48, 48]]], b.op("Add", [x, up]), 11);
}

/**
 * A latent-diffusion UNet stage: ResNet blocks with GroupNormalization (opset 21) and SiLU, the timestep embedding
 * broadcast over the planes, a spatial self-attention block (GroupNorm, planes flattened to tokens and back), and a
 * nearest 2× upsampling convolution.
 */
export function diffusion(onnx) {
  const b = new Builder(onnx, "diffusion");
  const C = 64;
  const gn = (t, c) => b.op("GroupNormalization", [t, b.weight([c], 1), b.weight([c], 0.1)], { num_groups: 8, epsilon: 1e-5 });
  const temb = b.op("Unsqueeze", [b.linear(b.silu(b.tensor([1, 128], Float32Array.from({ length: 128 }, (_, i) => Math.sin(i / 7)))), 128, C), b.ints([2, 3])]);
  const resblock = (x) => {
    let h = b.conv(b.silu(gn(x, C)), C, C, 3);
    h = b.op("Add", [h, temb]);
    h = b.conv(b.silu(gn(h, C)), C, C, 3);
    return b.op("Add", [x, h]);
  };
  let x = resblock(b.conv("x", 4, C, 3));
  // Attention over the 16×16 positions.
  const tokens = b.op("Transpose", [b.op("Reshape", [gn(x, C), b.ints([1, C, 256])])], { perm: [0, 2, 1] });
  const q = b.linear(tokens, C, C);
  const k = b.op("Transpose", [b.linear(tokens, C, C)], { perm: [0, 2, 1] });
  const att = b.op("Softmax", [b.op("Mul", [b.op("MatMul", [q, k]), b.scalar(1 / Math.sqrt(C))])], { axis: -1 });
  const out = b.linear(b.op("MatMul", [att, b.linear(tokens, C, C)]), C, C);
  x = b.op("Add", [x, b.op("Reshape", [b.op("Transpose", [out], { perm: [0, 2, 1] }), b.ints([1, C, 16, 16])])]);
  x = resblock(x);
  const up = b.op("Resize", [x, "", b.tensor([4], Float32Array.of(1, 1, 2, 2))], { mode: "nearest" });
  return b.model([["x", [1, 4, 16, 16]]], b.conv(up, C, 4, 3), 21);
}

/**
 * A YOLOv8 detection head on one level: box and class branches, the distribution focal loss decoding (Softmax over
 * 16 bins, a fixed 1×1 convolution by the bin indices), distances to boxes around anchor points, stride scaling, and
 * class probabilities concatenated.
 */
export function yolov8Head(onnx) {
  const b = new Builder(onnx, "yolov8-head");
  const [C, S, R, NC] = [64, 20, 16, 10];
  const cbs = (x, cin, cout, k) => b.silu(b.conv(x, cin, cout, k));
  const box = b.conv(cbs(cbs("x", C, C, 3), C, C, 3), C, 4 * R, 1);
  const cls = b.conv(cbs(cbs("x", C, C, 3), C, C, 3), C, NC, 1);
  const bins = b.op("Softmax", [b.op("Transpose", [b.op("Reshape", [box, b.ints([1, 4, R, S * S])])], { perm: [0, 2, 1, 3] })], { axis: 1 });
  const dist = b.op("Reshape", [b.op("Conv", [bins, b.tensor([1, R, 1, 1], Float32Array.from({ length: R }, (_, i) => i))]), b.ints([1, 4, S * S])]);
  const [lt, rb] = b.op("Split", [dist, b.ints([2, 2])], { axis: 1 }, 2);
  const anchors = b.tensor([1, 2, S * S], Float32Array.from({ length: 2 * S * S }, (_, i) => (i < S * S ? (i % S) + 0.5 : Math.floor((i - S * S) / S) + 0.5)));
  const x1y1 = b.op("Sub", [anchors, lt]);
  const x2y2 = b.op("Add", [anchors, rb]);
  const centre = b.op("Div", [b.op("Add", [x1y1, x2y2]), b.scalar(2)]);
  const boxes = b.op("Mul", [b.op("Concat", [centre, b.op("Sub", [x2y2, x1y1])], { axis: 1 }), b.scalar(8)]);
  const probs = b.op("Sigmoid", [b.op("Reshape", [cls, b.ints([1, NC, S * S])])]);
  return b.model([["x", [1, C, S, S]]], b.op("Concat", [boxes, probs], { axis: 1 }), 17);
}

/**
 * A PointNet classifier on a point cloud: shared per-point MLPs as 1-D convolutions with BatchNormalization, a learned
 * 3×3 input transform (T-Net: global max pool, then a Gemm reshaped to a matrix, MatMul with the points), the global
 * feature by ReduceMax, and the classifier.
 */
export function pointnet(onnx) {
  const b = new Builder(onnx, "pointnet");
  const P = 512;
  const bn1d = (t, c) => b.op("BatchNormalization", [t, b.weight([c], 1), b.weight([c], 0.1), b.weight([c], 0.1), b.tensor([c], new Float32Array(c).fill(1))]);
  const mlp = (t, cin, cout) => b.op("Relu", [bn1d(b.convNd(t, cin, cout, [1], { bias: false, pads: [0, 0] }), cout)]);
  // T-Net: a 3×3 transform from the points' global feature, identity added.
  const global = b.op("ReduceMax", [mlp(mlp("x", 3, 32), 32, 64)], { axes: [2], keepdims: 0 });
  const identity = b.tensor([9], Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1));
  const transform = b.op("Reshape", [b.op("Add", [b.op("Gemm", [global, b.weight([9, 64], 0.01), b.weight([9], 0.01)], { transB: 1 }), identity]), b.ints([1, 3, 3])]);
  const aligned = b.op("Transpose", [b.op("MatMul", [b.op("Transpose", ["x"], { perm: [0, 2, 1] }), transform])], { perm: [0, 2, 1] });
  const features = b.op("ReduceMax", [mlp(mlp(mlp(aligned, 3, 64), 64, 128), 128, 256)], { axes: [2], keepdims: 0 });
  const hidden = b.op("Relu", [b.op("Gemm", [features, b.weight([128, 256]), b.weight([128], 0.1)], { transB: 1 })]);
  return b.model([["x", [1, 3, P]]], b.op("Gemm", [hidden, b.weight([10, 128]), b.weight([10], 0.1)], { transB: 1 }), 13);
}

/**
 * EfficientDet's BiFPN fusion: two feature levels resized to each other (nearest up, max-pool down), fused by
 * fast normalized weights (ReLU'd learned weights divided by their sum + ε), then a depthwise-separable convolution
 * with SiLU, top-down and bottom-up.
 */
export function bifpn(onnx) {
  const b = new Builder(onnx, "bifpn");
  const C = 64;
  const p3 = b.silu(b.conv("x", 3, C, 3, { stride: 2 }));
  const p4 = b.silu(b.conv(p3, C, C, 3, { stride: 2 }));
  const fuse = (inputs) => {
    const w = b.op("Relu", [b.weight([inputs.length], 1)]);
    const norm = b.op("Div", [w, b.op("Add", [b.op("ReduceSum", [w, b.ints([0])], { keepdims: 1 }), b.scalar(1e-4)])]);
    const terms = inputs.map((t, i) => b.op("Mul", [t, b.op("Gather", [norm, b.tensor([], BigInt64Array.of(BigInt(i)), 7)], { axis: 0 })]));
    const sum = terms.reduce((acc, t) => b.op("Add", [acc, t]));
    return b.conv(b.conv(b.silu(sum), C, C, 3, { group: C, bias: false }), C, C, 1);
  };
  const up = b.op("Resize", [p4, "", b.tensor([4], Float32Array.of(1, 1, 2, 2))], { mode: "nearest" });
  const p3td = fuse([p3, up]);
  const down = b.op("MaxPool", [p3td], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const p4out = fuse([p4, down]);
  return b.model([["x", [1, 3, 128, 128]]], b.op("Add", [p4out, b.op("MaxPool", [p3td], { kernel_shape: [2, 2], strides: [2, 2] })]), 13);
}
