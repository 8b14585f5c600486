//! The runtime at the head of a real AppImage built here: the program cargo built, with a SquashFS
//! image appended and the type 2 mark, as `make package` makes Revive's.

use std::io::Cursor;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use backhand::compression::Compressor;
use backhand::{FilesystemCompressor, FilesystemWriter, NodeHeader};
use revive_appimage_runtime::{MAGIC, MAGIC_AT, MARK};
use sha2::{Digest, Sha256};

const RUNTIME: &str = env!("CARGO_BIN_EXE_revive-appimage-runtime");

/// An app's folder: `AppRun` says what it was started with; a library, a link to it and a folder.
fn app_folder(greeting: &str) -> FilesystemWriter<'static, 'static, 'static> {
    let mut image = FilesystemWriter::default();
    image.set_compressor(FilesystemCompressor::new(Compressor::Zstd, None).unwrap());
    let (folder, program, file) =
        (NodeHeader::new(0o755, 0, 0, 0), NodeHeader::new(0o755, 0, 0, 0), NodeHeader::new(0o644, 0, 0, 0));
    let app_run = format!("#!/bin/sh\necho \"{greeting}|$APPIMAGE|$APPDIR|$ARGV0|$OWD|$*\"\n");
    image.push_file(Cursor::new(app_run.into_bytes()), "AppRun", program).unwrap();
    image.push_dir_all("usr/lib/Revive", folder).unwrap();
    // Big enough to span data blocks, varied enough not to compress to nothing.
    let library: Vec<u8> = (0..300_000u32).flat_map(|n| (n.wrapping_mul(2_654_435_761)).to_le_bytes()).collect();
    image.push_file(Cursor::new(library), "usr/lib/libwebkit.so", file).unwrap();
    image.push_symlink("libwebkit.so", "usr/lib/libwebkit.so.0", file).unwrap();
    image.push_file(Cursor::new("王芳 José".as_bytes().to_vec()), "usr/lib/Revive/客户.txt", file).unwrap();
    image
}

/// Writes an AppImage of the runtime and `image` into `dir`; returns its path.
fn appimage(dir: &Path, name: &str, mut image: FilesystemWriter) -> PathBuf {
    let mut squashfs = Cursor::new(Vec::new());
    image.write(&mut squashfs).unwrap();
    packaged(dir, name, &squashfs.into_inner())
}

