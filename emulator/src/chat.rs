//! The emulated model: a deterministic reply to a chat message and the tokens it "used".

/// The reference's example answer, returned for questions about passwords.
const PASSWORD_REPLY: &str = "To reset your password, go to Settings > Security and click \"Reset Password\". You will receive a confirmation email within a few minutes.";

/// The longest part of a message quoted back in a reply.
const MAX_QUOTE_CHARS: usize = 200;

/// The reply an agent gives to `message`: always the same for the same agent and message.
pub(crate) fn reply(agent_name: &str, message: &str) -> String {
    if message.to_lowercase().contains("password") {
        return PASSWORD_REPLY.to_string();
    }
    let quote: String = message.trim().chars().take(MAX_QUOTE_CHARS).collect();
    let ellipsis = if message.trim().chars().count() > MAX_QUOTE_CHARS {
        "…"
    } else {
        ""
    };
    format!(
        "Thanks for your message! This is {agent_name} (emulated). You said: \"{quote}{ellipsis}\""
    )
}

/// Tokens for a message and its reply: about four characters per token, rounded up, each side.
pub(crate) fn tokens_used(message: &str, reply: &str) -> u64 {
    let tokens = |s: &str| (s.chars().count() as u64).div_ceil(4);
    tokens(message) + tokens(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_questions_get_the_reference_answer() {
        assert_eq!(
            reply("Customer Support Agent", "How do I reset my password?"),
            PASSWORD_REPLY
        );
    }

    #[test]
    fn replies_are_deterministic_and_quote_at_most_200_chars() {
        let long = "a".repeat(1000);
        assert_eq!(reply("A", &long), reply("A", &long));
        assert!(reply("A", &long).len() < 300);
        assert_eq!(tokens_used("abcd", "abcde"), 3);
    }
}
