//! `tgfleet accounts login LABEL --phone PHONE`

use crate::output::print_line;
use crate::wiring::session_cipher;
use crate::{CliError, Context};
use async_trait::async_trait;
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};
use std::time::Duration;
use tgfleet_adapter_grammers::login::{LoginPrompts, LoginRequest, log_in};
use tgfleet_domain::{Clock as _, mask_phone};

/// Signs `label` in with a login code (and the 2FA password when the account has one),
/// creating the account if it is new. The phone is only ever shown masked.
pub async fn run(context: &Context, label: &str, phone: &str) -> Result<(), CliError> {
    let phone = checked_phone(phone)?;
    let masked = mask_phone(phone.expose());
    let settings = &context.settings;
    let (api_id, api_hash) = settings.telegram_credentials()?;
    let cipher = session_cipher(settings)?;
    let store = context.store().await?;
    let account = store.prepare_login(label, &masked).await?;
    print_line(&format!("Logging in {label} ({masked})."));
    let request = LoginRequest {
        store: &store,
        cipher: &cipher,
        account: &account,
        phone: &phone.0,
        api_id,
        api_hash,
        request_timeout: Duration::from_secs(settings.telegram.request_timeout_secs),
    };
    let prompts: Box<dyn LoginPrompts> = if std::io::stdin().is_terminal() {
        Box::new(TerminalPrompts)
    } else {
        Box::new(LinePrompts)
    };
    let logged_in = log_in(&request, prompts.as_ref())
        .await
        .map_err(|err| CliError::Failed(format!("login of {label} ({masked}) failed: {err}")))?;
    let recorded = store
        .record_login(account.id, logged_in.user_id, context.clock().now())
        .await?;
    let how = if logged_in.already_authorized {
        "was already signed in"
    } else {
        "signed in"
    };
    print_line(&format!(
        "{label} ({masked}) {how} as Telegram user {}; status {}.",
        logged_in.user_id, recorded.status
    ));
    Ok(())
}

/// A phone number as given on the command line. `expose` is for masking and for
/// Telegram only.
struct Phone(SecretString);

impl Phone {
    fn expose(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }
}

fn checked_phone(phone: &str) -> Result<Phone, CliError> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    if allowed && (7..=15).contains(&digits) {
        Ok(Phone(SecretString::from(phone.trim().to_owned())))
    } else {
        Err(CliError::Failed(
            "--phone: expected an international number such as +62 812 3456 7812 (7-15 digits)"
                .to_owned(),
        ))
    }
}

/// Asks on the terminal without echo.
struct TerminalPrompts;

/// Reads one line of stdin per question (scripts, tests).
struct LinePrompts;

async fn blocking<T: Send + 'static>(
    read: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|err| err.to_string())?
        .map_err(|err| err.to_string())
}

fn password_prompt(hint: Option<&str>) -> String {
    match hint {
        Some(hint) if !hint.is_empty() => format!("2FA password (hint: {hint}): "),
        _ => "2FA password: ".to_owned(),
    }
}

#[async_trait]
impl LoginPrompts for TerminalPrompts {
    async fn code(&self) -> Result<Option<SecretString>, String> {
        blocking(|| rpassword::prompt_password("Login code: "))
            .await
            .map(|code| Some(SecretString::from(code)))
    }

    async fn password(&self, hint: Option<&str>) -> Result<Option<SecretString>, String> {
        let prompt = password_prompt(hint);
        blocking(move || rpassword::prompt_password(prompt))
            .await
            .map(|password| Some(SecretString::from(password)))
    }

    fn note(&self, line: &str) {
        print_line(line);
    }
}

fn read_line() -> std::io::Result<Option<SecretString>> {
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line)?;
    let value = line.trim_end_matches(['\r', '\n']).to_owned();
    Ok((read > 0).then(|| SecretString::from(value)))
}

#[async_trait]
impl LoginPrompts for LinePrompts {
    async fn code(&self) -> Result<Option<SecretString>, String> {
        eprintln!("Login code (one line on stdin):");
        blocking(read_line).await
    }

    async fn password(&self, hint: Option<&str>) -> Result<Option<SecretString>, String> {
        eprintln!("{}(one line on stdin)", password_prompt(hint));
        blocking(read_line).await
    }

    fn note(&self, line: &str) {
        print_line(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked_without_being_quoted() {
        assert!(checked_phone("+62 812-3456-7812").is_ok());
        for bad in ["12345", "+62 812 3456 7812 999", "+62abc4567812"] {
            let CliError::Failed(message) = checked_phone(bad).err().unwrap() else {
                panic!("a usage failure");
            };
            assert!(message.starts_with("--phone"), "{message}");
            assert!(!message.contains(bad), "{message}");
        }
    }
}
