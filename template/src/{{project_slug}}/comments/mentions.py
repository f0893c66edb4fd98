"""Finding the @usernames a comment names."""

import re

# A username (auth/schemas.py: 3 to 30 of A-Z, a-z, 0-9 and _) after an "@" that does not end a
# word: "@ada" is a mention, "ada@example.com" is not, nor is a name longer than 30 characters.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{3,30})(?![\w@])")


def mentioned_names(body: str) -> list[str]:
    """The distinct names mentioned in `body`, in lower case, in order of first mention."""
    return list(dict.fromkeys(name.lower() for name in MENTION.findall(body)))
