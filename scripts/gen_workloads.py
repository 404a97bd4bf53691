#!/usr/bin/python3
"""Writes the shipped workload files: workloads/*.json (torchvision networks) and
workloads/test/*.json (small test networks).

The networks follow torchvision's definitions at ImageNet shape (3x224x224, batch 1) with
BatchNorm as separate layers and dropout left out (identity at inference). The script also
infers shapes and prints MACs and parameter counts, an independent cross-check of the C++
shape inference (tests/unit/networks_test.cpp asserts the same figures).

Usage: scripts/gen_workloads.py [--check]   (--check: compare instead of write; exit 1 on drift)
"""
import json
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Net:
    def __init__(self, name, description, c, h, w):
        self.name = name
        self.description = description
        self.input = {"channels": c, "height": h, "width": w}
        self.layers = []

    def add(self, **layer):
        self.layers.append(layer)
        return layer["name"]

    # Each builder returns the layer name so callers can wire residual branches.
    def conv(self, name, out, k, s=1, p=0, groups=1, bias=False, src=None):
        layer = {"name": name, "type": "conv2d", "out_channels": out, "kernel": k}
        if s != 1:
            layer["stride"] = s
        if p != 0:
            layer["padding"] = p
        if groups != 1:
            layer["groups"] = groups
        if bias:
            layer["bias"] = True
        if src is not None:
            layer["input"] = src
        return self.add(**layer)

    def bn(self, name):
        return self.add(name=name, type="batchnorm")

    def relu(self, name, cap=None):
        layer = {"name": name, "type": "relu"}
        if cap is not None:
            layer["cap"] = cap
        return self.add(**layer)

    def maxpool(self, name, k, s, p=0):
        layer = {"name": name, "type": "maxpool", "kernel": k, "stride": s}
        if p:
            layer["padding"] = p
        return self.add(**layer)

    def gap(self, name):
        return self.add(name=name, type="avgpool", **{"global": True})

    def fc(self, name, out, bias=True):
        return self.add(name=name, type="fc", out_features=out, bias=bias)

    def add_layer(self, name, a, b):
        return self.add(name=name, type="add", inputs=[a, b])

    def to_json(self):
        # One layer per line: diffs stay readable and grep finds a layer by name.
        lines = ["{", f'  "name": {json.dumps(self.name)},',
                 f'  "description": {json.dumps(self.description)},',
                 f'  "input": {json.dumps(self.input)},', '  "layers": [']
        rows = [f"    {json.dumps(layer)}" for layer in self.layers]
        lines.append(",\n".join(rows))
        lines += ["  ]", "}", ""]
        return "\n".join(lines)


def alexnet():
    n = Net("alexnet", "torchvision.models.alexnet at 3x224x224; dropout omitted and the "
            "adaptive average pool to 6x6 omitted (identity at this input size).", 3, 224, 224)
    n.conv("conv1", 64, 11, 4, 2, bias=True)
    n.relu("relu1")
    n.maxpool("pool1", 3, 2)
    n.conv("conv2", 192, 5, 1, 2, bias=True)
    n.relu("relu2")
    n.maxpool("pool2", 3, 2)
    n.conv("conv3", 384, 3, 1, 1, bias=True)
    n.relu("relu3")
    n.conv("conv4", 256, 3, 1, 1, bias=True)
    n.relu("relu4")
    n.conv("conv5", 256, 3, 1, 1, bias=True)
    n.relu("relu5")
    n.maxpool("pool5", 3, 2)
    n.fc("fc6", 4096)
    n.relu("relu6")
    n.fc("fc7", 4096)
    n.relu("relu7")
    n.fc("fc8", 1000)
    return n


def vgg16():
    n = Net("vgg16", "torchvision.models.vgg16 (configuration D, no batchnorm) at 3x224x224; "
            "dropout omitted and the adaptive average pool to 7x7 omitted (identity at this "
            "input size).", 3, 224, 224)
    stages = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
    for si, widths in enumerate(stages, start=1):
        for ci, width in enumerate(widths, start=1):
            n.conv(f"conv{si}_{ci}", width, 3, 1, 1, bias=True)
            n.relu(f"relu{si}_{ci}")
        n.maxpool(f"pool{si}", 2, 2)
    n.fc("fc6", 4096)
    n.relu("relu6")
    n.fc("fc7", 4096)
    n.relu("relu7")
    n.fc("fc8", 1000)
    return n


