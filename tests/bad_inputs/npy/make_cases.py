#!/usr/bin/python3
"""Regenerates the .npy/.npz cases of the bad-input corpus (one folder per case, next to this
script, each with the bad file, `args` and `expect`). Needs numpy (e.g. /usr/bin/python3).

The archives are built from real numpy.savez output and then damaged, so each case exercises
exactly one defect. WEIGHT_NAMES only matter for the NaN case: they should be names the CLI
looks up for workloads/test/tiny_cnn.json so that the NaN check, not a missing-array check,
is what rejects the file.
"""
import io
import os
import random
import shutil
import struct
import zipfile

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
# Weight arrays of workloads/test/tiny_cnn.json with their shapes, so the NaN case passes
# the shape check and reaches the finiteness check.
WEIGHT_SHAPES = {"conv1.weight": (8, 3, 3, 3), "conv2.weight": (8, 8, 3, 3)}
INPUT_SHAPE = (3, 16, 16)


def npy_bytes(arr, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, arr, version=version)
    return f.getvalue()


def header_npy(header, data):
    """A v1.0 .npy with a hand-written header dict, padded the way numpy pads it."""
    h = header.encode("latin1")
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data


def savez_bytes(arrays, compressed=False):
    f = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(f, **arrays)
    return f.getvalue()


def stored(z, name, content):
    # A fixed timestamp keeps the regenerated files byte-identical.
    z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)


def good_input():
    return np.linspace(-1, 1, np.prod(INPUT_SHAPE), dtype="<f4").reshape(INPUT_SHAPE)


def good_weights():
    rng = np.random.default_rng(3)
    return {n: rng.standard_normal(shape).astype("<f4") for n, shape in WEIGHT_SHAPES.items()}


def case(name, file_name, content, expect, flag):
    d = os.path.join(here, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, file_name), "wb") as f:
        f.write(content)
    args = ["run", "--arch", "@ROOT@/arch_configs/baseline_fp32_16x16.json", "--workload",
            "@ROOT@/workloads/test/tiny_cnn.json", flag, "@DIR@/" + file_name, "--out", "@OUT@"]
    with open(os.path.join(d, "args"), "w") as f:
        f.write("\n".join(args) + "\n")
    with open(os.path.join(d, "expect"), "w") as f:
        f.write(expect)


def input_case(name, file_name, content, expect_suffix=""):
    case(name, file_name, content, file_name + expect_suffix, "--input")


def weights_case(name, file_name, content, expect_suffix=""):
    case(name, file_name, content, file_name + expect_suffix, "--weights")


good = npy_bytes(good_input())
data = good_input().tobytes()
shape = str(INPUT_SHAPE)

input_case("npy_truncated", "input_truncated.npy", good[: len(good) - 100], ": data")
input_case("npy_trailing_garbage", "input_trailing.npy", good + b"\0\0\0\0", ": data")
input_case("npy_dtype_u4", "input_u4.npy",
           npy_bytes(np.arange(np.prod(INPUT_SHAPE), dtype="<u4").reshape(INPUT_SHAPE)),
           ": dtype")
input_case("npy_big_endian", "input_big_endian.npy", npy_bytes(good_input().astype(">f4")),
           ": dtype")
input_case("npy_fortran_order", "input_fortran.npy", npy_bytes(np.asfortranarray(good_input())),
           ": fortran_order")
input_case("npy_bad_magic", "input_bad_magic.npy", b"\x93NUMPZ" + good[6:], ": header")
input_case("npy_empty", "input_empty.npy", b"", ": header")
input_case("npy_shape_overflow", "input_overflow.npy",
           header_npy("{'descr': '<f4', 'fortran_order': False, "
                      "'shape': (4294967296, 4294967296, 16), }", data), ": shape")
rnd = random.Random(1234)
input_case("npy_garbage", "input_garbage.npy", bytes(rnd.randrange(256) for _ in range(4096)),
           ": header")

weights = savez_bytes(good_weights())
weights_case("npz_truncated", "weights_truncated.npz", weights[: len(weights) // 2])

# Flip one bit of the first member's array data; only its CRC-32 notices.
with zipfile.ZipFile(io.BytesIO(weights)) as z:
    first = z.infolist()[0]
data_at = first.header_offset + 30 + len(first.filename) + len(first.extra)
bad = bytearray(weights)
bad[data_at + first.file_size - 3] ^= 0x04
weights_case("npz_bad_crc", "weights_bad_crc.npz", bytes(bad))

f = io.BytesIO()
with zipfile.ZipFile(f, "w") as z:
    for n, a in good_weights().items():
        stored(z, n + ".npy", npy_bytes(a))
    stored(z, "README.txt", "not an array\n")
weights_case("npz_member_not_npy", "weights_txt_member.npz", f.getvalue(), ": README.txt")

f = io.BytesIO()
with zipfile.ZipFile(f, "w") as z:
    for n, a in good_weights().items():
        stored(z, n + ".npy", npy_bytes(a))
    stored(z, "conv1.weight" + ".npy", npy_bytes(good_weights()["conv1.weight"]))
weights_case("npz_duplicate_member", "weights_duplicate.npz", f.getvalue())

nan = good_weights()
for a in nan.values():
    a[0, 0, 0, 0] = np.nan
weights_case("npz_nan_weights", "weights_nan.npz", savez_bytes(nan, compressed=True), ": conv1.weight/data: element [0, 0, 0, 0] is NaN")

weights_case("npz_garbage", "weights_garbage.npz",
             bytes(rnd.randrange(256) for _ in range(4096)))

# An archive whose members are all sound except that one holds a big-endian array.
be = good_weights()
be["conv1.weight"] = be["conv1.weight"].astype(">f4")
weights_case("npz_member_big_endian", "weights_big_endian.npz", savez_bytes(be))
