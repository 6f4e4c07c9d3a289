"""``python -m mllab`` is the ``mllab`` command."""

import sys

from mllab.cli import main

sys.exit(main())
