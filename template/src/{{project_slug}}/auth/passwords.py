"""What makes a password acceptable: length, and not being one everybody tries first.

No composition rules (NIST SP 800-63B): 8 to 128 characters, refused when it is among the 30,000
most common passwords (zxcvbn's list, from leaked password sets) or equals the user's email or
username.
"""

from functools import lru_cache

MIN_LENGTH = 8
MAX_LENGTH = 128


@lru_cache
def common_passwords() -> frozenset[str]:
    # Loaded on the first sign-up, not at start: the list takes a few megabytes.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *identities: str | None) -> str | None:
    """Why `password` is refused, or None; lengths are checked by the schemas."""
    folded = password.casefold()
    if folded in common_passwords():
        return "this password is one of the most common ones: choose another"
    if any(identity and folded == identity.casefold() for identity in identities):
        return "the password must not be your email or username"
    return None
