//! A realistic ticket label, for the paper tests and the samples in docs/.

use revive_core::jobs::label::{label_code, TicketLabel};
use revive_core::settings::{LabelSize, Language};

pub fn label(size: LabelSize, language: Language, customer: &str) -> TicketLabel {
    TicketLabel {
        ticket: "RV-2026-A-000123".into(),
        code: label_code("RV-2026-A-000123", "1654922012345"),
        model: "H100 SXM5 80GB".into(),
        serial: "1654922012345".into(),
        customer: customer.into(),
        received: "2026-12-02".into(),
        language,
        size,
    }
}
