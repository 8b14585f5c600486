//! This bench in a shop of several: its link to the shop server the benches and the test room share.

pub mod holding;
pub mod link;
pub mod outbox;
pub mod record;
