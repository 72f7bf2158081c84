"""The tensorboard callback plugin: a tiny run with `callbacks: [!singleton:tensorboard {}]`
writes <run dir>/tensorboard/events.out.tfevents.<time>.<host>, read back here
(a) by an independent parser of the TFRecord framing (every masked CRC-32C checked) and
    of the Event protobuf: the scalars at steps 2, 4, 6 (train/...) and 3, 6 (eval/loss)
    equal trainer_logs.json's numbers rounded to float32;
(b) by the `tensorboard` package's EventAccumulator, when build/pyenv has it
    (scripts/install-deps installs it), with the same numbers.
A run resumed into the same log_dir adds a second file starting with a SessionLog START,
so TensorBoard shows each step once; a log_dir that is a file is an error naming it."""
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fg_support import BUILD, VENV_PY, Checks, tiny_lm_config  # noqa: E402


def reexec_with_tensorboard():
    """Debian's python3 has no `tensorboard`; build/pyenv does once install-deps ran."""
    try:
        import tensorboard  # noqa: F401
        return True
    except ImportError:
        if os.path.exists(VENV_PY) and os.environ.get("FG_PY_REEXEC") != "1":
            os.environ["FG_PY_REEXEC"] = "1"
            os.execv(VENV_PY, [VENV_PY] + sys.argv)
        return False


HAVE_TENSORBOARD = reexec_with_tensorboard()
FGRUN = os.path.join(BUILD, "bin", "fgrun")
checks = Checks("test_tensorboard")
check = checks.check

# ---- an independent reader: CRC-32C, TFRecord framing, protobuf -------------------------


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


CRC_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    """The data of every record; checks both CRCs of each and that nothing trails."""
    blob = open(path, "rb").read()
    records, pos = [], 0
    while pos < len(blob):
        check(pos + 12 <= len(blob), f"{path}: truncated record header at byte {pos}")
        if pos + 12 > len(blob):
            break
        (length,) = struct.unpack_from("<Q", blob, pos)
        (len_crc,) = struct.unpack_from("<I", blob, pos + 8)
        check(len_crc == masked_crc(blob[pos:pos + 8]), f"{path}: length CRC of record {len(records)}")
        end = pos + 12 + length
        check(end + 4 <= len(blob), f"{path}: record {len(records)} runs past the end")
        if end + 4 > len(blob):
            break
        data = blob[pos + 12:end]
        (data_crc,) = struct.unpack_from("<I", blob, end)
        check(data_crc == masked_crc(data), f"{path}: data CRC of record {len(records)}")
        records.append(data)
        pos = end + 4
    return records


