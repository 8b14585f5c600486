#!/usr/bin/env bash
# Compares Revive's reading of the GPUs with nvidia-smi's on a machine with an NVIDIA GPU:
# runs `revive diagnose --json` and `nvidia-smi -q -x` side by side, prints both outputs into
# OUT_DIR, a field-by-field agreement table, and how long each took.
#
#   scripts/gpu-check.sh [OUT_DIR]
#
# REVIVE (default: target/release/revive, else target/debug/revive) and NVIDIA_SMI (default:
# nvidia-smi) choose the programs; REVIVE_ARGS adds arguments to `revive diagnose`.
# Exit status: 0 when every compared field agrees, 1 when one differs, 2 when a tool is missing.
set -uo pipefail
cd "$(dirname "$0")/.."

out=${1:-gpu-check-out}
mkdir -p "$out"
revive=${REVIVE:-$( [ -x target/release/revive ] && echo target/release/revive || echo target/debug/revive )}
smi=${NVIDIA_SMI:-nvidia-smi}
command -v "$smi" >/dev/null || { echo "gpu-check: $smi not found" >&2; exit 2; }
[ -x "$revive" ] || { echo "gpu-check: $revive not built (cargo build -p revive-cli)" >&2; exit 2; }

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
