//! Photos on a job: stored once under their SHA-256, only real images, nothing half-written.

use crate::common::{open_shop, take_in_h100, tech};
use revive_core::jobs::attachments::{path_of, MAX_PHOTO_BYTES};
use revive_core::{CoreError, Field, Problem};

#[test]
fn photos_are_stored_once_by_content_hash() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let jpeg = b"\xFF\xD8\xFF\xE0 pretend this is a board photo".to_vec();
    let hash = shop.photos().attach(job, &jpeg, &tech(&shop)).unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(std::fs::read(path_of(dir.path(), &hash)).unwrap(), jpeg);
    assert_eq!(shop.photos().attach(job, &jpeg, &tech(&shop)).unwrap(), hash, "the same photo twice is one photo");
    let files = std::fs::read_dir(path_of(dir.path(), &hash).parent().unwrap()).unwrap().count();
    assert_eq!(files, 1, "no partial file left behind");
}

#[test]
fn what_is_not_a_photo_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let problem = |bytes: &[u8]| match shop.photos().attach(job, bytes, &tech(&shop)).unwrap_err() {
        CoreError::Invalid { field: Field::Photo, problem } => problem,
        other => panic!("{other:?}"),
    };
    assert_eq!(problem(b""), Problem::Empty);
    assert_eq!(problem(b"%PDF-1.7 not a photo"), Problem::BadFormat);
    assert_eq!(problem(&vec![0xFF; MAX_PHOTO_BYTES + 1]), Problem::TooLarge { max: MAX_PHOTO_BYTES as u64 });
    assert!(matches!(shop.photos().attach(99, b"\xFF\xD8\xFF", &tech(&shop)), Err(CoreError::JobNotFound(99))));
}