def varint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def fields(buf):
    """(field number, wire type, value) of a protobuf message, in order."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.append((num, wire, value))
    return out


def parse_event(buf):
    """Event { wall_time=1 double, step=2 int64, file_version=3, summary=5, session_log=7 }."""
    ev = {"step": 0, "scalars": {}}
    for num, wire, value in fields(buf):
        if (num, wire) == (1, 1):
            ev["wall_time"] = struct.unpack("<d", value)[0]
        elif (num, wire) == (2, 0):
            ev["step"] = value - (1 << 64) if value >= 1 << 63 else value
        elif (num, wire) == (3, 2):
            ev["file_version"] = value.decode()
        elif (num, wire) == (5, 2):  # Summary { repeated Value value = 1 }
            for vnum, vwire, v in fields(value):
                check((vnum, vwire) == (1, 2), f"Summary field {vnum}/{vwire}")
                sv = dict(((n, w), x) for n, w, x in fields(v))  # Value { tag = 1; simple_value = 2 }
                ev["scalars"][sv[(1, 2)].decode()] = struct.unpack("<f", sv[(2, 5)])[0]
        elif (num, wire) == (7, 2):  # SessionLog { status = 1 }
            ev["session_status"] = dict(((n, w), x) for n, w, x in fields(value)).get((1, 0), 0)
        else:
            check(False, f"unexpected Event field {num} (wire type {wire})")
    return ev


def read_events(path):
    return [parse_event(r) for r in read_records(path)]


def check_with_event_pb2(path, events):
    """TensorBoard's own Event proto reads each record as the parser does, and encodes it
    to the very same bytes (our encoding is the canonical one)."""
    from tensorboard.compat.proto import event_pb2
    for i, (data, ev) in enumerate(zip(read_records(path), events)):
        pb = event_pb2.Event.FromString(data)
        same = (pb.wall_time == ev.get("wall_time") and pb.step == ev["step"] and
                pb.file_version == ev.get("file_version", "") and
                {v.tag: v.simple_value for v in pb.summary.value} == ev["scalars"] and
                pb.session_log.status == ev.get("session_status", 0))
        check(same, f"{path}: record {i}: event_pb2 reads {pb} but the parser {ev}")
        check(pb.SerializeToString() == data, f"{path}: record {i} is not protobuf's canonical encoding")


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---- runs ------------------------------------------------------------------------------

CONFIG = tiny_lm_config(seed=5, d_model=32, max_seq_len=32) + """\
  eval_dataset: !singleton:text_file {{ path: corpus.txt, tokenizer: *tok, split: validation }}
  optimizer: !partial:adamw {{ lr: 3.0e-3 }}
  args: {{ batch_size: 2, max_steps: 6, logging_steps: 2, eval_steps: 3, eval_batches: 2,
          sample_tokens: 0, save_steps: 3, seed: 9 }}
  callbacks: [{callback}]
