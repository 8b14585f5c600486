//! `Revive.AppImage [arguments]` starts the app, or the `revive` command-line tool when started
//! through a link named `revive`; `--appimage-extract` unpacks the app into `./squashfs-root` and
//! `--appimage-offset` says where its image starts, as with any AppImage.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};

use revive_appimage_runtime::{appended_at, unpacked, verified, Image, RuntimeError};

fn main() -> ExitCode {
    // A damaged image can make the SquashFS reader give up with a panic: say so in plain words.
    std::panic::set_hook(Box::new(|_| {}));
    let image = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    let outcome = std::panic::catch_unwind(|| run(&image))
        .unwrap_or_else(|_| Err(RuntimeError::Damaged { path: image.clone(), problem: "unreadable SquashFS".into() }));
    outcome.unwrap_or_else(|error| {
        eprintln!("Revive: {error}");
        ExitCode::from(127)
    })
}

fn run(image: &Path) -> Result<ExitCode, RuntimeError> {
    let read = |source| RuntimeError::Read { path: image.to_owned(), source };
    let mut head = [0; 64];
    std::fs::File::open(image).and_then(|mut file| file.read_exact(&mut head)).map_err(read)?;
    let offset = appended_at(&head, image)?;
    let mut arguments = std::env::args_os();
    let argv0 = arguments.next().unwrap_or_default();
    let arguments: Vec<_> = arguments.collect();
    match arguments.first().and_then(|first| first.to_str()) {
        Some("--appimage-offset") => {
            println!("{offset}");
            return Ok(ExitCode::SUCCESS);
        }
        Some("--appimage-extract") => {
            let into = Path::new("squashfs-root");
            verified(image, offset)?;
            let count = Image::open(image, offset)?.unpack(into)?;
            println!("{}: {count}", into.display());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let folder = unpacked(image, offset, &std::env::temp_dir())?;
    let app_run = folder.join("AppRun");
    let mut start = Command::new(&app_run);
    start.args(arguments).env("APPIMAGE", image).env("APPDIR", &folder).env("ARGV0", argv0);
    if let Ok(here) = std::env::current_dir() {
        start.env("OWD", here);
    }
    let source = start.exec();
    Err(RuntimeError::Start { path: app_run, source })
}
