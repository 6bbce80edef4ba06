"""Channels under load: messenger webhooks into tickets, replies out to the providers.

    .venv/bin/python bench/channels.py -n 2000        # options as bench/messengers.py

Telegram, VK and WhatsApp updates posted to their webhook endpoints and taken into
tickets (end-to-end messages per second, CPU per message), then agents' replies
delivered to the local provider servers (delivered per second). The benchmark itself
lives in `bench/messengers.py`; this is its name in the channel layer's terms.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.messengers import main

if __name__ == "__main__":
    main()
