//! The `tgfleet` binary: see [`tgfleet_cli`].

fn main() -> std::process::ExitCode {
    tgfleet_cli::main_with_args(std::env::args_os())
}
