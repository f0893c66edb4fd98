"""Why a dependency is unusable, in a few words that name no host, port or password.

The drivers' own messages name the server's address (and a URL may carry a password): they are
for the log. These words are for `python -m <package>.health` and the test suite's first line.
"""

import re

TIMED_OUT = "no answer (timed out)"
# PostgreSQL's own refusal of a connection, e.g. 'FATAL:  role "x" does not exist' or 'FATAL:
# password authentication failed for user "x"'.
SERVER_MESSAGE = re.compile(r"\bFATAL:\s+([^\n]+)")
# What the message of an error says, lowercased -> the cause it is reported as.
CAUSES = {
    "timeout": TIMED_OUT,
    "timed out": TIMED_OUT,
    "connection refused": "connection refused (is it running?)",
    "access_refused": "login refused (user or password)",
    "invalid username-password": "login refused (user or password)",
    "without any password configured": "login refused (the server wants no password)",
    "authentication required": "login refused (a password is required)",
    "pg_hba.conf": "refused by pg_hba.conf",
    "could not translate host name": "unknown host name",
    "name or service not known": "unknown host name",
    "nodename nor servname": "unknown host name",
}


def cause_of(error: BaseException) -> str:
    """The cause of `error` (and of the errors it was raised from), e.g. "connection refused"."""
    chain = _chain(error)
    for each in chain:
        # psycopg's error of a statement: the server's own words, e.g. 'relation "x" does not
        # exist' (a database that is not migrated).
        if message := getattr(getattr(each, "diag", None), "message_primary", None):
            return message
    text = " ".join(str(each) for each in chain)
    if isinstance(error, TimeoutError):
        return TIMED_OUT
    if match := SERVER_MESSAGE.search(text):
        return match[1].strip()
    lowered = text.lower()
    for words, cause in CAUSES.items():
        if words in lowered:
            return cause
    return type(error).__name__


def _chain(error: BaseException) -> list[BaseException]:
    chain = [error]
    while (error := error.__cause__ or error.__context__) is not None and error not in chain:
        chain.append(error)
    return chain
