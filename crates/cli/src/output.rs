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

/// The report's words in its language: the English or the Chinese format string, both over the
/// same named values, only the one in use formatted.
macro_rules! in_language {
    ($lang:expr, $en:literal, $zh_cn:literal) => {
        match $lang {
            $crate::cli::Language::En => format!($en),
            $crate::cli::Language::ZhCn => format!($zh_cn),
        }
    };
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
    let words = |en, zh_cn| lang.words(en, zh_cn);
    let d = &snapshot.driver;
    let simulated = if snapshot.simulated { "   [SIMULATED]" } else { "" };
    let driver = words("Driver", "驱动");
    say!(out, "{driver} {} · NVML {} · CUDA {}{simulated}", d.driver_version, d.nvml_version, d.cuda_version);
    let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".into());
    let number = |value: Option<u32>| value.map_or_else(|| "—".into(), |v| v.to_string());
    for gpu in &snapshot.gpus {
        say!(out);
        match gpu {
            GpuReading::Lost { index } => {
                say!(out, "GPU {index}  {}", words("LOST: not answering (fell off the bus)", "丢失：无响应（已掉卡）"))
            }
            GpuReading::Present { index, identity: i, health: h } => {
                let serial = words("serial", "序列号");
                say!(out, "GPU {index}  {}  {serial} {}  {}", show(&i.name), show(&i.serial), show(&i.uuid));
                let (at, board) = (words("at", "位于"), words("board", "板卡"));
                say!(
                    out,
                    "  PCI {} {at} {}  {board} {}  VBIOS {}",
                    show(&i.pci_device_id),
                    show(&i.bus_id),
                    show(&i.board_part_number),
                    show(&i.vbios_version)
                );
                let inforom = match i.inforom_valid {
                    Some(true) => words("valid", "有效"),
                    Some(false) => words("CORRUPTED", "已损坏"),
                    None => words("not checked", "未检查"),
                };
                say!(
                    out,
                    "  InfoROM {} ({inforom})  GSP {}",
                    show(&i.inforom_image_version),
                    show(&i.gsp_firmware_version)
                );
                let watts = |w: Option<f64>| w.map_or_else(|| "—".into(), |w| format!("{w:.0} W"));
                let (of, max, replays) = (words("of", "/"), words("max", "最高"), words("replays", "次重放"));
                say!(
                    out,
                    "  {} °C (HBM {} °C)  {} {of} {}  SM {}/{} MHz  PCIe Gen{} x{} ({max} Gen{} x{}), {} {replays}",
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
                    let (volatile, aggregate) = (ecc.volatile_uncorrected, ecc.aggregate_uncorrected);
                    let uncorrected = in_language!(
                        lang,
                        "  ECC uncorrected: volatile {volatile}, aggregate {aggregate}",
                        "  ECC 不可纠正错误：易失 {volatile}，累计 {aggregate}"
                    );
                    say!(out, "{uncorrected}");
                }
                if let Some(rows) = &h.remapped_rows {
                    let (uncorrectable, correctable) = (rows.uncorrectable, rows.correctable);
                    let yes_no = |yes: bool| if yes { lang.words("true", "是") } else { lang.words("false", "否") };
                    let (pending, failure) = (yes_no(rows.pending), yes_no(rows.failure));
                    let remapped = in_language!(
                        lang,
                        "  Remapped rows: {uncorrectable} uncorrectable, {correctable} correctable, pending {pending}, failure {failure}",
                        "  行重映射：不可纠正 {uncorrectable}，可纠正 {correctable}，待生效 {pending}，失败 {failure}"
                    );
                    say!(out, "{remapped}");
                }
            }
        }
    }
    print_findings(out, findings, lang);
}

pub fn print_findings(out: &mut String, findings: &[Finding], lang: Language) {
    say!(out);
    if findings.is_empty() {
        say!(out, "{}", lang.words("No findings.", "无发现。"));
        return;
    }
    say!(out, "{}", lang.words("Findings:", "发现："));
    for finding in findings {
        // Eight columns, a Chinese character taking two, so the lines below line up.
        let severity = match lang {
            Language::En => format!("{:<8}", severity_word(finding.severity, lang)),
            Language::ZhCn => format!("{}    ", severity_word(finding.severity, lang)),
        };
        let gpu = finding.gpu_index.map_or_else(String::new, |i| format!("GPU {i}  "));
        say!(out, "  {severity} {gpu}{} ({})", lang.pick(&finding.title), finding.code);
        let evidence: Vec<String> = finding.evidence.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let evidence = evidence.join(", ");
        let next = lang.pick(&finding.next_step);
        say!(out, "{}", in_language!(lang, "           evidence: {evidence}", "           证据：{evidence}"));
        say!(out, "{}", in_language!(lang, "           next: {next}", "           下一步：{next}"));
    }
}

/// How grave a finding is, in capitals in English.
pub fn severity_word(severity: Severity, lang: Language) -> &'static str {
    match severity {
        Severity::Critical => lang.words("CRITICAL", "严重"),
        Severity::Warning => lang.words("WARNING", "警告"),
        Severity::Info => lang.words("INFO", "提示"),
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
