//! The `mamori` binary: parses the command line and hands over to [`mamori::cli`].
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    mamori::cli::main()
}