/// The runtime with `squashfs` appended and packaged as `make package` does: the mark, the digest.
fn packaged(dir: &Path, name: &str, squashfs: &[u8]) -> PathBuf {
    let mut bytes = std::fs::read(RUNTIME).unwrap();
    bytes[MAGIC_AT..MAGIC_AT + MAGIC.len()].copy_from_slice(&MAGIC);
    let marks: Vec<_> =
        bytes.windows(MARK.len()).enumerate().filter(|(_, window)| window == MARK).map(|(at, _)| at).collect();
    assert_eq!(marks.len(), 1, "the runtime has one place for the digest");
    let digest = marks[0] + MARK.len();
    bytes[digest..digest + 32].copy_from_slice(&Sha256::digest(squashfs));
    bytes.extend(squashfs);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Starts `appimage` with `args` from `cwd`, its cache folder `cache`.
fn start(appimage: &Path, args: &[&str], cwd: &Path, cache: &Path) -> Output {
    Command::new(appimage).args(args).current_dir(cwd).env("XDG_CACHE_HOME", cache).output().unwrap()
}

/// What the app's `AppRun` said: greeting, APPIMAGE, APPDIR, ARGV0, OWD, arguments.
fn said(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap().trim_end().split('|').map(str::to_owned).collect()
}

fn refusal(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(127), "refused, not started: {}", String::from_utf8_lossy(&output.stdout));
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn the_app_starts_with_its_arguments_and_the_appimage_variables_and_a_second_start_reuses_it() {
    let (dir, temp, cwd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let image = appimage(dir.path(), "Revive.AppImage", app_folder("hello"));
    assert_eq!(std::fs::read(&image).unwrap()[MAGIC_AT..MAGIC_AT + MAGIC.len()], MAGIC, "marked an AppImage of type 2");

    let first = said(&start(&image, &["--lang", "王芳 José"], cwd.path(), temp.path()));
    let folder = PathBuf::from(&first[2]);
    assert_eq!(first[0], "hello");
    assert_eq!(first[1], image.display().to_string());
    assert_eq!(folder.parent().unwrap(), temp.path().join("revive/appimage"), "in this user's cache");
    assert!(first[3].ends_with("Revive.AppImage"));
    assert_eq!(first[4], cwd.path().display().to_string());
    assert_eq!(first[5], "--lang 王芳 José");
    // Unpacked whole: contents, modes, links; only this user can write it.
    assert_eq!(std::fs::read_to_string(folder.join("usr/lib/Revive/客户.txt")).unwrap(), "王芳 José");
    assert_eq!(std::fs::read_link(folder.join("usr/lib/libwebkit.so.0")).unwrap(), Path::new("libwebkit.so"));
    assert_eq!(std::fs::metadata(folder.join("usr/lib/libwebkit.so")).unwrap().len(), 1_200_000);
    assert_eq!(std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777, 0o700);

    let written = std::fs::metadata(folder.join("usr/lib/libwebkit.so")).unwrap().modified().unwrap();
    let second = said(&start(&image, &[], cwd.path(), temp.path()));
    assert_eq!(second[2], first[2], "the same folder");
    assert_eq!(
        std::fs::metadata(folder.join("usr/lib/libwebkit.so")).unwrap().modified().unwrap(),
        written,
        "not written again"
    );

    // An updated AppImage under the same name runs its own app, never the old one.
    let updated = appimage(dir.path(), "Revive.AppImage", app_folder("updated"));
    let third = said(&start(&updated, &[], cwd.path(), temp.path()));
    assert_eq!(third[0], "updated");
    assert_ne!(third[2], first[2]);
}

#[test]
fn an_unpacked_app_a_cleaner_took_files_from_is_unpacked_again() {
    let (dir, temp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let image = appimage(dir.path(), "Revive.AppImage", app_folder("hello"));
    let folder = PathBuf::from(&said(&start(&image, &[], dir.path(), temp.path()))[2]);

    std::fs::remove_file(folder.join("usr/lib/libwebkit.so")).unwrap();
    std::fs::write(folder.join("usr/lib/Revive/客户.txt"), "cut").unwrap();
    assert_eq!(said(&start(&image, &[], dir.path(), temp.path()))[2], folder.display().to_string());
    assert_eq!(std::fs::metadata(folder.join("usr/lib/libwebkit.so")).unwrap().len(), 1_200_000);
    assert_eq!(std::fs::read_to_string(folder.join("usr/lib/Revive/客户.txt")).unwrap(), "王芳 José");
}

#[test]
fn a_folder_in_its_place_that_others_can_write_or_a_link_is_never_run() {
    let (dir, temp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let image = appimage(dir.path(), "Revive.AppImage", app_folder("hello"));
    let folder = PathBuf::from(&said(&start(&image, &[], dir.path(), temp.path()))[2]);

    // Someone else could have put their own AppRun there.
    std::fs::write(folder.join("AppRun"), "#!/bin/sh\necho planted\n").unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(refusal(&start(&image, &[], dir.path(), temp.path())).contains("is in the way"));

    std::fs::remove_dir_all(&folder).unwrap();
    let planted = tempfile::tempdir().unwrap();
    std::fs::write(planted.path().join("AppRun"), "#!/bin/sh\necho planted\n").unwrap();
    std::fs::set_permissions(planted.path().join("AppRun"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(planted.path(), &folder).unwrap();
    assert!(refusal(&start(&image, &[], dir.path(), temp.path())).contains("is in the way"));

    // So is a cache folder others can write, where they could swap the app's folder.
    std::fs::remove_file(&folder).unwrap();
    std::fs::set_permissions(folder.parent().unwrap(), std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(refusal(&start(&image, &[], dir.path(), temp.path())).contains("is in the way"));
}

#[test]
fn a_damaged_or_cut_appimage_is_refused_in_plain_words() {
    let (dir, temp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let image = appimage(dir.path(), "Revive.AppImage", app_folder("hello"));
    let bytes = std::fs::read(&image).unwrap();
    let runtime_len = std::fs::metadata(RUNTIME).unwrap().len() as usize;

    // Bytes of the library's compressed data changed (a bad download).
    let mut flipped = bytes.clone();
    for byte in &mut flipped[runtime_len + 2_000..runtime_len + 2_100] {
        *byte ^= 0x5a;
    }
    // The image cut short, and no image at all.
    let cases = [
        ("flipped", flipped),
        ("cut", bytes[..bytes.len() - 3_000].to_vec()),
        ("runtime alone", bytes[..runtime_len].to_vec()),
    ];
    for (name, damaged) in cases {
        let path = dir.path().join(format!("{name}.AppImage"));
        std::fs::write(&path, damaged).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let stderr = refusal(&start(&path, &[], dir.path(), temp.path()));
        assert!(stderr.contains("damaged"), "{name}: {stderr}");
    }
    // Packaged with its digest, yet unreadable: the SquashFS reader's own refusal, said plainly.
    let mut squashfs = Cursor::new(Vec::new());
    app_folder("hello").write(&mut squashfs).unwrap();
    let squashfs = squashfs.into_inner();
    let mut no_magic = squashfs.clone();
    no_magic[..4].copy_from_slice(b"xsqs");
    // The superblock says the inode table lies past the end of the image.
    let mut tables_lost = squashfs.clone();
    tables_lost[64..72].copy_from_slice(&(1u64 << 40).to_le_bytes());
    for (name, unreadable) in [("no-magic", no_magic), ("tables-lost", tables_lost)] {
        let path = packaged(dir.path(), &format!("{name}.AppImage"), &unreadable);
        let stderr = refusal(&start(&path, &[], dir.path(), temp.path()));
        assert!(stderr.contains("damaged"), "{name}: {stderr}");
    }
    // Nothing of them was unpacked.
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_device_file_in_the_image_is_refused() {
    let (dir, temp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut with_device = app_folder("hello");
    with_device.push_char_device(0x0103, "usr/lib/null", NodeHeader::new(0o666, 0, 0, 0)).unwrap();
    let image = appimage(dir.path(), "Revive.AppImage", with_device);
    assert!(refusal(&start(&image, &[], dir.path(), temp.path())).contains("device"));
}

#[test]
fn extract_and_offset_work_as_with_any_appimage() {
    let (dir, temp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let image = appimage(dir.path(), "Revive.AppImage", app_folder("hello"));
    let offset = start(&image, &["--appimage-offset"], dir.path(), temp.path());
    assert_eq!(String::from_utf8(offset.stdout).unwrap().trim(), std::fs::metadata(RUNTIME).unwrap().len().to_string());

    let extracted = start(&image, &["--appimage-extract"], dir.path(), temp.path());
    assert!(extracted.status.success(), "{}", String::from_utf8_lossy(&extracted.stderr));
    let root = dir.path().join("squashfs-root");
    assert_eq!(std::fs::metadata(root.join("AppRun")).unwrap().permissions().mode() & 0o777, 0o755);
    assert_eq!(std::fs::read_to_string(root.join("usr/lib/Revive/客户.txt")).unwrap(), "王芳 José");
    // Never over a folder already there.
    assert!(refusal(&start(&image, &["--appimage-extract"], dir.path(), temp.path())).contains("squashfs-root"));
}

#[test]
fn with_no_home_the_app_is_unpacked_in_a_temporary_folder_of_this_users() {
    let (dir, temp) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let image = appimage(dir.path(), "Revive.AppImage", app_folder("hello"));
    let homeless = Command::new(&image)
        .current_dir(dir.path())
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .env("TMPDIR", temp.path())
        .output()
        .unwrap();
    let folder = PathBuf::from(&said(&homeless)[2]);
    let root = folder.parent().unwrap();
    assert_eq!(root.parent().unwrap(), temp.path());
    assert!(root.file_name().unwrap().to_str().unwrap().starts_with("revive-appimage-"), "{root:?}");
    assert_eq!(std::fs::metadata(root).unwrap().permissions().mode() & 0o777, 0o700);
}
