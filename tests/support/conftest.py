"""The Telegram harness (real webhook, fake Bot API server) and a model-built race database."""

from tests.support.race_db import race_db  # noqa: F401 - fixtures used here
from tests.telegram.conftest import fake_bot_api, tg  # noqa: F401
