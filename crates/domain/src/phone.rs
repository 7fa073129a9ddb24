//! Phone numbers are personal data: only a masked form is stored, logged or printed.

/// Masks a phone number, keeping the leading `+`, the country code and the last two
/// digits: `+6281234567812` becomes `+62*********12`.
///
/// The country code is taken as the first two digits (enough to tell the fleet's
/// countries apart without identifying anyone). Spaces, dashes, dots and brackets
/// are dropped first. Numbers with fewer than five digits are masked completely.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let plus = if phone.trim_start().starts_with('+') {
        "+"
    } else {
        ""
    };
    if digits.len() < 5 {
        return format!("{plus}{}", "*".repeat(digits.len().max(1)));
    }
    let head: String = digits[..2].iter().collect();
    let tail: String = digits[digits.len() - 2..].iter().collect();
    let hidden = "*".repeat(digits.len() - 4);
    format!("{plus}{head}{hidden}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_country_code_and_last_two_digits() {
        assert_eq!(mask_phone("+6281234567812"), "+62*********12");
        assert_eq!(mask_phone("+7 (912) 345-67-89"), "+79*******89");
        assert_eq!(mask_phone("6281234567812"), "62*********12");
    }

    #[test]
    fn short_numbers_are_fully_masked() {
        assert_eq!(mask_phone("+1234"), "+****");
        assert_eq!(mask_phone(""), "*");
    }

    #[test]
    fn never_contains_the_middle_digits() {
        let masked = mask_phone("+6281234567812");
        assert!(!masked.contains("1234567"));
        assert_eq!(masked.chars().count(), "+6281234567812".len());
    }
}