def resnet_stem(n):
    n.conv("conv1", 64, 7, 2, 3)
    n.bn("bn1")
    n.relu("relu")
    return n.maxpool("maxpool", 3, 2, 1)


def resnet18():
    n = Net("resnet18", "torchvision.models.resnet18 at 3x224x224.", 3, 224, 224)
    x = resnet_stem(n)
    in_ch = 64
    for li, (width, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)], start=1):
        for b in range(2):
            s = stride if b == 0 else 1
            p = f"layer{li}.{b}"
            n.conv(f"{p}.conv1", width, 3, s, 1, src=x)
            n.bn(f"{p}.bn1")
            n.relu(f"{p}.relu1")
            n.conv(f"{p}.conv2", width, 3, 1, 1)
            main = n.bn(f"{p}.bn2")
            shortcut = x
            if s != 1 or in_ch != width:
                n.conv(f"{p}.downsample.0", width, 1, s, src=x)
                shortcut = n.bn(f"{p}.downsample.1")
            n.add_layer(f"{p}.add", main, shortcut)
            x = n.relu(f"{p}.relu2")
            in_ch = width
    n.gap("avgpool")
    n.fc("fc", 1000)
    return n


def resnet50():
    n = Net("resnet50", "torchvision.models.resnet50 (v1.5: stride on the 3x3 conv) at "
            "3x224x224.", 3, 224, 224)
    x = resnet_stem(n)
    in_ch = 64
    for li, (width, blocks, stride) in enumerate(
            [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)], start=1):
        out_ch = width * 4
        for b in range(blocks):
            s = stride if b == 0 else 1
            p = f"layer{li}.{b}"
            n.conv(f"{p}.conv1", width, 1, src=x)
            n.bn(f"{p}.bn1")
            n.relu(f"{p}.relu1")
            n.conv(f"{p}.conv2", width, 3, s, 1)
            n.bn(f"{p}.bn2")
            n.relu(f"{p}.relu2")
            n.conv(f"{p}.conv3", out_ch, 1)
            main = n.bn(f"{p}.bn3")
            shortcut = x
            if s != 1 or in_ch != out_ch:
                n.conv(f"{p}.downsample.0", out_ch, 1, s, src=x)
                shortcut = n.bn(f"{p}.downsample.1")
            n.add_layer(f"{p}.add", main, shortcut)
            x = n.relu(f"{p}.relu3")
            in_ch = out_ch
    n.gap("avgpool")
    n.fc("fc", 1000)
    return n


