#!/usr/bin/python3
"""Regenerates the seeds in tests/fuzz/seeds/ that the repository's own files do not provide:
valid KCNN, KQ and weight archives for workloads/test/tiny_cnn.json (so fuzz_npy reaches the
importers' shape and value checks, not only the zip reader), and configs using options the
shipped ones leave at their defaults. Needs numpy (/usr/bin/python3). Deterministic."""
import io
import json
import os
import zipfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
rng = np.random.default_rng(5)
# tiny_cnn's conv layers: (name, N, C/g, k)
CONVS = [("conv1", 8, 3, 3), ("conv2", 8, 8, 3), ("dwconv", 8, 1, 3)]


def savez(path, arrays):
    # Stored members with a fixed timestamp: byte-identical when regenerated.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, a in arrays.items():
            f = io.BytesIO()
            np.lib.format.write_array(f, np.ascontiguousarray(a))
            z.writestr(zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), f.getvalue())


def npy_seeds(d):
    kcnn = {}
    for name, n, c, k in CONVS:  # kcnn_m2_16x16: M = 2, pm1, kernel2d, fp16 scales
        kcnn[name + ".kcnn_planes"] = rng.integers(0, 2, (n, c, 2, k, k)).astype(np.int8)
        kcnn[name + ".kcnn_alpha"] = rng.uniform(0.01, 0.5, (n, c, 2)).astype(np.float16)
    savez(os.path.join(d, "kcnn_tiny_cnn.npz"), kcnn)
    kq = {}
    for name, n, c, k in CONVS:  # kq_k256_16x16: uniform 6-bit codes
        kq[name + ".kq_indices"] = rng.integers(0, 6, (n, c)).astype(np.int16)
        kq[name + ".kq_codebook"] = rng.integers(-32, 32, (6, k, k)).astype(np.int8)
        kq[name + ".kq_scale"] = np.array([0.02], dtype=np.float32)
    savez(os.path.join(d, "kq_tiny_cnn.npz"), kq)
    w = {}
    for name, n, c, k in CONVS:
        w[name + ".weight"] = rng.standard_normal((n, c, k, k)).astype(np.float32)
    w["fc.weight"] = rng.standard_normal((10, 8)).astype(np.float32)
    w["fc.bias"] = rng.standard_normal(10).astype(np.float32)
    w["bn2.weight"] = rng.uniform(0.5, 1, 8).astype(np.float32)
    savez(os.path.join(d, "weights_tiny_cnn.npz"), w)
    f = io.BytesIO()
    np.lib.format.write_array(f, rng.standard_normal((1, 3, 16, 16)).astype(np.float16))
    open(os.path.join(d, "input_nchw_f2.npy"), "wb").write(f.getvalue())


def config_seeds(d):
    def load(rel):
        return json.load(open(os.path.join(root, rel)))

    def dump(name, obj):
        open(os.path.join(d, name), "w").write(json.dumps(obj, indent=1) + "\n")

    kcnn = load("arch_configs/kcnn_m3_16x16.json")
    kcnn["kcnn"].update(alphabet="zero_one", offset="per_kernel", granularity="filter3d",
                        init="fixed_point", zero_skip=True, policy_1x1="bitplanes")
    kq = load("arch_configs/kq_k512_16x16.json")
    kq["kq"]["codewords_by_layer"] = {"conv1": 4, "conv2": 16}
    kq["kq"]["count_fc"] = True
    kq["formats"] = {"activation": "fp16", "weight": "fp16", "accumulator": "fp32"}
    kq["array"]["multipliers"]["format"] = "fp16"
    kq["array"]["adders"]["format"] = "fp32"
    kq["kq"]["codebook_quant"] = "lut"
    fp = load("arch_configs/baseline_fp16_16x16.json")
    for a in (kcnn, kq, fp):
        a["tech"]["table"] = "../../../../arch_configs/tech/generic_45nm.json"
    fp["array"]["dataflow"] = "is"
    fp["dram"]["ideal"] = True
    for b in fp["buffers"].values():
        b["double_buffered"] = False
    dump("arch_kcnn_all_options.json", kcnn)
    dump("arch_kq_lut_by_layer.json", kq)
    dump("arch_is_ideal_single.json", fp)
    dump("workload_every_key.json", {
        "name": "every_key", "description": "seed",
        "input": {"channels": 4, "height": 9, "width": 7},
        "layers": [
            {"name": "c1", "type": "conv2d", "out_channels": 8, "kernel": [3, 2], "stride": [2, 1],
             "padding": [1, 0], "dilation": [1, 2], "groups": 2, "bias": True, "ceil_mode": True},
            {"name": "r", "type": "relu", "cap": 6},
            {"name": "mp", "type": "maxpool", "kernel": 2, "stride": 1, "padding": 1, "ceil_mode": True},
            {"name": "ap", "type": "avgpool", "kernel": [2, 2], "input": "mp"},
            {"name": "bn", "type": "batchnorm"},
            {"name": "c2", "type": "conv2d", "input": "bn", "out_channels": 8, "kernel": 1},
            {"name": "sum", "type": "add", "inputs": ["c2", "bn"]},
            {"name": "g", "type": "avgpool", "global": True},
            {"name": "fc", "type": "fc", "out_features": 3},
        ]})
    golden = os.path.join(root, "tests", "golden", "kq_reuse_fast.json")
    open(os.path.join(d, "golden_kq_reuse_fast.json"), "w").write(open(golden).read())


for kind, make in (("npy", npy_seeds), ("config", config_seeds)):
    d = os.path.join(here, "seeds", kind)
    os.makedirs(d, exist_ok=True)
    make(d)
print("seeds written to", os.path.join(here, "seeds"))
