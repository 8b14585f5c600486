//! Where the appended image starts, and the mark that says a file is an AppImage (written by
//! `make package`).

use crate::RuntimeError;
use std::path::Path;

/// The AppImage type 2 mark, written into the ELF identification's padding.
pub const MAGIC: [u8; 3] = *b"AI\x02";
pub const MAGIC_AT: usize = 8;

/// The first byte after the ELF program at the head of `file` (of which `head` is at least the
/// first 64 bytes): the section header table is the last thing a linker writes, as every AppImage
/// runtime assumes.
pub fn appended_at(head: &[u8], file: &Path) -> Result<u64, RuntimeError> {
    let not_elf = || RuntimeError::NotElf(file.to_owned());
    // 64-bit, little-endian: the only kind of program this package is built as.
    if head.len() < 64 || head[..4] != *b"\x7fELF" || head[4] != 2 || head[5] != 1 {
        return Err(not_elf());
    }
    let u16_at = |at: usize| u64::from(u16::from_le_bytes([head[at], head[at + 1]]));
    let table = u64::from_le_bytes(head[0x28..0x30].try_into().map_err(|_| not_elf())?);
    let (entry_size, entries) = (u16_at(0x3a), u16_at(0x3c));
    table.checked_add(entry_size * entries).filter(|end| *end >= 64).ok_or_else(not_elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_program_ends_where_its_section_headers_do() {
        let me = std::env::current_exe().unwrap();
        let bytes = std::fs::read(&me).unwrap();
        assert_eq!(appended_at(&bytes[..64], &me).unwrap(), bytes.len() as u64);
    }

    #[test]
    fn a_file_that_is_not_a_64_bit_elf_program_is_refused() {
        let path = Path::new("Revive.AppImage");
        for head in [&b"#!/bin/sh\n"[..], &[0u8; 64][..], &[0x7f, b'E', b'L', b'F', 1, 1].repeat(11)[..]] {
            assert!(matches!(appended_at(head, path), Err(RuntimeError::NotElf(_))));
        }
        let mut overflowing = std::fs::read(std::env::current_exe().unwrap()).unwrap()[..64].to_vec();
        overflowing[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(appended_at(&overflowing, path), Err(RuntimeError::NotElf(_))));
    }
}
