//! Prints how long signing and typesetting one certificate takes (target: median ≤ 50 ms).
//! `cargo bench -p revive-certificate-pdf --bench render_sign`

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use revive_certificate_pdf::CertificateRenderer;
use revive_core::certificates::{Certificate, CertificateLanguage, ShopKey};

const ROUNDS: usize = 60;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    println!("loading the fonts once: {:.1} ms", started.elapsed().as_secs_f64() * 1e3);
    let key = ShopKey::load_or_create(dir.path()).unwrap();
    for language in [CertificateLanguage::En, CertificateLanguage::ZhCn, CertificateLanguage::Both] {
        let (template, _) = common::certificate(dir.path(), &common::document(language, true));
        let mut pdf_times = Vec::with_capacity(ROUNDS);
        let mut svg_times = Vec::with_capacity(ROUNDS);
        let mut size = 0;
        for round in 0..ROUNDS {
            // A new number each round: nothing Typst memoised for the previous page can be reused whole.
            let mut document = common::document(language, true);
            document.number = format!("RC-2026-{:06}", round + 1);
            let started = Instant::now();
            let certificate = Certificate { signed: key.sign(&document).unwrap(), ..template.clone() };
            size = renderer.pdf(&certificate, &key).unwrap().len();
            pdf_times.push(started.elapsed().as_secs_f64() * 1e3);
            let started = Instant::now();
            renderer.svg(&certificate).unwrap();
            svg_times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        let (pdf, svg) = (figures(&mut pdf_times), figures(&mut svg_times));
        println!(
            "{language:?}: sign + PDF median {:.1} ms, p95 {:.1} ms, first {:.1} ms ({size} bytes); preview SVG median {:.1} ms",
            pdf.0, pdf.1, pdf.2, svg.0
        );
    }
}

/// Median, 95th percentile and the first (cold) round.
fn figures(times: &mut [f64]) -> (f64, f64, f64) {
    let first = times[0];
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 95 / 100], first)
}
