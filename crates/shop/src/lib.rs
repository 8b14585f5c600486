//! Revive's shop server on PostgreSQL: the one place every bench and every rack server of a shop
//! reaches. This crate holds what lives there (its schema, versioned as a protocol), how to reach
//! it safely, the test room's task queue and the rack agent that works it. It links no desktop
//! library, so `revive agent` runs on a headless rack server.

pub mod agent;
pub mod benches;
pub mod conflicts;
pub mod error;
pub mod history;
pub mod room;
pub mod server;
pub mod sync;

pub use error::{ShopError, ShopResult};
