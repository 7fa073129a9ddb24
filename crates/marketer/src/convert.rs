//! Between the Telegram port's vocabulary and the domain policies' and store's.

use tgfleet_domain::BodyFormat;
use tgfleet_telegram::TextFormat;

pub(crate) use tgfleet_runtime::peers::{peer_ref, stored_peer};

/// A variant's text format as the port sends it.
pub(crate) fn text_format(format: BodyFormat) -> TextFormat {
    match format {
        BodyFormat::Plain => TextFormat::Plain,
        BodyFormat::Markdown => TextFormat::Markdown,
        BodyFormat::Html => TextFormat::Html,
    }
}
