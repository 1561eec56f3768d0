"""`python -m app.slack --socket`: the Slack bot in Socket Mode."""

import sys

from app.slack.socket_mode import main

sys.exit(main())
