#!/usr/bin/env python3
"""Compiles the stress kernels (memtest.cu, burn.cu) to PTX with NVRTC and writes them beside their
source, where the crate embeds them. NVRTC comes from the pinned `nvidia-cuda-nvrtc-cu12` wheel that
scripts/python-tools.sh installs into target/python-tools: run this with that venv's python.

    target/python-tools/bin/python crates/stress-cuda/kernels/build-ptx.py           # write the .ptx
    target/python-tools/bin/python crates/stress-cuda/kernels/build-ptx.py --check   # compare only

With --check it writes nothing and exits 1 when a committed .ptx differs from what its source
compiles to (so the PTX in the repository is always the source's), 2 when NVRTC is missing.

The options are fixed so the output is reproducible: compute_80 (the driver JITs that PTX for
sm_80/86/89/90 and later), no line info (it would embed paths), headers passed from memory.
"""

import ctypes
import importlib.util
import pathlib
import sys

KERNELS = pathlib.Path(__file__).resolve().parent
SOURCES = ["memtest.cu", "burn.cu"]
HEADERS = ["patterns.h"]
OPTIONS = ["--gpu-architecture=compute_80", "-default-device", "--std=c++17"]
# The PTX ISA version follows NVRTC's; 12.2 writes ISA 8.2, which drivers from R535 on load.
NVRTC_VERSION = (12, 2)


def fail(message, code):
    print(f"build-ptx: {message}", file=sys.stderr)
    sys.exit(code)


def load_nvrtc():
    spec = importlib.util.find_spec("nvidia.cuda_nvrtc")
    if spec is None or not spec.submodule_search_locations:
        fail(f"NVRTC is not installed for {sys.executable}: run scripts/python-tools.sh and use "
             "target/python-tools/bin/python", 2)
    lib = pathlib.Path(list(spec.submodule_search_locations)[0]) / "lib"
    # libnvrtc opens its builtins library by name: load it first so that name is already resolved.
    for builtins in sorted(lib.glob("libnvrtc-builtins.so.*")):
        ctypes.CDLL(str(builtins), mode=ctypes.RTLD_GLOBAL)
    nvrtc = ctypes.CDLL(str(lib / "libnvrtc.so.12"))
    nvrtc.nvrtcGetErrorString.restype = ctypes.c_char_p
    major, minor = ctypes.c_int(), ctypes.c_int()
    check(nvrtc, nvrtc.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), "nvrtcVersion")
    if (major.value, minor.value) != NVRTC_VERSION:
        fail(f"NVRTC {major.value}.{minor.value} found, {NVRTC_VERSION[0]}.{NVRTC_VERSION[1]} expected: "
             "run scripts/python-tools.sh", 2)
    return nvrtc


def check(nvrtc, result, call):
    if result != 0:
        fail(f"{call} failed: {nvrtc.nvrtcGetErrorString(result).decode()}", 1)


def strings(values):
    return (ctypes.c_char_p * len(values))(*[v if isinstance(v, bytes) else v.encode() for v in values])


def compile_ptx(nvrtc, source):
    program = ctypes.c_void_p()
    headers = [(KERNELS / h).read_bytes() for h in HEADERS]
    check(nvrtc, nvrtc.nvrtcCreateProgram(ctypes.byref(program), (KERNELS / source).read_bytes(), source.encode(),
                                          len(HEADERS), strings(headers), strings(HEADERS)), "nvrtcCreateProgram")
    try:
        compiled = nvrtc.nvrtcCompileProgram(program, len(OPTIONS), strings(OPTIONS))
        size = ctypes.c_size_t()
        check(nvrtc, nvrtc.nvrtcGetProgramLogSize(program, ctypes.byref(size)), "nvrtcGetProgramLogSize")
        log = ctypes.create_string_buffer(size.value)
        check(nvrtc, nvrtc.nvrtcGetProgramLog(program, log), "nvrtcGetProgramLog")
        if compiled != 0:
            fail(f"{source} does not compile:\n{log.value.decode(errors='replace')}", 1)
        if log.value.strip():
            # A warning is a defect in a kernel nobody can run here: treat it as one.
            fail(f"{source} compiles with warnings:\n{log.value.decode(errors='replace')}", 1)
        check(nvrtc, nvrtc.nvrtcGetPTXSize(program, ctypes.byref(size)), "nvrtcGetPTXSize")
        ptx = ctypes.create_string_buffer(size.value)
        check(nvrtc, nvrtc.nvrtcGetPTX(program, ptx), "nvrtcGetPTX")
        return ptx.value  # without the terminating NUL
    finally:
        nvrtc.nvrtcDestroyProgram(ctypes.byref(program))


def main():
    only_check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not only_check:
        fail("usage: build-ptx.py [--check]", 2)
    nvrtc = load_nvrtc()
    stale = []
    for source in SOURCES:
        ptx = compile_ptx(nvrtc, source)
        target = KERNELS / source.replace(".cu", ".ptx")
        if only_check:
            if not target.exists() or target.read_bytes() != ptx:
                stale.append(target.name)
        else:
            target.write_bytes(ptx)
            print(f"build-ptx: wrote {target.name} ({len(ptx)} bytes)")
    if stale:
        verb = "differs" if len(stale) == 1 else "differ"
        fail(f"{', '.join(stale)} {verb} from what the source compiles to: run "
             "target/python-tools/bin/python crates/stress-cuda/kernels/build-ptx.py", 1)


if __name__ == "__main__":
    main()
