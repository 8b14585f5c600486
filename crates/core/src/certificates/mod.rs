//! Signed repair certificates. This part holds the shop's signing key and the canonical, signed form
//! of a certificate's content, so anyone with the shop's public key can check offline that a
//! certificate is the one the shop issued, unaltered.

mod signing;

pub use signing::{canonical, ShopKey, SignedDocument, Verdict, KEY_FILE};
