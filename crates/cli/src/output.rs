//! Writing to stdout without panicking when the reader goes away (`tgfleet groups list | head`).

use std::io::Write;

/// Prints `text` as is; a closed pipe is not an error.
pub(crate) fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to stdout: {err}");
    }
}

/// Prints `line` and a newline.
pub(crate) fn print_line(line: &str) {
    print(&format!("{line}\n"));
}
