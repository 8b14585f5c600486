//! This bench in a shop of several: its link to the shop server the benches and the test room share.

pub mod link;
pub mod outbox;
