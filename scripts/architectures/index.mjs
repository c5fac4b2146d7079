// Models of families outside the corpus, built here with seeded weights (no files, nothing downloaded), as their
// exporters write them. `npm run bench -- architectures` times them and `-- architectures-accuracy` quantizes them;
// the tests do not use them.
import { bifpn, convnext, densenet, diffusion, efficientnet, espcn, pointnet, shufflenet, swin, video3d, yolov8Head, yoloNeck } from "./vision.mjs";
import { alexnet, controlFlow, convTasnet, deeplab, inception, legacyOpset7, mobilevit, segformer, ssd, styleTransfer, tcn, whisper } from "./classic.mjs";
import { detectorNms, dlrm, gcn, lstmAttention, moe, nerf, sparsemax, stftFrontend, vitHf, yoloV5 } from "./structured.mjs";
import { audio1d, ganGenerator, mixer, oddities, recurrentVariants } from "./uncommon.mjs";
import { randomInput } from "../bench-support.mjs";
import { bert, bilstm, distilbert, clipText, conformer, crnn, detrDecoder, gpt2, gpt2Decode, gru, llama, t5, wav2vec } from "./sequence.mjs";

/**
 * Every model: its name, its bytes, its dims, and its inputs (name, type, dims, and the values of an integer input;
 * a float input is fed seeded values; a model with a symbolic axis is fed these dims).
 */
export function architectureModels(onnx) {
  return [
    ["convnext_blocks", convnext(onnx), [1, 3, 224, 224]],
    ["efficientnet_blocks", efficientnet(onnx), [1, 3, 224, 224]],
    ["shufflenet_units", shufflenet(onnx), [1, 3, 224, 224]],
    ["densenet_block", densenet(onnx), [1, 3, 224, 224]],
    ["yolo_neck", yoloNeck(onnx), [1, 3, 80, 80]],
    ["swin_stage", swin(onnx), [1, 3, 64, 64]],
    ["video3d_blocks", video3d(onnx), [1, 3, 8, 56, 56]],
    ["espcn_x3", espcn(onnx), [1, 3, 48, 48]],
    ["diffusion_unet_op21", diffusion(onnx), [1, 4, 16, 16]],
    ["yolov8_head", yolov8Head(onnx), [1, 64, 20, 20]],
    ["bifpn_fusion", bifpn(onnx), [1, 3, 128, 128]],
    ["pointnet", pointnet(onnx), [1, 3, 512]],
    ["bert_layers", bert(onnx), [1, 128, 256]],
    ["gpt2_layers_op14", gpt2(onnx), [1, 96, 192]],
    ["t5_layers", t5(onnx), [1, 64, 256]],
    ["clip_text", clipText(onnx), [1, 77, 256]],
    ["detr_decoder", detrDecoder(onnx), [1, 100, 128]],
    ["llama_layers_op24", llama(onnx), [1, 64, 256]],
    ["wav2vec_frontend", wav2vec(onnx), [1, 8000]],
    ["conformer_block", conformer(onnx), [1, 100, 144]],
    ["gru_kws", gru(onnx), [50, 1, 40]],
    ["bilstm_2layer", bilstm(onnx), [40, 1, 32]],
    ["crnn_ocr", crnn(onnx), [1, 1, 32, 100]],
    ["alexnet_op9", alexnet(onnx), [1, 3, 224, 224]],
    ["style_transfer_op9", styleTransfer(onnx), [1, 3, 96, 96]],
    ["deeplab_aspp_op11", deeplab(onnx), [1, 3, 128, 128]],
    ["tcn_causal", tcn(onnx), [1, 16, 200]],
    ["ssd_postprocess", ssd(onnx), [1, 3, 256, 256]],
    ["mobilevit_block", mobilevit(onnx), [1, 3, 64, 64]],
    ["whisper_encoder", whisper(onnx), [1, 80, 300]],
    ["inception_op9", inception(onnx), [1, 3, 112, 112]],
    ["legacy_op7", legacyOpset7(onnx), [1, 3, 64, 64]],
    ["segformer_stage", segformer(onnx), [1, 3, 64, 64]],
    ["control_flow_op13", controlFlow(onnx), [1, 3, 64, 64]],
    ["conv_tasnet", convTasnet(onnx), [1, 1, 4000]],
    ["distilbert_masked", distilbert(onnx), [1, 48], [
      { name: "input_ids", type: "int64", values: BigInt64Array.from({ length: 48 }, (_, i) => BigInt((i * 389 + 7) % 1000)) },
      // The last 10 tokens are padding.
      { name: "attention_mask", type: "int64", values: BigInt64Array.from({ length: 48 }, (_, i) => (i < 38 ? 1n : 0n)) },
    ]],
    ["nerf_field", nerf(onnx), [1024, 3]],
    ["dlrm", dlrm(onnx), [32, 13], [
      { name: "dense", type: "float32" },
      { name: "ids", type: "int64", dims: [32, 8, 4], values: BigInt64Array.from({ length: 32 * 8 * 4 }, (_, i) => BigInt((i * 613 + 11) % 1000)) },
    ]],
    ["gcn_op16", gcn(onnx), [256, 32]],
    ["moe_einsum", moe(onnx), [1, 64, 128]],
    ["tabnet_sparsemax", sparsemax(onnx), [256, 64]],
    ["detector_nms_op11", detectorNms(onnx), [1, 3, 128, 128]],
    ["vit_hf_op18", vitHf(onnx), [2, 3, 64, 64]],
    ["lstm_attention", lstmAttention(onnx), [98, 1, 40]],
    ["stft_frontend_op17", stftFrontend(onnx), [1, 8000, 1]],
    ["yolov5_head_op12", yoloV5(onnx), [1, 3, 128, 128]],
    ["gan_generator_op11", ganGenerator(onnx), [1, 256, 8, 8]],
    ["audio1d_dilated", audio1d(onnx), [1, 1, 16000]],
    ["mlp_mixer", mixer(onnx), [1, 3, 128, 128]],
    ["rare_activations", oddities(onnx), [1, 3, 64, 64]],
    ["recurrent_variants", recurrentVariants(onnx), [50, 2, 40]],
    // One token after 63: the cache as the inputs of a step, the first two positions padding.
    ["gpt2_decode_kv_op14", gpt2Decode(onnx), [1, 1], [
      { name: "input_ids", type: "int64", values: BigInt64Array.of(1234n) },
      ...[0, 1].flatMap((l) => ["key", "value"].map((kv) => ({ name: `past_${kv}_${l}`, type: "float32", dims: [1, 4, 63, 64] }))),
      { name: "attention_mask", type: "int64", dims: [1, 64], values: BigInt64Array.from({ length: 64 }, (_, i) => (i < 2 ? 0n : 1n)) },
    ]],
  ].map(([name, bytes, dims, inputs]) => ({ name, bytes, dims, inputs: (inputs ?? [{ name: "x", type: "float32" }]).map((i) => ({ dims, ...i })) }));
}

/** A model's feeds as `Tensor`s of one engine: its inputs' own values, or seeded floats in [-1, 1). */
export function feedsFor(model, Tensor, seed = 4242) {
  return Object.fromEntries(model.inputs.map((i) => [i.name, new Tensor(i.type, i.values ?? randomInput(i.dims.reduce((a, b) => a * b, 1), seed), i.dims)]));
}
