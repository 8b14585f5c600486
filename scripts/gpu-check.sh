#!/usr/bin/env bash
# Checks Revive against nvidia-smi on a machine with an NVIDIA GPU, in two parts.
# 1. Reading: runs `revive diagnose --json` and `nvidia-smi -q -x` side by side, prints both
#    outputs into OUT_DIR, a field-by-field agreement table, and how long each took.
# 2. Load, on GPU 0: revive-gpu-figures (the device checks, which cannot be cargo tests as CI has
#    no GPU, then the backends' figures) into OUT_DIR/gpu-figures.txt; then `revive stress`
#    (memory test, then burn-in) into OUT_DIR/stress.json with nvidia-smi sampling the card every
#    5 s beside it into OUT_DIR/nvidia-smi-during.csv, and a summary that sets Revive's own load
#    readings next to nvidia-smi's, so a wrong power, temperature or clock reading shows.
#
#   scripts/gpu-check.sh [OUT_DIR]
#
# REVIVE (default: target/release/revive, else target/debug/revive), REVIVE_GPU_FIGURES (default:
# target/release/revive-gpu-figures, else target/debug/revive-gpu-figures) and NVIDIA_SMI
# (default: nvidia-smi) choose the programs; REVIVE_ARGS adds arguments to `revive diagnose`;
# STRESS_MINUTES (default 10) is the burn-in's length.
# Exit status: 0 when every compared field agrees, every device check passes and the stress verdict
# is passed; 1 when a field differs, a device check or figure fails, or the stress run is not
# passed (failed, incomplete, or no result); 2 when a tool is missing or there is no usable GPU.
set -uo pipefail
cd "$(dirname "$0")/.."