"""

TRAIN_KEYS = ("loss", "lr", "grad_norm", "tokens_per_s", "elapsed_s", "epoch", "optimizer_step_ms")


def train(work, name, callback, *extra):
    cfg = os.path.join(work, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(callback=callback))
    out = subprocess.run([FGRUN, "train", cfg, "--threads", "2", "--runs-dir", os.path.join(work, "runs"), *extra],
                         capture_output=True, text=True)
    run_dir = next((l.split(": ", 1)[1] for l in out.stderr.splitlines() if l.startswith("run directory: ")), None)
    return out, run_dir


def expected(run_dir, prefix=""):
    """{(tag, step): float32 value} from trainer_logs.json."""
    want = {}
    for rec in json.load(open(os.path.join(run_dir, "trainer_logs.json"))):
        for key in TRAIN_KEYS:
            if key in rec:
                want[(prefix + "train/" + key, rec["step"])] = f32(rec[key])
        if "eval_loss" in rec:
            want[(prefix + "eval/loss", rec["step"])] = f32(rec["eval_loss"])
    return want


def got_scalars(events):
    return {(tag, ev["step"]): v for ev in events for tag, v in ev["scalars"].items()}


def check_default_run(work):
    t0 = time.time()
    out, run_dir = train(work, "tiny", "!singleton:tensorboard {}")
    t1 = time.time()
    check(out.returncode == 0 and run_dir, f"fgrun train failed ({out.returncode}): {out.stderr[-1500:]}")
    if out.returncode != 0 or not run_dir:
        return None
    log_dir = os.path.join(run_dir, "tensorboard")
    files = sorted(os.listdir(log_dir)) if os.path.isdir(log_dir) else []
    check(len(files) == 1, f"one event file in {log_dir}: {files}")
    if len(files) != 1:
        return None
    name = files[0]
    check(re.fullmatch(r"events\.out\.tfevents\.(\d+)\." + re.escape(socket.gethostname()), name) is not None,
          f"file name {name}")
    secs = int(name.split(".")[3])
    check(int(t0) <= secs <= t1, f"file time {secs} outside the run [{t0:.0f}, {t1:.0f}]")
    check(f"tensorboard: writing {os.path.join(log_dir, name)}" in out.stderr, "the file is announced")

    events = read_events(os.path.join(log_dir, name))
    check(events and events[0].get("file_version") == "brain.Event:2", f"first event {events[:1]}")
    walls = [ev.get("wall_time", 0) for ev in events]
    check(all(t0 - 1 <= w <= t1 + 1 for w in walls) and walls == sorted(walls), f"wall times {walls}")
    train_steps = [ev["step"] for ev in events if any(t.startswith("train/") for t in ev["scalars"])]
    eval_steps = [ev["step"] for ev in events if "eval/loss" in ev["scalars"]]
    check(train_steps == [2, 4, 6], f"train events at steps {train_steps}")
    check(eval_steps == [3, 6], f"eval events at steps {eval_steps}")
    check(not any("session_status" in ev for ev in events), "a fresh run writes no SessionLog")
    got, want = got_scalars(events), expected(run_dir)
    check(set(got) == set(want), f"tags/steps differ: {sorted(set(got) ^ set(want))}")
    bad = [(k, got.get(k), v) for k, v in want.items() if got.get(k) != v]
    check(not bad, f"values differ from trainer_logs.json (float32): {bad[:4]}")
    losses = [got[("train/loss", s)] for s in (2, 4, 6)]
    print(f"  parser: {len(events)} records, CRCs valid, {len(got)} scalars equal trainer_logs.json; "
          f"train/loss {losses}")

    if HAVE_TENSORBOARD:
        from tensorboard.backend.event_processing import event_accumulator
        check_with_event_pb2(os.path.join(log_dir, name), events)
        acc = event_accumulator.EventAccumulator(log_dir)
        acc.Reload()
        tags = sorted(acc.Tags()["scalars"])
        check(tags == sorted(["train/" + k for k in TRAIN_KEYS] + ["eval/loss"]), f"tensorboard tags {tags}")
        for tag in ("train/loss", "train/lr", "train/grad_norm", "eval/loss"):
            pts = [(e.step, e.value) for e in acc.Scalars(tag)]
            ref = sorted((s, v) for (t, s), v in want.items() if t == tag)
            check(pts == ref, f"tensorboard {tag}: {pts} != {ref}")
        print(f"  tensorboard: event_pb2 reads every record alike (byte-identical re-encoding); "
              f"EventAccumulator: {len(tags)} scalar tags, train/loss "
              f"{[(e.step, round(e.value, 4)) for e in acc.Scalars('train/loss')]}")
    return run_dir


def check_resume(work, run_a):
    """Both runs write to one absolute log_dir; the resumed one restarts at step 3."""
    shared = os.path.join(work, "shared_tb")
    callback = f"!singleton:tensorboard {{ log_dir: '{shared}', flush_secs: 0, prefix: exp }}"
    out, run_1 = train(work, "shared", callback)
    check(out.returncode == 0, f"run into a shared log_dir failed: {out.stderr[-800:]}")
    ckpt = os.path.join(run_1 or "", "checkpoint-3")
    out, run_2 = train(work, "shared", callback, "--resume", ckpt)
    check(out.returncode == 0, f"resumed run failed: {out.stderr[-800:]}")
    if out.returncode != 0:
        return
    files = sorted(os.listdir(shared))
    check(len(files) == 2 and all(f.startswith("events.out.tfevents.") for f in files),
          f"a resumed run adds a second file: {files}")
    if len(files) != 2:
        return
    # The resumed run's file: the one with a SessionLog (both may share a second of time).
    by_file = {f: read_events(os.path.join(shared, f)) for f in files}
    restarts = [f for f, evs in by_file.items() if any("session_status" in ev for ev in evs)]
    check(len(restarts) == 1, f"one file has a SessionLog: {restarts}")
    if len(restarts) != 1:
        return
    second = restarts[0]
    check(second == max(files), f"the resumed run's file {second} sorts last (TensorBoard reads in name order)")
    ev2 = by_file[second]
    check(ev2[0].get("file_version") == "brain.Event:2", "second file starts with file_version")
    check(len(ev2) > 1 and ev2[1].get("session_status") == 1 and ev2[1]["step"] == 4,
          f"second file: SessionLog START at step 4, got {ev2[1:2]}")
    got2 = got_scalars(ev2)
    check(sorted({s for _, s in got2}) == [4, 6], f"resumed steps {sorted({s for _, s in got2})}")
    check(all(t.startswith("exp/train/") or t == "exp/eval/loss" for t, _ in got2), f"prefixed tags {sorted(got2)}")
    want2 = expected(run_2, "exp/")
    check(all(got2[k] == want2[k] for k in got2), "resumed values equal its trainer_logs.json")
    if HAVE_TENSORBOARD:
        from tensorboard.backend.event_processing import event_accumulator
        check_with_event_pb2(os.path.join(shared, second), ev2)
        acc = event_accumulator.EventAccumulator(shared)
        acc.Reload()
        steps = [e.step for e in acc.Scalars("exp/train/loss")]
        check(steps == [2, 4, 6], f"tensorboard shows each step once after the restart: {steps}")
        check([e.step for e in acc.Scalars("exp/eval/loss")] == [3, 6], "eval steps after the restart")
    print(f"  resume into one log_dir: {files}, SessionLog START at step 4, tags exp/...")


def check_no_overwrite(work):
    """Names of the coming minute already taken: the new file gets a suffix, none is replaced."""
    log_dir = os.path.join(work, "taken")
    os.makedirs(log_dir)
    now, host = int(time.time()), socket.gethostname()
    taken = {f"events.out.tfevents.{t}.{host}" for t in range(now - 1, now + 60)}
    for name in taken:
        with open(os.path.join(log_dir, name), "wb") as f:
            f.write(b"keep")
    out, _ = train(work, "taken", f"!singleton:tensorboard {{ log_dir: '{log_dir}' }}")
    check(out.returncode == 0, f"run into a directory of taken names failed: {out.stderr[-600:]}")
    new = sorted(set(os.listdir(log_dir)) - taken)
    check(all(open(os.path.join(log_dir, n), "rb").read() == b"keep" for n in taken), "an existing file was replaced")
    check(len(new) == 1 and new[0].endswith(".1"), f"the new file takes suffix .1: {new}")
    if len(new) == 1:
        events = read_events(os.path.join(log_dir, new[0]))
        check([ev["step"] for ev in events if ev["scalars"]] == [2, 3, 4, 6, 6], f"steps in {new[0]}")
    print(f"  names taken: the new file is {new[0] if new else None}, the others untouched")


def check_bad_log_dir(work):
    not_a_dir = os.path.join(work, "corpus.txt")
    out, _ = train(work, "bad", f"!singleton:tensorboard {{ log_dir: '{not_a_dir}' }}")
    check(out.returncode == 1 and "tensorboard" in out.stderr and not_a_dir in out.stderr,
          f"a log_dir that is a file: exit {out.returncode}, {out.stderr[-400:]}")
    out, _ = train(work, "bad_flush", "!singleton:tensorboard { flush_secs: -1 }")
    check(out.returncode != 0 and "flush_secs" in out.stderr, f"flush_secs -1: {out.stderr[-300:]}")
    print("  a log_dir that is a file and a negative flush_secs are refused with a message")


def main():
    check(crc32c(b"123456789") == 0xE3069283, "the reference CRC-32C fails its test vector")
    if not HAVE_TENSORBOARD:
        print("  SKIP part (b): no `tensorboard` package (scripts/install-deps puts it in build/pyenv)")
    with tempfile.TemporaryDirectory() as work:
        rng = random.Random(2)
        with open(os.path.join(work, "corpus.txt"), "w") as f:
            for _ in range(300):
                f.write(" ".join(rng.choice(["ant", "bee", "cat", "dog", "eel", "fox"]) for _ in range(6)) + ".\n")
        run_dir = check_default_run(work)
        if run_dir:
            check_resume(work, run_dir)
        check_no_overwrite(work)
        check_bad_log_dir(work)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
