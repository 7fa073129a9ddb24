//! One module per subcommand group.

pub mod accounts;
pub mod accounts_check;
pub mod accounts_export;
pub mod accounts_import;
pub mod accounts_login;
pub mod campaigns;
pub mod console;
pub mod groups;
pub mod migrate;
pub mod run;
pub mod stats;
