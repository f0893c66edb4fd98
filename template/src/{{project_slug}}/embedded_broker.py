"""The embedded profile's broker: kombu's filesystem transport, with each message written whole.

Kombu's own transport creates a message's file, then writes into it: a worker polling the folder
in between takes the empty file and fails to decode it (kombu issue #1551). Here a message is
written to a file that no queue reads, then renamed into place, which is atomic on one file
system. Importing this module registers the transport as `embedded://`.
"""

import os
import uuid
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "embedded"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        # The name kombu's reader expects: <time>_<uuid>.<queue>.msg, in arrival order.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        partial = folder / f".{name}.part"  # matches no queue: the reader skips it
        partial.write_bytes(str_to_bytes(dumps(payload)))
        os.replace(partial, folder / name)


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[SCHEME] = f"{__name__}:Transport"
