// A module path misspelt: conv2 was meant to stay float, but "cnv2" names no module, so the global config quantizes
// it. PT2E says nothing about a name that matches no node.
import { XnnpackQuantizer, getSymmetricQuantizationConfig } from "qkit";

export default class KeepConv2Float extends XnnpackQuantizer {
  constructor() {
    super();
    this.setGlobal(getSymmetricQuantizationConfig());
    this.setModuleName("cnv2", null); // expect: unknown-module
  }
}
