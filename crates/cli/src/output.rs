//! What the subcommands print: reports built line by line, written so a closed pipe is no panic,
//! and failures on standard error.

use revive_core::bench::{BenchSnapshot, GpuReading};
use revive_core::diagnostics::{Finding, Severity};

use crate::cli::Language;
use crate::exit::Exit;

/// Appends a line to a report (`say!(out)` for an empty one).
macro_rules! say {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// Writes the report; a closed pipe (`revive diagnose | head`) is not an error worth a panic.
pub fn emit(report: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
}

pub fn fail(exit: Exit, message: impl std::fmt::Display) -> Exit {
    eprintln!("revive: {message}");
    exit
}

pub fn print_bench(out: &mut String, snapshot: &BenchSnapshot, findings: &[Finding], lang: Language) {
    let d = &snapshot.driver;
    let simulated = if snapshot.simulated { "   [SIMULATED]" } else { "" };
    say!(out, "Driver {} · NVML {} · CUDA {}{simulated}", d.driver_version, d.nvml_version, d.cuda_version);
    let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".into());
    let number = |value: Option<u32>| value.map_or_else(|| "—".into(), |v| v.to_string());
    for gpu in &snapshot.gpus {
        say!(out);
        match gpu {
            GpuReading::Lost { index } => say!(out, "GPU {index}  LOST: not answering (fell off the bus)"),
            GpuReading::Present { index, identity: i, health: h } => {
                say!(out, "GPU {index}  {}  serial {}  {}", show(&i.name), show(&i.serial), show(&i.uuid));
                say!(
                    out,
                    "  PCI {} at {}  board {}  VBIOS {}",
                    show(&i.pci_device_id),
                    show(&i.bus_id),
                    show(&i.board_part_number),
                    show(&i.vbios_version)
                );
                let inforom = match i.inforom_valid {
                    Some(true) => "valid",
                    Some(false) => "CORRUPTED",
                    None => "not checked",
                };
                say!(
                    out,
                    "  InfoROM {} ({inforom})  GSP {}",
                    show(&i.inforom_image_version),
                    show(&i.gsp_firmware_version)
                );
                let watts = |w: Option<f64>| w.map_or_else(|| "—".into(), |w| format!("{w:.0} W"));
                say!(
                    out,
                    "  {} °C (HBM {} °C)  {} of {}  SM {}/{} MHz  PCIe Gen{} x{} (max Gen{} x{}), {} replays",
                    number(h.temperature_c),
                    number(h.memory_temperature_c),
                    watts(h.power_w),
                    watts(h.enforced_power_limit_w),
                    number(h.sm_clock_mhz),
                    number(h.max_sm_clock_mhz),
                    number(h.pcie.generation),
                    number(h.pcie.width),
                    number(h.pcie.max_generation),
                    number(h.pcie.max_width),
                    number(h.pcie.replays),
                );
                if let Some(ecc) = &h.ecc {
                    say!(
                        out,
                        "  ECC uncorrected: volatile {}, aggregate {}",
                        ecc.volatile_uncorrected,
                        ecc.aggregate_uncorrected
                    );
                }
                if let Some(rows) = &h.remapped_rows {
                    say!(
                        out,
                        "  Remapped rows: {} uncorrectable, {} correctable, pending {}, failure {}",
                        rows.uncorrectable,
                        rows.correctable,
                        rows.pending,
                        rows.failure
                    );
                }
            }
        }
    }
    print_findings(out, findings, lang);
}

pub fn print_findings(out: &mut String, findings: &[Finding], lang: Language) {
    say!(out);
    if findings.is_empty() {
        say!(out, "No findings.");
        return;
    }
    say!(out, "Findings:");
    for finding in findings {
        let severity = match finding.severity {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING ",
            Severity::Info => "INFO    ",
        };
        let gpu = finding.gpu_index.map_or_else(String::new, |i| format!("GPU {i}  "));
        say!(out, "  {severity} {gpu}{} ({})", lang.pick(&finding.title), finding.code);
        let evidence: Vec<String> = finding.evidence.iter().map(|(k, v)| format!("{k}={v}")).collect();
        say!(out, "           evidence: {}", evidence.join(", "));
        say!(out, "           next: {}", lang.pick(&finding.next_step));
    }
}

/// Text from a file someone handed over, safe for a terminal: control characters (an escape
/// sequence that would recolour or rewrite the screen) are shown escaped, not obeyed.
pub fn terminal_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_from_a_file_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("王芳\u{1b}[2J\r\nJosé"), "王芳\\u{1b}[2J\\r\\nJosé");
        assert_eq!(terminal_safe("深圳芯复活 GPU"), "深圳芯复活 GPU");
    }
}