def mobilenetv2():
    n = Net("mobilenetv2", "torchvision.models.mobilenet_v2 (width 1.0) at 3x224x224; "
            "dropout omitted.", 3, 224, 224)
    n.conv("features.0.conv", 32, 3, 2, 1)
    n.bn("features.0.bn")
    x = n.relu("features.0.relu6", cap=6)
    in_ch = 32
    idx = 1
    for t, c, reps, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                          (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for r in range(reps):
            stride = s if r == 0 else 1
            hidden = int(round(in_ch * t))
            p = f"features.{idx}"
            if t != 1:
                n.conv(f"{p}.expand", hidden, 1, src=x)
                n.bn(f"{p}.expand_bn")
                n.relu(f"{p}.expand_relu6", cap=6)
                n.conv(f"{p}.dw", hidden, 3, stride, 1, groups=hidden)
            else:
                n.conv(f"{p}.dw", hidden, 3, stride, 1, groups=hidden, src=x)
            n.bn(f"{p}.dw_bn")
            n.relu(f"{p}.dw_relu6", cap=6)
            n.conv(f"{p}.project", c, 1)
            out = n.bn(f"{p}.project_bn")
            if stride == 1 and in_ch == c:
                out = n.add_layer(f"{p}.add", out, x)
            x = out
            in_ch = c
            idx += 1
    n.conv(f"features.{idx}.conv", 1280, 1)
    n.bn(f"features.{idx}.bn")
    n.relu(f"features.{idx}.relu6", cap=6)
    n.gap("avgpool")
    n.fc("classifier.1", 1000)
    return n


def tiny_cnn():
    n = Net("tiny_cnn", "Small residual CNN touching every layer type; fast enough to simulate "
            "cycle-accurately in tests.", 3, 16, 16)
    n.conv("conv1", 8, 3, 1, 1)
    first = n.relu("relu1")
    n.conv("conv2", 8, 3, 1, 1)
    bn = n.bn("bn2")
    n.add_layer("add", bn, first)
    n.maxpool("pool", 2, 2)
    n.conv("dwconv", 8, 3, 1, 1, groups=8)
    n.gap("gap")
    n.fc("fc", 10)
    return n


def single_conv():
    n = Net("single_conv", "One 3x3 conv, 16 to 16 channels, on an 8x8 input with padding 1.",
            16, 8, 8)
    n.conv("conv", 16, 3, 1, 1)
    return n


def conv1x1():
    n = Net("conv1x1", "One pointwise conv, 32 to 16 channels, on an 8x8 input.", 32, 8, 8)
    n.conv("conv", 16, 1)
    return n


def strided_conv():
    n = Net("strided_conv", "One 3x3 stride-2 conv, 8 to 16 channels, on an odd 15x15 input "
            "with padding 1 (output 8x8).", 8, 15, 15)
    n.conv("conv", 16, 3, 2, 1)
    return n


def fc_only():
    n = Net("fc_only", "One fully connected layer with bias: a 16x2x2 input flattened to 64 "
            "features, 10 outputs.", 16, 2, 2)
    n.fc("fc", 10)
    return n


# --- independent shape inference for the printed cross-check ---------------------------------

def pair(v, default):
    if v is None:
        return (default, default)
    return (v, v) if isinstance(v, int) else tuple(v)


def stats(net):
    shapes = {"input": (net.input["channels"], net.input["height"], net.input["width"])}
    prev = "input"
    macs = conv_macs = params = conv_weights = 0
    for layer in net.layers:
        t = layer["type"]
        src = layer.get("input", prev)
        c, h, w = shapes[layer["inputs"][0] if t == "add" else src]
        if t == "conv2d":
            kh, kw = pair(layer["kernel"], 1)
            sh, sw = pair(layer.get("stride"), 1)
            ph, pw = pair(layer.get("padding"), 0)
            g = layer.get("groups", 1)
            oc = layer["out_channels"]
            oh = (h + 2 * ph - kh) // sh + 1
            ow = (w + 2 * pw - kw) // sw + 1
            weights = oc * (c // g) * kh * kw
            m = oh * ow * weights
            macs += m
            conv_macs += m
            conv_weights += weights
            params += weights + (oc if layer.get("bias") else 0)
            out = (oc, oh, ow)
        elif t == "fc":
            of = layer["out_features"]
            macs += c * h * w * of
            params += c * h * w * of + (of if layer.get("bias") else 0)
            out = (of, 1, 1)
        elif t == "maxpool":
            k, s, p = layer["kernel"], layer["stride"], layer.get("padding", 0)
            out = (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
        elif t == "avgpool":
            out = (c, 1, 1)
        elif t == "batchnorm":
            params += 2 * c
            out = (c, h, w)
        elif t == "add":
            assert shapes[layer["inputs"][0]] == shapes[layer["inputs"][1]], layer["name"]
            out = (c, h, w)
        else:
            out = (c, h, w)
        shapes[layer["name"]] = out
        prev = layer["name"]
    return macs, conv_macs, params, conv_weights


def main():
    check = "--check" in sys.argv[1:]
    outputs = {f"workloads/{f.__name__}.json": f() for f in
               (alexnet, vgg16, resnet18, resnet50, mobilenetv2)}
    outputs.update({f"workloads/test/{f.__name__}.json": f() for f in
                    (tiny_cnn, single_conv, conv1x1, strided_conv, fc_only)})
    drift = False
    for rel, net in outputs.items():
        path = os.path.join(ROOT, rel)
        text = net.to_json()
        if check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    print(f"{rel}: differs from the generator")
                    drift = True
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        macs, conv_macs, params, conv_weights = stats(net)
        print(f"{rel}: {len(net.layers)} layers, MACs {macs:,} (conv {conv_macs:,}), "
              f"params {params:,}, conv weights {conv_weights:,}, "
              f"{macs / 1e9:.3f} GMACs")
    return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main())
