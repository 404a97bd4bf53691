#!/usr/bin/python3
"""Regenerates the basic-architecture cases of the bad-input corpus: one folder per case next
to this script, each with the broken arch.json, `args` and `expect` (a fragment the one-line
message must contain: the JSON pointer of the fault, or what is wrong with the file).

Every case starts from arch_configs/baseline_fp32_16x16.json and breaks exactly one thing, so
the message must point at that thing and nothing earlier in the file can reject it first.
The kcnn_* and kq_* folders are hand-written and left alone. Plain Python 3, no numpy.
"""
import copy
import json
import os
import random
import shutil

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", "..", ".."))
# From a case folder tests/bad_inputs/arch/<case>/ back to the repository.
TECH = "../../../../arch_configs/tech/generic_45nm.json"


def base():
    with open(os.path.join(root, "arch_configs", "baseline_fp32_16x16.json")) as f:
        a = json.load(f)
    a["tech"]["table"] = TECH
    return a


def text(a):
    return json.dumps(a, indent=2) + "\n"


def edit(fn):
    a = base()
    fn(a)
    return text(a)


def replace_once(old, new):
    t = text(base())
    assert t.count(old) == 1, old
    return t.replace(old, new)


def args(workload="tiny_cnn.json", mode="fast", arch="@DIR@/arch.json"):
    return ["run", "--arch", arch, "--workload", "@ROOT@/workloads/test/" + workload, "--mode",
            mode, "--out", "@OUT@"]


CASES = {}


def case(name, content, expect, run_args=None, extra=None):
    assert name not in CASES, name
    CASES[name] = (content, expect, run_args or args(), extra or {})


def buf(name, **kv):
    return edit(lambda a: a["buffers"][name].update(kv))


