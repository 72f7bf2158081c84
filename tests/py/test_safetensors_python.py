"""Cross-checks our safetensors writer and reader against the reference implementation
(the `safetensors` package from PyPI, installed into build/pyenv by scripts/install-deps).

Uses the unit-test binary $FG_BUILD_DIR/bin/test_safetensors: with FG_ST_OUT=PATH it writes
its sample file, with FG_ST_IN=PATH it prints what our reader sees in PATH."""
import os
import subprocess
import sys
import tempfile

from fg_support import BUILD, Checks, reexec_with_safetensors

reexec_with_safetensors()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file as np_save_file  # noqa: E402
from safetensors.torch import load_file as pt_load_file, save_file as pt_save_file  # noqa: E402

BIN = os.path.join(BUILD, "bin", "test_safetensors")

# Mirrors `sample` in tests/unit/test_safetensors.c.
EXPECTED = {
    "blocks.0.attn.qkv.weight": ("F32", [2, 3], [1.0, -2.5, 3.25, 0.0, np.float32(1e-3), -7.0]),
    "wte.bf16": ("BF16", [5], [1.0, -2.0, 3.140625, 0.0, -0.5]),
    "step_ids": ("I32", [2, 2], [-1, 0, 7, 2147483647]),
    "scalar": ("F64", [], [3.141592653589793]),
    "empty": ("F32", [0, 3], []),
    "after_odd": ("F32", [3], [10.0, 20.0, 30.0]),
}
TORCH_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "I32": torch.int32,
                "F64": torch.float64}

checks = Checks("test_safetensors_python")
check = checks.check


def run_bin(env_key, path):
    env = dict(os.environ, **{env_key: path})
    return subprocess.run([BIN], env=env, capture_output=True, text=True, check=False)


def test_reference_reads_ours(tmp):
    path = os.path.join(tmp, "ours.safetensors")
    r = run_bin("FG_ST_OUT", path)
    check(r.returncode == 0, f"writer exited {r.returncode}: {r.stderr}")
    if r.returncode != 0:
        return
    tensors = pt_load_file(path)  # the reference parser validates the whole file
    check(sorted(tensors) == sorted(EXPECTED), f"names {sorted(tensors)}")
    for name, (dtype, shape, values) in EXPECTED.items():
        t = tensors.get(name)
        if t is None:
            continue
        check(t.dtype == TORCH_DTYPES[dtype], f"{name}: dtype {t.dtype}")
        check(list(t.shape) == shape, f"{name}: shape {list(t.shape)}")
        got = t.double().flatten().tolist()
        check(got == [float(v) for v in values], f"{name}: values {got}")
    with safe_open(path, framework="np") as f:
        check(f.metadata() == {"format": "pt", "step": "42"}, f"metadata {f.metadata()}")
        x = f.get_tensor("step_ids")
        check(x.dtype == np.int32 and x.tolist() == [[-1, 0], [7, 2147483647]], "numpy I32")


def test_ours_reads_reference(tmp):
    rng = np.random.default_rng(0)
    arrays = {
        "a.weight": rng.standard_normal((3, 5)).astype(np.float32),
        "b.ids": np.arange(-3, 4, dtype=np.int32),
        "c.f64": rng.standard_normal((2, 1, 2)),
        "d.scalar": np.array(2.5, dtype=np.float32),
        "e.empty": np.zeros((0, 4), dtype=np.float32),
    }
    path = os.path.join(tmp, "ref.safetensors")
    np_save_file(arrays, path, metadata={"who": "numpy"})
    r = run_bin("FG_ST_IN", path)
    check(r.returncode == 0, f"reader exited {r.returncode}: {r.stderr}")
    seen = parse_dump(r.stdout)
    check(seen.get("__meta__") == {"who": "numpy"}, f"metadata {seen.get('__meta__')}")
    for name, a in arrays.items():
        got = seen.get(name)
        check(got is not None, f"{name} missing from our reading")
        if got is None:
            continue
        dtype, shape, values = got
        want_dtype = {np.float32: "F32", np.int32: "I32", np.float64: "F64"}[a.dtype.type]
        check(dtype == want_dtype, f"{name}: dtype {dtype}")
        check(shape == list(a.shape), f"{name}: shape {shape}")
        check(np.array_equal(np.array(values, dtype=np.float64),
                             a.astype(np.float64).ravel()), f"{name}: values")

    bf = torch.tensor([[1.0, -0.375], [3.0e5, 2.0 ** -10]], dtype=torch.bfloat16)
    path = os.path.join(tmp, "ref_bf16.safetensors")
    pt_save_file({"bf": bf, "odd": torch.ones(3, dtype=torch.bfloat16)}, path)
    r = run_bin("FG_ST_IN", path)
    check(r.returncode == 0, f"reader exited {r.returncode}: {r.stderr}")
    seen = parse_dump(r.stdout)
    check(seen.get("bf", (None,))[0] == "BF16", "bf16 dtype")
    check(seen.get("bf", (0, 0, []))[2] == bf.double().flatten().tolist(), "bf16 values")
    check(seen.get("odd", (0, [], 0))[1] == [3], "odd shape")


def parse_dump(text):
    seen = {"__meta__": {}}
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] == "meta":
            seen["__meta__"][parts[1]] = parts[2]
            continue
        name, dtype, shape, values = parts
        seen[name] = (dtype, [int(d) for d in shape.split(",") if d],
                      [float(v) for v in values.split(",") if v])
    return seen


def main():
    if not os.path.exists(BIN):
        print(f"FAIL: {BIN} not built", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        test_reference_reads_ours(tmp)
        test_ours_reads_reference(tmp)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
