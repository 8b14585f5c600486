//! `Revive.AppImage [arguments]` starts the app, or the `revive` command-line tool when started
//! through a link named `revive`; `--appimage-extract` unpacks the app into `./squashfs-root` and
//! `--appimage-offset` says where its image starts, as with any AppImage.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitCode};

use revive_appimage_runtime::{cache_root, unpacked, verified, AppImage, Image, RuntimeError};

fn main() -> ExitCode {
    let image = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    // Said once, below, in plain words: a panic is the SquashFS reader meeting an image it cannot
    // read, or a bug of this runtime.
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(|| run(&image)).unwrap_or_else(|panic| {
        let said = panic
            .downcast_ref::<&str>()
            .map(|said| said.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned());
        let problem = format!("the runtime stopped reading it: {}", said.as_deref().unwrap_or("no reason given"));
        Err(RuntimeError::Damaged { path: image.clone(), problem })
    });
    outcome.unwrap_or_else(|error| {
        eprintln!("Revive: {error}");
        ExitCode::from(127)
    })
}

fn run(image: &Path) -> Result<ExitCode, RuntimeError> {
    // The program as it was started, even if an update replaces the file meanwhile.
    let file = std::fs::File::open("/proc/self/exe")
        .map_err(|source| RuntimeError::Read { path: image.to_owned(), source })?;
    let appimage = AppImage::new(image, file)?;
    let mut arguments = std::env::args_os();
    let argv0 = arguments.next().unwrap_or_default();
    let arguments: Vec<_> = arguments.collect();
    match arguments.first().and_then(|first| first.to_str()) {
        Some("--appimage-offset") => {
            println!("{}", appimage.offset);
            return Ok(ExitCode::SUCCESS);
        }
        Some("--appimage-extract") => {
            let into = Path::new("squashfs-root");
            verified(&appimage)?;
            let count = Image::open(&appimage)?.unpack(into)?;
            println!("{}: {count}", into.display());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let folder = unpacked(&appimage, &cache_root())?;
    let app_run = folder.join("AppRun");
    let mut start = Command::new(&app_run);
    start.args(arguments).env("APPIMAGE", image).env("APPDIR", &folder).env("ARGV0", argv0);
    if let Ok(here) = std::env::current_dir() {
        start.env("OWD", here);
    }
    let source = start.exec();
    Err(RuntimeError::Start { path: app_run, source })
}