# --- syntax: the file is not JSON at all, or JSON that nlohmann would read too leniently
good = text(base())
case("malformed_json", good.replace('"rows": 16,', '"rows": 16'), "malformed JSON")
case("truncated_file", good[: len(good) * 3 // 5], "malformed JSON")
case("empty_file", "", "malformed JSON")
rng = random.Random(7)
case("binary_garbage", bytes(rng.randrange(256) for _ in range(512)), "malformed JSON")
case("binary_garbage_no_nul", bytes(rng.randrange(1, 256) for _ in range(512)), "malformed JSON")
case("nul_then_garbage", good.encode() + b"\x00\x01\x02{garbage", "NUL byte")
case("trailing_garbage", good + "}\n", "malformed JSON")
case("not_an_object", "[1, 2, 3]\n", "expected an object")
case("invalid_utf8", good.encode().replace(b"baseline_fp32_16x16", b"baseline\xff\xfe"),
     "malformed JSON")
case("number_overflow", replace_once('"clock_mhz": 500', '"clock_mhz": 1e400'),
     "number overflow")
case("nan_literal", replace_once('"clock_mhz": 500', '"clock_mhz": NaN'), "malformed JSON")
case("infinity_literal", replace_once('"latency_cycles": 100', '"latency_cycles": Infinity'),
     "malformed JSON")
case("nan_string", replace_once('"clock_mhz": 500', '"clock_mhz": "NaN"'), "/clock_mhz")
case("inf_string", replace_once('"energy_pj_per_bit": 20.3125', '"energy_pj_per_bit": "inf"'),
     "/dram/energy_pj_per_bit")
case("duplicate_key", replace_once('"rows": 16,', '"rows": 16,\n    "rows": 8,'),
     'duplicate key "rows"')
case("duplicate_buffer", good.replace('"ofmap": {', '"weight": {'), 'duplicate key "weight"')
case("deep_nesting",
     replace_once('"name": "baseline_fp32_16x16"',
                  '"name": "baseline_fp32_16x16", "notes": ' + "[" * 200 + "]" * 200),
     "nested deeper")

# --- keys: typos and keys that belong elsewhere are errors, not silently ignored
case("unknown_key", edit(lambda a: a.update(comment="not a setting")), "/comment: unknown key")
case("typo_optional_key", edit(lambda a: a["dram"].update(idael=True)), "/dram/idael")
case("typo_nested_key", edit(lambda a: a["array"].update(datafow="os")), "/array/datafow")
case("unknown_buffer", edit(lambda a: a["buffers"].update(psum=dict(a["buffers"]["ofmap"]))),
     "/buffers/psum")
case("scale_buffer_on_mac_array",
     edit(lambda a: a["buffers"].update(scale=dict(a["buffers"]["weight"]))), "/buffers/scale")
case("kq_section_on_mac_array", edit(lambda a: a.update(kq={"codewords": 64})), "/kq")
case("missing_key", edit(lambda a: a.pop("dram")), "/dram: missing required key")
case("missing_nested_key", edit(lambda a: a["buffers"]["ifmap"].pop("word_bits")),
     "/buffers/ifmap/word_bits: missing")
case("missing_buffer", edit(lambda a: a["buffers"].pop("ofmap")), "/buffers/ofmap: missing")
case("empty_object", edit(lambda a: a.update(formats={})), "/formats/activation: missing")
case("empty_buffers", edit(lambda a: a.update(buffers={})), "/buffers/ifmap: missing")

# --- types
case("string_for_integer", edit(lambda a: a["array"].update(rows="16")), "/array/rows")
case("float_for_integer", edit(lambda a: a["array"].update(cols=16.5)), "/array/cols")
case("null_for_integer", edit(lambda a: a["vector_unit"].update(lanes=None)),
     "/vector_unit/lanes")
case("string_for_bool", buf("weight", double_buffered="yes"), "/buffers/weight/double_buffered")
case("array_for_object", edit(lambda a: a.update(dram=[])), "/dram: expected an object")
case("number_for_name", edit(lambda a: a.update(name=5)), "/name")
case("array_for_string", edit(lambda a: a["array"].update(dataflow=["ws"])), "/array/dataflow")

# --- values out of range: zero, negative, too large, beyond 64 bits
case("zero_rows", edit(lambda a: a["array"].update(rows=0)), "/array/rows")
case("negative_cols", edit(lambda a: a["array"].update(cols=-16)), "/array/cols")
case("rows_too_large", edit(lambda a: a["array"].update(rows=65537)), "/array/rows")
case("zero_capacity", buf("ifmap", capacity_bytes=0), "/buffers/ifmap/capacity_bytes")
case("negative_capacity", buf("ofmap", capacity_bytes=-131072), "/buffers/ofmap/capacity_bytes")
case("capacity_too_large", buf("weight", capacity_bytes=2**41), "/buffers/weight/capacity_bytes")
case("capacity_beyond_u64", replace_once('"capacity_bytes": 65536',
                                         '"capacity_bytes": 18446744073709551616'),
     "/buffers/weight/capacity_bytes")
case("latency_beyond_u64", replace_once('"latency_cycles": 100',
                                        '"latency_cycles": 99999999999999999999999'),
     "/dram/latency_cycles")
case("zero_word_bits", buf("ifmap", word_bits=0), "/buffers/ifmap/word_bits")
case("zero_banks", buf("weight", banks=0), "/buffers/weight/banks")
case("too_many_ports", buf("ofmap", read_ports=17), "/buffers/ofmap/read_ports")
case("negative_latency", edit(lambda a: a["dram"].update(latency_cycles=-1)),
     "/dram/latency_cycles")
case("zero_bandwidth", edit(lambda a: a["dram"].update(bandwidth_bytes_per_cycle=0)),
     "/dram/bandwidth_bytes_per_cycle")
case("zero_clock", edit(lambda a: a.update(clock_mhz=0)), "/clock_mhz")
case("negative_clock", edit(lambda a: a.update(clock_mhz=-500)), "/clock_mhz")
case("negative_energy", edit(lambda a: a["dram"].update(energy_pj_per_bit=-1.0)),
     "/dram/energy_pj_per_bit")
case("zero_lanes", edit(lambda a: a["vector_unit"].update(lanes=0)), "/vector_unit/lanes")
case("zero_node", edit(lambda a: a["tech"].update(node_nm=0)), "/tech/node_nm")
case("empty_name", edit(lambda a: a.update(name="")), "/name")
case("name_with_newline", edit(lambda a: a.update(name="two\nlines")), "/name")
case("name_too_long", edit(lambda a: a.update(name="x" * 129)), "/name")
case("empty_energy_source", edit(lambda a: a["dram"].update(energy_source="")),
     "/dram/energy_source")

# --- enumerations
case("unknown_dataflow", edit(lambda a: a["array"].update(dataflow="rs")), "/array/dataflow")
case("dataflow_wrong_case", edit(lambda a: a["array"].update(dataflow="WS")), "/array/dataflow")
case("unknown_format", edit(lambda a: a["formats"].update(activation="fp8")),
     "/formats/activation")
case("unknown_datapath", edit(lambda a: a.update(datapath="systolic")), "/datapath")

# --- values that are each fine but contradict each other
case("weight_format_mismatch", edit(lambda a: a["formats"].update(weight="fp16")),
     "/formats/weight")
case("accumulator_too_narrow",
     edit(lambda a: a["formats"].update(activation="fp16", weight="fp16", accumulator="bf16")),
     "/formats/accumulator")
case("integer_accumulator_for_float", edit(lambda a: a["formats"].update(accumulator="int32")),
     "/formats/accumulator")
case("multiplier_count_mismatch", edit(lambda a: a["array"]["multipliers"].update(count=128)),
     "/array/multipliers/count")
case("adder_format_mismatch", edit(lambda a: a["array"]["adders"].update(format="fp16")),
     "/array/adders/format")
case("word_bits_not_multiple", buf("ifmap", word_bits=40), "/buffers/ifmap/word_bits")
case("capacity_below_one_word", buf("ifmap", capacity_bytes=64, word_bits=128, banks=8),
     "/buffers/ifmap/capacity_bytes")

# --- the technology table the arch names
case("missing_tech_file", edit(lambda a: a["tech"].update(table="tech/nonexistent.json")),
     "nonexistent.json: cannot open file")
case("tech_is_directory", edit(lambda a: a["tech"].update(table=".")), "is a directory")
case("empty_tech_path", edit(lambda a: a["tech"].update(table="")), "/tech/table")
case("tech_is_the_arch", edit(lambda a: a["tech"].update(table="arch.json")),
     "arch.json: /node_nm: missing required key")

# --- a buffer too small for one tile of one fold (checked before any simulation starts)
case("weight_too_small_for_fold", buf("weight", capacity_bytes=512, word_bits=128, banks=4),
     "/buffers/weight/capacity_bytes")
case("ofmap_too_small_for_chunk", buf("ofmap", capacity_bytes=64, word_bits=128, banks=4),
     "/buffers/ofmap/capacity_bytes")
case("ifmap_too_small_os",
     edit(lambda a: (a["array"].update(dataflow="os"),
                     a["buffers"]["ifmap"].update(capacity_bytes=256, word_bits=128, banks=4))),
     "/buffers/ifmap/capacity_bytes", args(mode="cycle"))
case("ofmap_too_small_is",
     edit(lambda a: (a["array"].update(dataflow="is"),
                     a["buffers"]["ofmap"].update(capacity_bytes=256, word_bits=128, banks=4))),
     "/buffers/ofmap/capacity_bytes", args(mode="analytic"))
case("single_buffered_still_too_small",
     edit(lambda a: a["buffers"]["weight"].update(capacity_bytes=256, double_buffered=False)),
     "/buffers/weight/capacity_bytes")

# --- a valid design and a valid network whose counts together pass 64 bits: 6.5e17 MACs
# (the loader's limit is 2^64) move ~100 register bits each
def roomy(a):
    for b in a["buffers"].values():
        b["capacity_bytes"] = 2**40


huge = {"name": "huge", "input": {"channels": 65536, "height": 4096, "width": 4096},
        "layers": [{"name": "conv", "type": "conv2d", "out_channels": 65536, "kernel": 3,
                    "padding": 1}]}
case("counts_overflow_64_bits", edit(roomy), 'workload.json: /layers/0: layer "conv"',
     ["run", "--arch", "@DIR@/arch.json", "--workload", "@DIR@/workload.json", "--mode",
      "analytic", "--out", "@OUT@"], {"workload.json": json.dumps(huge) + "\n"})

# --- the path itself is not a file
case("arch_is_directory", None, "is a directory", args(arch="@DIR@"))
case("arch_is_device", None, "not a regular file", args(arch="/dev/zero"))
case("arch_missing", None, "cannot open file", args(arch="@DIR@/absent.json"))


def main():
    for name, (content, expect, run_args, extra) in CASES.items():
        d = os.path.join(here, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        if content is not None:
            data = content.encode() if isinstance(content, str) else content
            with open(os.path.join(d, "arch.json"), "wb") as f:
                f.write(data)
        for file_name, text_ in extra.items():
            with open(os.path.join(d, file_name), "w") as f:
                f.write(text_)
        with open(os.path.join(d, "args"), "w") as f:
            f.write("\n".join(run_args) + "\n")
        with open(os.path.join(d, "expect"), "w") as f:
            f.write(expect + "\n")
    print(f"{len(CASES)} cases written to {here}")


if __name__ == "__main__":
    main()
