"""``python -m hub.demo``."""

import signal
import sys

# first thing: Ctrl-C must work even when the demo was started with SIGINT ignored (a background job)
signal.signal(signal.SIGINT, signal.default_int_handler)

from hub.demo.cli import main  # noqa: E402 - after the signal set-up on purpose

sys.exit(main())
