// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // WebKit takes navigator.language from the process locale; "C" or "POSIX" (bare servers, Xvfb)
    // is not a language tag and makes Intl throw. Set a real one before any thread starts.
    let locale = std::env::var("LC_ALL").or_else(|_| std::env::var("LANG")).unwrap_or_default();
    let language = locale.split(['.', '@']).next().unwrap_or_default();
    if language.is_empty() || language == "C" || language == "POSIX" {
        std::env::set_var("LC_ALL", "en_US.UTF-8");
        std::env::set_var("LANG", "en_US.UTF-8");
    }
    revive_app::run();
}
