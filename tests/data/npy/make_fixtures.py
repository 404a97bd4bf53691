#!/usr/bin/python3
"""Regenerates the .npy/.npz fixtures that tests/unit/npy_test.cpp reads.

Run with an interpreter that has numpy (e.g. /usr/bin/python3) from any directory; the files
land next to this script. The values are chosen so the C++ test can spell them exactly.
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


np.save(path("f4.npy"), np.array([[0.5, -1.25, 3.0e38], [1.0e-40, 0.0, 123456.789]], dtype="<f4"))
np.save(path("f8.npy"), np.array([0.1, -1.0e300, 5.0e-324, 2.0], dtype="<f8"))
np.save(path("f2.npy"), np.array([[0.1, -2.5, 65504.0], [2.0**-24, -0.0, 1.0]], dtype="<f2"))
np.save(path("i1.npy"), np.array([-128, 127, 0, -1], dtype="i1"))
np.save(path("i2.npy"), np.array([[-32768, 32767], [1, -2]], dtype="<i2"))
np.save(path("i4.npy"), np.array([-2147483648, 2147483647, 7], dtype="<i4"))
np.save(path("scalar.npy"), np.array(2.5, dtype="<f4"))
np.save(path("empty.npy"), np.zeros((0, 3), dtype="<f4"))
np.save(path("inf.npy"), np.array([1.0, np.inf], dtype="<f2"))

# Explicit newer header versions (numpy only picks them on its own for huge headers).
with open(path("v2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.arange(6, dtype="<f4").reshape(2, 3) - 2.5, version=(2, 0))
with open(path("v3.npy"), "wb") as f:
    np.lib.format.write_array(f, np.array([-7, 9], dtype="<i2"), version=(3, 0))

# savez writes STORED members, savez_compressed DEFLATE members; both with zip64 extras.
np.savez(path("savez.npz"),
         conv1=np.arange(24, dtype="<f4").reshape(2, 3, 2, 2) * 0.25,
         fc=np.array([[1, -2], [3, -4]], dtype="<i2"),
         bias=np.array([0.1, 0.2], dtype="<f8"))
np.savez_compressed(path("savez_compressed.npz"),
                    big=(np.arange(1000, dtype="<f4") % 7 - 3).reshape(10, 100),
                    half=np.array([1.5, -0.25], dtype="<f2"),
                    small=np.array([5], dtype="i1"))


def zip64_everything(src, dst):
    """Rewrites an archive with every size and offset moved into zip64 fields and a zip64 end
    record, as writers do for archives over 4 GiB; numpy.load must still read it."""
    import struct
    import zipfile

    raw = open(src, "rb").read()
    with zipfile.ZipFile(src) as z:
        infos = z.infolist()
    cd_offset = struct.unpack("<I", raw[-6:-2])[0]
    body = bytearray(raw[:cd_offset])
    central = bytearray()
    for i in infos:
        # Local header: saturate both sizes; numpy's zip64 extra already holds the real ones.
        struct.pack_into("<II", body, i.header_offset + 18, 0xFFFFFFFF, 0xFFFFFFFF)
        name = i.filename.encode()
        extra = struct.pack("<HHQQQ", 1, 24, i.file_size, i.compress_size, i.header_offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, i.compress_type, 0,
                               0x21, i.CRC, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0,
                               0, 0, 0xFFFFFFFF)
        central += name + extra
    z64_at = len(body) + len(central)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(infos), len(infos),
                        len(central), len(body))
    locator = struct.pack("<IIQI", 0x07064B50, 0, z64_at, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    open(dst, "wb").write(bytes(body + central + end64 + locator + end))


zip64_everything(path("savez_compressed.npz"), path("zip64.npz"))
with np.load(path("zip64.npz")) as z64, np.load(path("savez_compressed.npz")) as ref:
    assert sorted(z64.files) == sorted(ref.files)
    for k in ref.files:
        assert np.array_equal(z64[k], ref[k])
