//! ddish: the console by default, scriptable subcommands otherwise.
mod cli;

use std::process::ExitCode;

use clap::Parser;

/// glibc keeps what a thread freed in that thread's arena, and after a big block is freed it
/// serves the next big ones from the arena too: a write on a big server (10 MB config
/// bodies, read and freed several times) then doubles ddish's RSS over its heap. One arena
/// and big blocks by mmap (given back when freed) keep RSS near the heap.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let args = cli::Cli::parse();
    // Logs go to a file, never to the terminal (the console owns the screen).
    let _log = ddish::logging::init(&ddish::logging::default_log_dir(), args.verbose).ok();
    match cli::run(args) {
        Ok(code) => code,
        Err(cli::Fail(code, msg)) => {
            eprintln!("ddish: {msg}");
            ExitCode::from(code)
        }
    }
}
