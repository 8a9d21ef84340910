"""``python -m al_core``: see ``al_core.cli``."""

import sys

from .cli import main

sys.exit(main())
