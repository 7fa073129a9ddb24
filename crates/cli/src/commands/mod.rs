//! One module per subcommand group.

pub mod accounts;
pub mod campaigns;
pub mod groups;
pub mod migrate;
pub mod stats;