out=${1:-gpu-check-out}
mkdir -p "$out"
revive=${REVIVE:-$( [ -x target/release/revive ] && echo target/release/revive || echo target/debug/revive )}
smi=${NVIDIA_SMI:-nvidia-smi}
command -v "$smi" >/dev/null || { echo "gpu-check: $smi not found" >&2; exit 2; }
[ -x "$revive" ] || { echo "gpu-check: $revive not built (cargo build -p revive-cli)" >&2; exit 2; }
figures=${REVIVE_GPU_FIGURES:-$( [ -x target/release/revive-gpu-figures ] && echo target/release/revive-gpu-figures || echo target/debug/revive-gpu-figures )}
[ -x "$figures" ] || { echo "gpu-check: $figures not built (cargo build -p revive-stress-cuda)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "gpu-check: python3 not found" >&2; exit 2; }

now() { date +%s.%N; }
t0=$(now); "$revive" diagnose --json ${REVIVE_ARGS:-} > "$out/revive.json"; revive_status=$?; t1=$(now)
"$smi" -q -x > "$out/nvidia-smi.xml"; smi_status=$?; t2=$(now)
echo "revive diagnose exited $revive_status (3 critical, 1 warnings, 0 clean); nvidia-smi -q -x exited $smi_status"

python3 - "$out/revive.json" "$out/nvidia-smi.xml" "$t0" "$t1" "$t2" <<'PY'
import json, sys, xml.etree.ElementTree as ET

revive = json.load(open(sys.argv[1]))
smi = ET.parse(sys.argv[2]).getroot()
t0, t1, t2 = map(float, sys.argv[3:6])

def text(node, path):
    found = node.find(path)
    return None if found is None or found.text is None else found.text.strip()

def number(value):
    if value is None:
        return None
    try:
        return float(value.split()[0])
    except ValueError:
        return None

# Readings that move between the two reads get a tolerance; identities and counters must match.
DRIFT = {"temperature C": 3.0}

def same(name, a, b):
    if a is None or b is None:
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        return abs(float(a) - float(b)) <= DRIFT.get(name, 0.01)
    return str(a).strip().lower() == str(b).strip().lower()

rows, disagreements = [], 0
gpus = [g for g in revive["bench"]["gpus"] if g.get("state") == "present"]
for reading, node in zip(gpus, smi.findall("gpu")):
    i, h = reading["identity"], reading["health"]
    device_id = text(node, "pci/pci_device_id")  # 0x233010DE
    fields = [
        ("serial", i.get("serial"), text(node, "serial")),
        ("uuid", i.get("uuid"), text(node, "uuid")),
        ("vbios", i.get("vbiosVersion"), text(node, "vbios_version")),
        ("board part number", i.get("boardPartNumber"), text(node, "board_part_number")),
        ("inforom image", i.get("inforomImageVersion"), text(node, "inforom_version/img_version")),
        ("pci device id", i.get("pciDeviceId"), device_id and "0x" + device_id[2:6].lower()),
        ("bus id", i.get("busId"), text(node, "pci/pci_bus_id")),
        ("memory total MiB", i.get("memoryTotalMib"), number(text(node, "fb_memory_usage/total"))),
        ("temperature C", h.get("temperatureC"), number(text(node, "temperature/gpu_temp"))),
        ("slowdown C", h.get("slowdownC"), number(text(node, "temperature/gpu_temp_slow_threshold"))),
        ("enforced power limit W", h.get("enforcedPowerLimitW"), number(text(node, "gpu_power_readings/current_power_limit") or text(node, "power_readings/power_limit"))),
        ("pcie max gen", h["pcie"].get("maxGeneration"), number(text(node, "pci/pci_gpu_link_info/pcie_gen/max_link_gen") or text(node, "pci/pci_gpu_link_info/pcie_gen/device_max_link_gen"))),
        ("pcie max width", h["pcie"].get("maxWidth"), number((text(node, "pci/pci_gpu_link_info/link_widths/max_link_width") or "").rstrip("x") or None)),
        ("pcie replays", h["pcie"].get("replays"), number(text(node, "pci/replay_counter"))),
        ("ecc volatile uncorrected", (h.get("ecc") or {}).get("volatileUncorrected"), number(text(node, "ecc_errors/volatile/dram_uncorrectable") or text(node, "ecc_errors/volatile/total/uncorrectable"))),
        ("ecc aggregate uncorrected", (h.get("ecc") or {}).get("aggregateUncorrected"), number(text(node, "ecc_errors/aggregate/dram_uncorrectable") or text(node, "ecc_errors/aggregate/total/uncorrectable"))),
        ("remapped rows uncorrectable", (h.get("remappedRows") or {}).get("uncorrectable"), number(text(node, "remapped_rows/remapped_row_unc"))),
        ("remapped rows correctable", (h.get("remappedRows") or {}).get("correctable"), number(text(node, "remapped_rows/remapped_row_cor"))),
        ("remap pending", (h.get("remappedRows") or {}).get("pending"), {"yes": True, "no": False}.get((text(node, "remapped_rows/remapped_row_pending") or "").lower())),
        ("remap failure", (h.get("remappedRows") or {}).get("failure"), {"yes": True, "no": False}.get((text(node, "remapped_rows/remapped_row_failure") or "").lower())),
    ]
    for name, ours, theirs in fields:
        verdict = same(name, ours, theirs)
        disagreements += verdict is False
        rows.append((reading["index"], name, ours, theirs, {True: "agree", False: "DIFFER", None: "n/a"}[verdict]))

print(f"{'GPU':<4} {'field':<28} {'revive':<42} {'nvidia-smi':<42} verdict")
for gpu, name, ours, theirs, verdict in rows:
    print(f"{gpu:<4} {name:<28} {str(ours):<42.42} {str(theirs):<42.42} {verdict}")
compared = sum(1 for r in rows if r[4] != "n/a")
print(f"\n{compared} fields compared, {disagreements} differ; "
      f"revive {t1 - t0:.3f} s, nvidia-smi {t2 - t1:.3f} s, ratio {(t1 - t0) / max(t2 - t1, 1e-9):.2f}")
print(f"findings: {[f['code'] for f in revive['findings']]}")
sys.exit(1 if disagreements else 0)
PY
compare_status=$?

# 2. Load. The device checks and figures first, on their own: they and the stress run each take
# most of the card's memory.
echo
"$figures" --burn-seconds 60 | tee "$out/gpu-figures.txt"; figures_status=${PIPESTATUS[0]}
echo "revive-gpu-figures exited $figures_status (0 all passed, 1 a check or figure failed, 2 no usable GPU)"
[ "$figures_status" = 2 ] && exit 2

minutes=${STRESS_MINUTES:-10}
echo
echo "revive stress: memory test, then a $minutes-minute burn-in on GPU 0; nvidia-smi samples every 5 s"
"$smi" --query-gpu=timestamp,index,power.draw,power.limit,temperature.gpu,temperature.memory,clocks.sm,clocks_throttle_reasons.active \
    --format=csv -l 5 > "$out/nvidia-smi-during.csv" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null' EXIT
"$revive" stress --burn-in "${minutes}m" --memtest --gpus 0 --json > "$out/stress.json"; stress_status=$?
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null; trap - EXIT
echo "revive stress exited $stress_status (0 passed, 1 warnings, 3 critical, 7 incomplete)"

python3 - "$out/stress.json" "$out/nvidia-smi-during.csv" <<'PY'
import csv, json, sys
from datetime import datetime

# The share of the power limit the burn-in should hold, stricter than the 0.8 below which Revive
# warns (stress_load_low). A figure of the burn-in's, not of the card: it leaves the exit status be.
POWER_TARGET = 0.90
# Bit 0x4 of the clock event reasons, the software power cap: Revive leaves those samples out of
# its SM clock average (a capped clock is the card working as designed), so this does too.
POWER_CAP_BIT = 0x4

def number(value):
    try:
        return float(value.split()[0])
    except (AttributeError, IndexError, ValueError):
        return None

def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None

def peak(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None

def show(value, digits=0):
    return "—" if value is None else f"{value:.{digits}f}"

try:
    outcomes = json.load(open(sys.argv[1]))["gpus"]
except (OSError, ValueError, KeyError) as error:
    print(f"no stress result in {sys.argv[1]}: {error}")
    sys.exit(1)
if not outcomes:
    print(f"no GPU in the stress result {sys.argv[1]}")
    sys.exit(1)

# timestamp, index, power.draw, power.limit, temperature.gpu, temperature.memory, clocks.sm,
# clocks_throttle_reasons.active: read by position, since the header's names change between
# driver versions. "[N/A]" reads as missing.
rows = []
for row in csv.reader(open(sys.argv[2]), skipinitialspace=True):
    try:
        at = datetime.strptime(row[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()  # local time, as printed
    except (IndexError, ValueError):
        continue  # the header
    reasons = row[7].strip() if len(row) > 7 else ""
    rows.append({
        "at": at, "index": row[1].strip(), "power": number(row[2]), "limit": number(row[3]),
        "temperature": number(row[4]), "memory temperature": number(row[5]), "clock": number(row[6]),
        "reasons": int(reasons, 16) if reasons.startswith("0x") else None,
    })

failed = False
for outcome in outcomes:
    gpu, judgement = outcome["gpu"], outcome["judgement"]
    verdict, load = judgement["verdict"], judgement["load"]
    failed |= verdict != "passed"
    simulated = "  [SIMULATED]" if outcome.get("simulated") else ""
    print(f"\nGPU {gpu}: stress verdict {verdict.upper()} after {outcome['seconds']} s{simulated}")
    burn = outcome.get("burnIn")
    if burn:
        print(f"  burn-in: {burn['seconds']} of {burn['durationSeconds']} s, {burn['tflops']:.1f} TFLOP/s, "
              f"{burn['computeErrors']} compute errors")
    memory = outcome.get("memory")
    if memory:
        rate = memory["bytesMoved"] / memory["wallSeconds"] / 1e9 if memory["wallSeconds"] > 0 else 0.0
        print(f"  memory test: {memory['coveragePercent']:.1f} % of {memory['bytesAvailable'] / 1e9:.2f} GB free "
              f"({memory['bytesTested'] / 1e9:.2f} GB), {memory['passesCompleted']} pass(es), "
              f"{memory['mismatches']['total']} mismatches, {rate:.1f} GB/s")

    # Revive's averages' window: the run, less its first minute (a fifth of a run under 5 minutes)
    # while the card heats up. Peaks take the whole run, as Revive's do.
    start = outcome["startedAtMs"] / 1000
    warm_up = min(60.0, outcome["seconds"] / 5)
    run = [r for r in rows if r["index"] == str(gpu) and start <= r["at"] <= start + outcome["seconds"]]
    warm = [r for r in run if r["at"] >= start + warm_up]
    power, limit = mean(r["power"] for r in warm), mean(r["limit"] for r in warm)
    share = power / limit if power is not None and limit else None
    clock = mean(r["clock"] for r in warm if r["reasons"] is not None and not r["reasons"] & POWER_CAP_BIT)
    print(f"  {'':<40} {'revive':>10} {'nvidia-smi':>10}   "
          f"({len(warm)} of {len(run)} nvidia-smi samples after {warm_up:.0f} s)")
    for name, ours, theirs, digits in [
        ("average power W", load.get("averagePowerW"), power, 1),
        ("power limit W", load.get("powerLimitW"), limit, 1),
        ("power held, share of the limit", load.get("powerFraction"), share, 3),
        ("peak temperature C", load.get("peakTemperatureC"), peak(r["temperature"] for r in run), 0),
        ("peak HBM temperature C", load.get("peakMemoryTemperatureC"), peak(r["memory temperature"] for r in run), 0),
        ("average SM clock MHz (not power-capped)", load.get("averageSmClockMhz"), clock, 0),
    ]:
        print(f"  {name:<40} {show(ours, digits):>10} {show(theirs, digits):>10}")
    held = load.get("powerFraction")
    met = "met" if held is not None and held >= POWER_TARGET else "NOT MET"
    print(f"  power held at {show(held, 3)} of the limit, target >= {POWER_TARGET:.2f}: {met}")
    print(f"  slowdown: {load['thermalSlowdownSeconds']:.0f} s thermal, {load['hwSlowdownSeconds']:.0f} s HW, "
          f"{load['powerBrakeSeconds']:.0f} s power brake")
    print(f"  findings: {[f['code'] for f in judgement['findings']]}")
sys.exit(1 if failed else 0)
PY
summary_status=$?

# A missing tool or GPU left with 2 above; anything else that went wrong is a 1.
exit $(( compare_status != 0 || figures_status != 0 || summary_status != 0 ))
